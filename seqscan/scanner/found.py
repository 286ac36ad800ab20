"""What Scanning Files found: the runs, their files and folder listings. Plain data, filesystem only."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class FoundFile(NamedTuple):
    path: str  # relative to the run folder
    file_type: str


# The mtime a kept listing gets when it must be listed again next time (no folder has it).
NEVER_REUSE = -1


class DirListing(NamedTuple):
    path: str  # relative to the run folder
    mtime_ns: int
    subdirs: tuple[str, ...]
    n_files: int  # every file in it, recorded or ignored
    names: str = ""  # a digest of the names of the files recorded in it: part of the run's fingerprint


class StoredFiles(Sequence):
    """A run's found files as a previous scan stored them (seqscan.scanner.lists), read only when
    asked for: an unchanged run's files are never read by a rescan that only needs to know it is
    unchanged. len() is known without reading."""

    def __init__(self, count: int, load: Callable[[], list[FoundFile]], key: str = "") -> None:
        self.count, self._load, self._files, self.key = count, load, None, key
        self.loads = 0  # how often the store was read (for tests: an unchanged rescan reads none)

    def _all(self) -> list[FoundFile]:
        if self._files is None:
            self.loads += 1
            self._files = self._load()
        return self._files

    def __len__(self) -> int:
        return self.count if self._files is None else len(self._files)

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self) -> Iterator[FoundFile]:
        return iter(self._all())

    @property
    def read(self) -> bool:
        return self._files is not None

    def release(self) -> None:
        """Forget the files read (they are read again if asked for): memory holds one run's at a time."""
        self._files = None


@dataclass
class FoundRun:
    path: str  # relative to the scan root
    skip_marker: str = ""  # the skip marker in the run folder, if any
    files: list[FoundFile] | StoredFiles = field(default_factory=list)
    fingerprint: str = ""
    unlisted: list[str] = field(default_factory=list)  # output folders that could not be read
    dirs: list[DirListing] = field(default_factory=list)  # output folders listed (or re-used)
    markers: tuple[str, ...] = ()  # the completion markers it holds (none: RunInfo.xml only, being sequenced)

    @property
    def skipped(self) -> bool:
        return bool(self.skip_marker)

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def kit(self) -> str:
        return self.path.partition("/")[0] if "/" in self.path else ""


@dataclass
class WalkWarning:
    path: str  # relative to the scan root
    message: str


@dataclass
class WalkResult:
    runs: list[FoundRun] = field(default_factory=list)
    warnings: list[WalkWarning] = field(default_factory=list)
    # Folders not looked into (skip marker, unreadable): runs below them are not "gone".
    blind_spots: list[str] = field(default_factory=list)
    # Of those, the kit folders skipped by a marker: {path: marker}. Runs below them are Skipped.
    skipped_folders: dict[str, str] = field(default_factory=dict)
    dirs_walked: int = 0
    dirs_reused: int = 0
    files_seen: int = 0
    started_ns: int = 0  # wall clock when the walk began
    options_key: str = ""  # WalkOptions.key of the walk that made it


def by_folder(files: Sequence[FoundFile]) -> dict[str, list[FoundFile]]:
    """Files grouped by the folder they sit in ("" for the run folder), in their order."""
    out: dict[str, list[FoundFile]] = {}
    for f in files:
        out.setdefault(f.path.rpartition("/")[0], []).append(f)
    return out


class Snapshot:
    """A previous walk's listing of each output folder, to re-use where nothing changed. Its files
    are read from where they were stored only for a run that changed in part (StoredFiles)."""

    def __init__(self, previous: WalkResult) -> None:
        self.started_ns = previous.started_ns
        self.options_key = previous.options_key
        self.folders: dict[tuple[str, str], DirListing] = {}
        self.runs: dict[str, FoundRun] = {run.path: run for run in previous.runs}
        for run in previous.runs:
            for d in run.dirs:
                self.folders[(run.path, d.path)] = d

    def get(self, run_path: str, rel: str, mtime_ns: int, margin_ns: int) -> DirListing | None:
        """The folder's previous listing, if its mtime is unchanged and was old enough then."""
        hit = self.folders.get((run_path, rel))
        if hit and hit.mtime_ns == mtime_ns and mtime_ns < self.started_ns - margin_ns:
            return hit
        return None

    def unchanged(self, run: FoundRun) -> FoundRun | None:
        """The previous walk's record of this run if the run is as it was then (same fingerprint)."""
        before = self.runs.get(run.path)
        return before if before is not None and before.fingerprint == run.fingerprint else None

    def files_in(self, run_path: str) -> dict[str, list[FoundFile]]:
        """The previous walk's files of a run, by folder (reads them if they were stored)."""
        return by_folder(self.runs[run_path].files)
