"""Scanning Files: find run folders and list the paths in their output folders. Filesystem only.

Files in output folders are listed, not stat'ed: a run's fingerprint is the mtimes of its folders
and a digest of the names recorded in each, plus the stat of its root files (sample sheet, XML).
Given the previous scan's listing, a folder whose mtime is unchanged (and was old enough when it
was listed) is not listed again: an unchanged run costs one listing of the run folder and one stat
per output folder, and its files are those the previous scan stored, not read again (StoredFiles).

With WalkOptions.threads above 1 the folders are read by a pool of threads (walk_pool.py), with
the same outcome in the same order.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from seqscan.layout import UNKNOWN_TYPE, Profile
from seqscan.scanner.confine import below
from seqscan.scanner.disk import DIRECT, Disk
from seqscan.scanner.found import (
    NEVER_REUSE,
    DirListing,
    FoundFile,
    FoundRun,
    Snapshot,
    WalkResult,
    WalkWarning,
    by_folder,
)
from seqscan.scanner.walk_pool import walk_pooled


@dataclass(frozen=True)
class WalkOptions:
    profile: Profile
    skip_markers: tuple[str, ...] = (".variantgrid_skip_flowcell",)
    completion_markers: tuple[str, ...] = ("RTAComplete.txt", "CopyComplete.txt")
    never_descend: frozenset[str] = frozenset({"Data", "Thumbnail_Images", "InterOp", "Logs"})
    max_depth: int = 3
    # A folder's earlier listing is trusted only if its mtime was this much older than that
    # listing: coarse mtimes (NFS, 1 s) and clock skew must not hide a change.
    mtime_margin_ns: int = 60 * 10**9
    pause_per_run_s: float = 0.0  # to watch a scan of a small tree (demo, tests); 0 in production
    # Besides the scan root, the folders that symlinked folders may lead into (other volumes).
    symlink_roots: tuple[str, ...] = ()
    # Threads that list folders and stat files at once (SCAN_THREADS): a network disk answers
    # many calls in the time of one. 1: the walk is serial.
    threads: int = 1

    @property
    def key(self) -> str:
        """What decides a folder's listing: another profile, pruning or symlink rule makes old listings unusable."""
        return f"{self.profile.fingerprint}:{','.join(sorted(self.never_descend))}:{','.join(self.symlink_roots)}"


Progress = Callable[[WalkResult], None]
# Given each run as soon as it is walked (lists.spill stores its files); with threads above 1, in
# the pool's threads, several runs at once (each run once).
OnRun = Callable[[FoundRun], None]


class RootUnreadable(OSError):
    """The scan root itself cannot be listed: the scan fails rather than deleting everything."""


