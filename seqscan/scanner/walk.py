"""Scanning Files: find run folders and list their output files. Filesystem only."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from seqscan.layout import Profile

# Where a completion marker may sit, relative to the run folder.
MARKER_DIRS = ("", "4_QC/sequencing_stats")


@dataclass(frozen=True)
class WalkOptions:
    profile: Profile
    skip_markers: tuple[str, ...] = (".variantgrid_skip_flowcell",)
    completion_markers: tuple[str, ...] = ("RTAComplete.txt", "CopyComplete.txt")
    never_descend: frozenset[str] = frozenset({"Data", "Thumbnail_Images", "InterOp", "Logs"})
    max_depth: int = 3


@dataclass
class FoundFile:
    path: str  # relative to the run folder
    file_type: str
    size: int
    mtime_ns: int
    error: str = ""  # set when the entry exists but cannot be read


@dataclass
class FoundRun:
    path: str  # relative to the scan root
    skipped: bool = False
    files: list[FoundFile] = field(default_factory=list)
    fingerprint: str = ""
    unlisted: list[str] = field(default_factory=list)  # output folders that could not be read

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
    dirs_walked: int = 0
    files_seen: int = 0


Progress = Callable[[WalkResult], None]


class RootUnreadable(OSError):
    """The scan root itself cannot be listed: the scan fails rather than deleting everything."""


def _odd_name(name: str) -> bool:
    # Newlines, tabs, control characters and undecodable bytes (surrogates) all fail this.
    return not name.isprintable()


class _Walker:
    def __init__(self, root: str, options: WalkOptions, progress: Progress | None) -> None:
        self.root = root.rstrip("/") or "/"
        self.options = options
        self.progress = progress
        self.result = WalkResult()
        self.seen_dirs: set[tuple[int, int]] = set()

    def warn(self, rel: str, message: str) -> None:
        self.result.warnings.append(WalkWarning(rel, message))

    def rel(self, path: str) -> str:
        return os.path.relpath(path, self.root)

    def list_dir(self, path: str) -> list[os.DirEntry] | None:
        """Entries of a folder, or None with a warning if it cannot be read."""
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in self.seen_dirs:
                self.warn(self.rel(path), "symlink loop or second link to a folder already walked")
                return None
            self.seen_dirs.add(key)
            with os.scandir(path) as it:
                entries = [e for e in it]
        except OSError as e:
            self.warn(self.rel(path), f"cannot read folder: {e.strerror or e}")
            self.result.blind_spots.append(self.rel(path))
            return None
        self.result.dirs_walked += 1
        if self.progress and self.result.dirs_walked % 200 == 0:
            self.progress(self.result)
        good = []
        for entry in entries:
            if _odd_name(entry.name):
                self.warn(self.rel(path), f"skipped an entry with an unprintable name: {entry.name!r}")
            else:
                good.append(entry)
        return good

    def walk(self) -> WalkResult:
        try:
            os.scandir(self.root).close()
        except OSError as e:
            raise RootUnreadable(f"scan root {self.root} cannot be read: {e.strerror or e}") from e
        self.find_runs(self.root, 0)
        if self.progress:
            self.progress(self.result)
        return self.result

    def find_runs(self, path: str, depth: int) -> None:
        entries = self.list_dir(path)
        if entries is None:
            return
        names = {e.name for e in entries}
        if depth == 1 and names & set(self.options.skip_markers):
            self.result.blind_spots.append(self.rel(path))
            return
        if depth >= 1 and self.is_run(path, names):
            self.result.runs.append(self.read_run(path, entries, names))
            return
        if depth >= self.options.max_depth:
            return
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name in self.options.never_descend or entry.name.startswith("."):
                continue
            if _is_dir(entry):
                self.find_runs(entry.path, depth + 1)

    def is_run(self, path: str, names: set[str]) -> bool:
        markers = self.options.completion_markers
        if names.intersection(markers):
            return True
        for marker_dir in MARKER_DIRS[1:]:
            if marker_dir.partition("/")[0] in names:
                if any(os.path.isfile(f"{path}/{marker_dir}/{m}") for m in markers):
                    return True
        return False

    def read_run(self, path: str, entries: list[os.DirEntry], names: set[str]) -> FoundRun:
        run = FoundRun(self.rel(path))
        if names & set(self.options.skip_markers):
            run.skipped = True
            run.fingerprint = "skipped"
            return run
        digest = hashlib.blake2b(digest_size=16)
        profile = self.options.profile
        for entry in entries:  # run-root files: sheet, XML, markers
            if not _is_dir(entry):
                self.add_file(run, entry, entry.name, digest, root_level=True)
        for out in profile.output_dirs:
            if out in names:
                self.list_output(run, f"{path}/{out}", out, digest)
        run.fingerprint = digest.hexdigest()
        return run

    def list_output(self, run: FoundRun, path: str, rel: str, digest) -> None:
        entries = self.list_dir(path)
        if entries is None:
            run.unlisted.append(rel)
            return
        digest.update(f"D{rel}\n".encode())
        for entry in sorted(entries, key=lambda e: e.name):
            child = f"{rel}/{entry.name}"
            if _is_dir(entry):
                if entry.name not in self.options.never_descend:
                    self.list_output(run, entry.path, child, digest)
            else:
                self.add_file(run, entry, child, digest, root_level=False)

    def add_file(self, run: FoundRun, entry: os.DirEntry, rel: str, digest, root_level: bool) -> None:
        self.result.files_seen += 1
        file_type = self.options.profile.classify(rel)
        try:
            st = entry.stat()
            size, mtime_ns, error = st.st_size, st.st_mtime_ns, ""
            if not stat.S_ISREG(st.st_mode):
                error = "not a regular file"
        except FileNotFoundError:
            if not entry.is_symlink():
                self.warn(f"{run.path}/{rel}", "file vanished while scanning")
                return
            size, mtime_ns, error = -1, 0, "broken symlink"
        except OSError as e:
            size, mtime_ns, error = -1, 0, f"cannot stat: {e.strerror or e}"
        digest.update(f"{rel}\t{size}\t{mtime_ns}\n".encode())
        if file_type is None or (root_level and file_type == "unknown"):
            return  # instrument metadata: part of the fingerprint, not a record
        if error:
            self.warn(f"{run.path}/{rel}", error)
        run.files.append(FoundFile(rel, file_type, size, mtime_ns, error))


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def walk(root: str, options: WalkOptions, progress: Progress | None = None) -> WalkResult:
    """Find every run folder below root and list the output files of each."""
    return _Walker(root, options, progress).walk()
