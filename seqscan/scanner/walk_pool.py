"""Scanning Files with a pool of threads (SCAN_THREADS above 1): the serial walk's outcome, in its
order, with the folders read by several threads at once. Filesystem only.

Each folder of the search for runs is read by a thread of the pool with a walker of its own: a run
folder with all its output folders, a kit folder with its listing (its sub-folders are then handed
to the pool in turn). The calling thread takes these parts in the order the serial walk reads the
folders, adds each part's findings, and asks the symlink rule (which warns) in that order too.

Folders are handed to the pool only while the disk is slow (Disk.slow: calls of round-trip length,
as on a network disk); until then, and on a local disk throughout, the calling thread reads each
part itself when it comes to it, as the serial walk would: there threads only contend.

The serial walk enters a folder reached twice (a second link to it, a loop) only once, and warns the
second time. A part read alone cannot know what the folders before it entered: a part that entered a
folder an earlier part entered is thrown away and that folder walked again serially, as the serial
walk would, so the outcome does not depend on the pool, whatever the links.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from seqscan.scanner.found import WalkResult

if TYPE_CHECKING:
    from seqscan.scanner.walk import _Walker


class _Part(NamedTuple):
    walker: _Walker  # its own findings (result, seen_dirs)
    children: list[os.DirEntry]  # the folders to search next, as _Walker.visit returned them
    pooled: bool  # whether the children were handed to the pool as it was read


def _alone(walker: _Walker) -> _Walker:
    """A walker of the same root, options, snapshot and disk with findings of its own, for one folder
    read in the pool: it hands its run to on_run itself, but reports no progress and makes no pause
    (the calling thread does, as it adds the part's findings, in order)."""
    part = copy.copy(walker)
    part.progress, part.pause_s = None, 0.0
    part.result = WalkResult()
    part.seen_dirs = set()
    return part


def _absorb(walker: _Walker, part: _Walker) -> None:
    """Add what part found to walker's findings, as if walker had found it itself."""
    found = part.result
    walker.result.runs.extend(found.runs)
    walker.result.warnings.extend(found.warnings)
    walker.result.blind_spots.extend(found.blind_spots)
    walker.result.skipped_folders.update(found.skipped_folders)
    walker.result.dirs_walked += found.dirs_walked
    walker.result.dirs_reused += found.dirs_reused
    walker.result.files_seen += found.files_seen
    walker.seen_dirs |= part.seen_dirs
    if found.runs:  # one at most
        walker.found_run()
    elif walker.progress:
        walker.progress(walker.result)


def walk_pooled(walker: _Walker, threads: int) -> None:
    """Find the runs below walker.root into walker.result, as walker.find_runs(walker.root, 0) does."""
    pool = ThreadPoolExecutor(threads, thread_name_prefix="seqscan-walk")
    ahead: dict[str, Future[_Part]] = {}  # folders being read, by path

    def read(path: str, depth: int) -> _Part:
        part = _alone(walker)
        children = part.visit(path, depth)
        return _Part(part, children, spawn(children, depth + 1))

    def spawn(children: list[os.DirEntry], depth: int) -> bool:
        """Hand the folders to the pool, if the disk is slow (else the calling thread reads them)."""
        if not walker.disk.slow():
            return False
        for entry in children:
            try:  # a link leading out is not read at all; followable warns of it in turn
                wanted = not entry.is_symlink() or walker.leads_inside(entry)
            except OSError:
                wanted = True  # followable will raise what the serial walk raises
            if wanted:
                ahead[entry.path] = pool.submit(read, entry.path, depth)
        return True

    def take(path: str, depth: int, part: _Part) -> None:
        if part.walker.seen_dirs & walker.seen_dirs:  # entered a folder walked already: as the serial walk does
            walker.find_runs(path, depth)
            return
        _absorb(walker, part.walker)
        follow(part.children, depth + 1, part.pooled)

    def follow(children: list[os.DirEntry], depth: int, pooled: bool) -> None:
        for i, entry in enumerate(children):
            if not pooled:  # the disk may have shown itself slow since: the rest to the pool
                pooled = spawn(children[i:], depth)
            if walker.followable(entry):
                future = ahead.pop(entry.path, None)
                # Not in the pool: a fast disk, or a link the pool did not follow that leads inside now.
                take(entry.path, depth, read(entry.path, depth) if future is None else future.result())

    try:
        children = walker.visit(walker.root, 0)
        follow(children, 1, spawn(children, 1))
    finally:  # a scan stopped mid-walk (its check raised) does not wait for the whole tree
        pool.shutdown(wait=True, cancel_futures=True)
