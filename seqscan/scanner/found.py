"""What Scanning Files found: the runs, their files and folder listings. Plain data, filesystem only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class FoundFile(NamedTuple):
    path: str  # relative to the run folder
    file_type: str


class DirListing(NamedTuple):
    path: str  # relative to the run folder
    mtime_ns: int
    subdirs: tuple[str, ...]
    n_files: int  # every file in it, recorded or ignored


@dataclass
class FoundRun:
    path: str  # relative to the scan root
    skip_marker: str = ""  # the skip marker in the run folder, if any
    files: list[FoundFile] = field(default_factory=list)
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


class Snapshot:
    """A previous walk's listing of each output folder, to re-use where nothing changed."""

    def __init__(self, previous: WalkResult) -> None:
        self.started_ns = previous.started_ns
        self.options_key = previous.options_key
        self.folders: dict[tuple[str, str], tuple[DirListing, list[FoundFile]]] = {}
        for run in previous.runs:
            files: dict[str, list[FoundFile]] = {}
            for f in run.files:
                files.setdefault(f.path.rpartition("/")[0], []).append(f)
            for d in run.dirs:
                self.folders[(run.path, d.path)] = (d, files.get(d.path, []))

    def get(self, run_path: str, rel: str, mtime_ns: int, margin_ns: int) -> tuple[DirListing, list[FoundFile]] | None:
        hit = self.folders.get((run_path, rel))
        if hit and hit[0].mtime_ns == mtime_ns and mtime_ns < self.started_ns - margin_ns:
            return hit
        return None
