"""Naming a process as host:pid, and telling whether such a process is known to be dead."""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive_here(holder: str) -> bool:
    """True if holder runs on this machine and its process exists (it may be busy, or frozen)."""
    host, _, pid = holder.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not died_here(holder)


def died_here(holder: str) -> bool:
    """True if holder ran on this machine and its process is gone (killed, crashed).

    Holders on other machines are never known dead here: for them only a silent heartbeat counts.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        pass
    return False


def worker_name() -> str:
    """The RQ name of this worker process: seqscan-<host>-<pid>."""
    return f"seqscan-{socket.gethostname()}-{os.getpid()}"


def holder_of_worker(name: str) -> str:
    """host:pid from a worker_name() (what died_here and alive_here take)."""
    prefix, _, pid = name.rpartition("-")
    return f"{prefix.removeprefix('seqscan-')}:{pid}"
