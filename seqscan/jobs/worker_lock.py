"""One worker of a queue (and one scheduler) per machine: a lock file the process holds for its life
(the kernel drops the lock when the process dies, however it dies), which says who it is even while
Redis is down or restarting and has not got its claim (seqscan.jobs.claim) back yet."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO


def lock_this_machine(path: Path) -> IO | None:
    """The open, locked lock file if no other worker of the queue runs on this machine, else None.
    Keep it referenced: closing the file drops the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 (held until exit)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def lock_path(data_dir: str | Path, queue_name: str, role: str = "worker") -> Path:
    """The file the queue's worker (role "scheduler": its scheduler) keeps locked on this machine (see lock_this_machine)."""
    return Path(data_dir) / f"{role}-{queue_name}.lock"


def local_worker(data_dir: str, queue_name: str, role: str = "worker") -> str | None:
    """host:pid of the process holding the queue's worker (or scheduler) lock file on this machine
    (the kernel's own list of locks, /proc/locks, says who: a dead worker holds none), or None."""
    try:
        inode = lock_path(data_dir, queue_name, role).stat().st_ino
        locks = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in locks.splitlines():  # "1: FLOCK  ADVISORY  WRITE 1234 08:01:567890 0 EOF"
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            return f"{socket.gethostname()}:{fields[4]}"
    return None
