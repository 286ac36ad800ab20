"""The calls that list folders and stat files, for the walk and for Create Models, in one place:
so that the benchmark and the tests can make each of them slow, as a network disk does, and count them.

On NFS or SMB every listing and every stat is a round trip to the server (a millisecond is usual);
`Disk(delay_s=0.001)` simulates that with a blocking sleep before each call, which releases the GIL
as the real call does. It is no setting: seqscan always scans with the plain `Disk()`. Reading a
file's bytes (sample sheet, XML, a BGZF file's last block) and resolving a symlink are not made slow.

Each call is timed too: `slow()` says whether the disk answers slowly enough that a pool of threads
pays off. On a local disk a call takes microseconds, and threads only contend for Python's
interpreter lock (Create Models with 8 of them took about 1.6 times as long); on a network disk each call waits a
round trip, and several wait at once.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Calls that take this long on average are round trips (NFS, SMB, a disk not in the cache): the
# pool is used. A local disk's listing or stat from the cache takes 1-50 microseconds.
SLOW_CALL_S = 0.0001
# Calls timed before the average is trusted.
TIMED_FIRST = 16


class Disk:
    """os.scandir, os.listdir and os.stat, counted (per kind: "list", "stat"), timed and optionally
    delayed. slow_call_s: the average call time above which slow() is true (0: always true)."""

    def __init__(self, delay_s: float = 0.0, slow_call_s: float = SLOW_CALL_S) -> None:
        self.delay_s = delay_s
        self.slow_call_s = slow_call_s
        self.calls: Counter[str] = Counter()
        self.callers: set[str] = set()  # the names of the threads that made calls
        self._timed = 0
        self._took_s = 0.0
        self._lock = threading.Lock()  # the pool's threads count here at once

    def _call(self, kind: str, call: Callable[..., T], *args, **kwargs) -> T:
        start = time.perf_counter()
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return call(*args, **kwargs)
        finally:
            took = time.perf_counter() - start
            with self._lock:
                self.calls[kind] += 1
                self.callers.add(threading.current_thread().name)
                self._timed += 1
                self._took_s += took

    def slow(self) -> bool:
        """Whether the calls so far took long enough on average that a pool of threads pays off."""
        if self.slow_call_s <= 0:
            return True
        timed = self._timed
        return timed >= TIMED_FIRST and self._took_s / timed >= self.slow_call_s

    def open_dir(self, path: str) -> None:
        """Raises OSError unless path is a folder that can be listed."""
        self._call("list", lambda: os.scandir(path).close())

    def scandir(self, path: str) -> list[os.DirEntry]:
        return self._call("list", _listed, path)

    def listdir(self, path: str) -> list[str]:
        return self._call("list", os.listdir, path)

    def stat(self, path: str) -> os.stat_result:
        """Of the file itself, or of a symlink's target."""
        return self._call("stat", os.stat, path)

    def lstat(self, path: str) -> os.stat_result:
        """Of the symlink itself, if path is one."""
        return self._call("stat", os.stat, path, follow_symlinks=False)

    def isfile(self, path: str) -> bool:
        try:
            return stat.S_ISREG(self.stat(path).st_mode)
        except (OSError, ValueError):  # as os.path.isfile
            return False

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except (OSError, ValueError):  # as os.path.exists
            return False
        return True

    def lexists(self, path: str) -> bool:
        try:
            self.lstat(path)
        except (OSError, ValueError):  # as os.path.lexists
            return False
        return True

    def islink(self, path: str) -> bool:
        try:
            return stat.S_ISLNK(self.lstat(path).st_mode)
        except (OSError, ValueError):  # as os.path.islink
            return False


def _listed(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return list(it)


# The disk as it is: what every caller that is given none uses.
DIRECT = Disk()