class _Walker:
    def __init__(
        self,
        root: str,
        options: WalkOptions,
        progress: Progress | None,
        snapshot: Snapshot | None,
        on_run: OnRun | None,
        disk: Disk,
    ) -> None:
        self.root = root.rstrip("/") or "/"
        self.options = options
        self.progress = progress
        self.on_run = on_run
        self.pause_s = options.pause_per_run_s
        self.disk = disk
        self.result = WalkResult(started_ns=time.time_ns(), options_key=options.key)
        usable = snapshot is not None and snapshot.options_key == options.key
        self.snapshot = snapshot if usable else None
        self.seen_dirs: set[tuple[int, int]] = set()
        self.skip_markers = set(options.skip_markers)
        # Where a symlinked folder may lead: resolved, so that a link cannot climb out with "..".
        self.allowed = [os.path.realpath(p) for p in (self.root, *options.symlink_roots)]

    def found_run(self) -> None:
        if self.pause_s:
            time.sleep(self.pause_s)
        if self.progress:
            self.progress(self.result)

    def warn(self, path: str, message: str) -> None:
        self.result.warnings.append(WalkWarning(os.path.relpath(path, self.root), message))

    def enter(self, path: str) -> int | None:
        """The folder's mtime_ns, or None with a warning if it cannot be read or was walked already."""
        try:
            st = self.disk.stat(path)
        except OSError as e:
            return self.unreadable(path, e)
        key = (st.st_dev, st.st_ino)
        if key in self.seen_dirs:
            self.warn(path, "symlink loop or second link to a folder already walked; not followed")
            return None
        self.seen_dirs.add(key)
        return st.st_mtime_ns

    def followable(self, entry: os.DirEntry) -> bool:
        """A folder may be walked unless it is a symlink leading outside the allowed roots (warned)."""
        if not entry.is_symlink() or self.leads_inside(entry):
            return True
        self.warn(entry.path, "symlink to a folder outside the scan root: not followed")
        return False

    def leads_inside(self, entry: os.DirEntry) -> bool:
        """Whether a symlinked folder's target lies inside the allowed roots (resolved: no ".." climbs out)."""
        target = os.path.realpath(entry.path)
        return target in self.allowed or below(target, self.allowed)

    def unreadable(self, path: str, error: OSError) -> None:
        self.warn(path, f"cannot read folder: {error.strerror or error}")
        self.result.blind_spots.append(os.path.relpath(path, self.root))

    def list_dir(self, path: str) -> tuple[list[os.DirEntry], int] | None:
        """(entries, the folder's mtime_ns), or None with a warning if it cannot be read."""
        mtime_ns = self.enter(path)
        return None if mtime_ns is None else self.scan_dir(path, mtime_ns)

    def scan_dir(self, path: str, mtime_ns: int) -> tuple[list[os.DirEntry], int] | None:
        try:
            entries = self.disk.scandir(path)
        except OSError as e:
            return self.unreadable(path, e)
        self.result.dirs_walked += 1
        if self.progress and self.result.dirs_walked % 500 == 0:
            self.progress(self.result)
        # Newlines, tabs, control characters and undecodable bytes (surrogates) fail isprintable.
        if not all(e.name.isprintable() for e in entries):
            for e in entries:
                if not e.name.isprintable():
                    self.warn(path, f"skipped an entry with an unprintable name: {e.name!r}")
            entries = [e for e in entries if e.name.isprintable()]
        return entries, mtime_ns

    def walk(self) -> WalkResult:
        try:
            self.disk.open_dir(self.root)
        except OSError as e:
            raise RootUnreadable(f"scan root {self.root} cannot be read: {e.strerror or e}") from e
        if self.options.threads > 1:
            walk_pooled(self, self.options.threads)
        else:
            self.find_runs(self.root, 0)
        if self.progress:
            self.progress(self.result)
        return self.result

    def find_runs(self, path: str, depth: int) -> None:
        for entry in self.visit(path, depth):
            if self.followable(entry):
                self.find_runs(entry.path, depth + 1)

    def visit(self, path: str, depth: int) -> list[os.DirEntry]:
        """Look into one folder of the search for runs: record it if it is a run (with its files) or a
        kit folder skipped by a marker; else the folders to search next, in order (symlinks among them:
        the caller asks followable, which warns)."""
        listed = self.list_dir(path)
        if listed is None:
            return []
        entries, _ = listed
        names = {e.name for e in entries}
        if depth == 1 and names & self.skip_markers:
            rel = os.path.relpath(path, self.root)
            self.result.blind_spots.append(rel)
            self.result.skipped_folders[rel] = min(names & self.skip_markers)
            return []
        markers = self.run_markers(path, names) if depth >= 1 else None
        if markers is not None:
            run = self.read_run(path, entries, names)
            run.markers = markers
            self.result.runs.append(run)
            if self.on_run:
                self.on_run(run)
            self.found_run()
            return []
        if depth >= self.options.max_depth:
            return []
        never = self.options.never_descend
        return [
            e
            for e in sorted(entries, key=lambda e: e.name)
            if e.name not in never and not e.name.startswith(".") and _is_dir(e)
        ]

    def run_markers(self, path: str, names: set[str]) -> tuple[str, ...] | None:
        """The completion markers in a run folder (or its layout's metadata folders); None if it is
        no run folder: neither a marker nor RunInfo.xml. RunInfo.xml alone: a run being sequenced."""
        markers = set(self.options.completion_markers)
        lower = {n.lower() for n in names}  # in any casing: a copy tool's copycomplete.txt counts
        found = {m for m in markers if m.lower() in lower}
        runinfo = "runinfo.xml" in lower
        for marker_dir in (d for d in self.options.profile.metadata_dirs if d):
            if not found and marker_dir.partition("/")[0] in names:
                found = {m for m in markers if self.disk.isfile(f"{path}/{marker_dir}/{m}")}
                runinfo = runinfo or self.disk.isfile(f"{path}/{marker_dir}/RunInfo.xml")
        return tuple(sorted(found)) if found or runinfo else None

    def read_run(self, path: str, entries: list[os.DirEntry], names: set[str]) -> FoundRun:
        run = FoundRun(os.path.relpath(path, self.root))
        if names & self.skip_markers:
            run.skip_marker = min(names & self.skip_markers)
            run.fingerprint = f"skipped:{run.skip_marker}"
            return run
        stamps: list[str] = []  # what the fingerprint is made of
        classify = self.options.profile.classify
        for entry in entries:
            if _is_dir(entry):
                continue
            self.result.files_seen += 1
            try:  # root files are few and decide a lot (the sheet): their stats join the fingerprint
                st = self.disk.stat(entry.path)
                stamps.append(f"{entry.name}\t{st.st_size}\t{st.st_mtime_ns}")
            except OSError as e:
                stamps.append(f"{entry.name}\t{e.errno}")
            file_type = classify(entry.name)
            if file_type is not None and file_type != UNKNOWN_TYPE:
                run.files.append(FoundFile(entry.name, file_type))
        outputs = {e.name: e for e in entries if e.name in self.options.profile.output_dirs}
        reused: set[str] = set()  # output folders whose previous listing stands
        for out in self.options.profile.output_dirs:
            if out in outputs and self.followable(outputs[out]):
                self.list_output(run, f"{path}/{out}", out, stamps, reused)
        stamps.sort()
        run.fingerprint = hashlib.blake2b("\n".join(stamps).encode(), digest_size=16).hexdigest()
        if reused:
            self.reuse_files(run, reused)
        return run

    def reuse_files(self, run: FoundRun, reused: set[str]) -> None:
        """The files of the folders whose listing was re-used: an unchanged run takes the previous
        scan's files as they were stored (not read); a run that changed in part reads them, to put
        each folder's files where the walk would have listed them."""
        before = self.snapshot.unchanged(run) if len(reused) == len(run.dirs) else None
        if before is not None:
            run.files = before.files
            return
        previous, listed = self.snapshot.files_in(run.path), by_folder(run.files)
        files = listed.get("", [])
        for d in run.dirs:
            files += previous.get(d.path, []) if d.path in reused else listed.get(d.path, [])
        run.files = files

    def list_output(self, run: FoundRun, path: str, rel: str, stamps: list[str], reused: set[str]) -> None:
        mtime_ns = self.enter(path)
        kept = self.snapshot and mtime_ns and self.snapshot.get(run.path, rel, mtime_ns, self.options.mtime_margin_ns)
        if kept:
            listing = kept
            reused.add(rel)
            self.result.dirs_reused += 1
            self.result.files_seen += listing.n_files
        else:
            warned = len(self.result.warnings)
            listed = None if mtime_ns is None else self.scan_dir(path, mtime_ns)
            if listed is None:
                run.unlisted.append(rel)
                stamps.append(f"{rel}\tunreadable")
                return
            listing = self.list_entries(run, rel, *listed)
            if len(self.result.warnings) > warned:
                # A listing that raised warnings (a link not followed, an odd name) is never re-used:
                # listed again, the folder warns on every scan, not only the first.
                listing = listing._replace(mtime_ns=NEVER_REUSE)
        run.dirs.append(listing)
        # The names too: a folder re-listed because it was too fresh to trust may hold new names
        # under an unchanged mtime.
        stamps.append(f"{rel}/\t{mtime_ns}\t{listing.names}")
        for sub in listing.subdirs:
            self.list_output(run, f"{path}/{sub}", f"{rel}/{sub}", stamps, reused)

    def list_entries(self, run: FoundRun, rel: str, entries: list[os.DirEntry], mtime_ns: int) -> DirListing:
        profile = self.options.profile
        classify = profile.classify
        files = run.files
        first = len(files)
        subdirs = []
        for entry in entries:
            if _is_dir(entry):
                # A folder never descended into elsewhere is entered where the layout keeps files in it
                # (Analysis/<n>/Data/ of onboard analysis).
                pruned = entry.name in self.options.never_descend and not profile.wants_folder(f"{rel}/{entry.name}")
                if not pruned and self.followable(entry):
                    subdirs.append(entry.name)
                continue
            child = f"{rel}/{entry.name}"
            file_type = classify(child)
            if file_type is not None:
                files.append(FoundFile(child, file_type))
        n_files = len(entries) - len(subdirs)
        self.result.files_seen += n_files
        names = hashlib.blake2b("\n".join(sorted(f.path for f in files[first:])).encode(), digest_size=8).hexdigest()
        return DirListing(rel, mtime_ns, tuple(sorted(subdirs)), n_files, names)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def walk(
    root: str,
    options: WalkOptions,
    progress: Progress | None = None,
    snapshot: Snapshot | None = None,
    on_run: OnRun | None = None,
    disk: Disk = DIRECT,
) -> WalkResult:
    """Find every run folder below root and list the output files of each (each run given to on_run
    once walked; disk: how folders are listed and files stat'ed)."""
    return _Walker(root, options, progress, snapshot, on_run, disk).walk()
