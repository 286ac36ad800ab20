"""The calls that list folders and stat files, for the walk and for Create Models, in one place:
so that the benchmark and the tests can make each of them slow, as a network disk does, and count them.

On NFS or SMB every listing and every stat is a round trip to the server (a millisecond is usual);
`Disk(delay_s=0.001)` simulates that with a blocking sleep before each call, which releases the GIL
as the real call does. It is no setting: seqscan always scans with the plain `Disk()`. Reading a
file's bytes (sample sheet, XML, a BGZF file's last block) and resolving a symlink are not made slow.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import Counter


class Disk:
    """os.scandir, os.listdir and os.stat, counted (per kind: "list", "stat") and optionally delayed."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()  # the pool's threads count here at once

    def _call(self, kind: str) -> None:
        with self._lock:
            self.calls[kind] += 1
        if self.delay_s:
            time.sleep(self.delay_s)

    def open_dir(self, path: str) -> None:
        """Raises OSError unless path is a folder that can be listed."""
        self._call("list")
        os.scandir(path).close()

    def scandir(self, path: str) -> list[os.DirEntry]:
        self._call("list")
        with os.scandir(path) as it:
            return list(it)

    def listdir(self, path: str) -> list[str]:
        self._call("list")
        return os.listdir(path)

    def stat(self, path: str) -> os.stat_result:
        """Of the file itself, or of a symlink's target."""
        self._call("stat")
        return os.stat(path)

    def lstat(self, path: str) -> os.stat_result:
        """Of the symlink itself, if path is one."""
        self._call("stat")
        return os.stat(path, follow_symlinks=False)

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


# The disk as it is: what every caller that is given none uses.
DIRECT = Disk()
