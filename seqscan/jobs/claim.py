"""Which worker serves the scan queue: a Redis key naming it, refreshed while it lives.

RQ's own worker registry cannot say whether a worker is alive mid-scan (a SimpleWorker sends no
heartbeat while its job runs, and its key outlives a SIGKILL by the job timeout), so the one worker
of the queue keeps this claim fresh from a thread.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from seqscan.jobs import keys
from seqscan.jobs.processes import died_here, this_process

OWNER_TTL = 30  # seconds a worker's claim on the queue outlives it
CHECK_SECONDS = 1  # how often the claim is looked at (a restarted Redis has lost it)
log = logging.getLogger("seqscan.worker")


class QueueClaim:
    """The claim of one worker process on one queue."""

    def __init__(self, connection: Redis, queue_name: str) -> None:
        self.connection, self.queue_name, self.key = connection, queue_name, keys.worker_claim(queue_name)
        self.me = this_process()
        self.stop = threading.Event()

    def take(self) -> str | None:
        """None if claimed, else the live holder."""
        if self.connection.set(self.key, self.me, nx=True, ex=OWNER_TTL):
            return None
        holder = live_worker(self.connection, self.queue_name)
        if holder is None:  # its worker died on this machine: no need to wait for the key to expire
            self.connection.delete(self.key)
            return self.take()
        return holder

    def keep(self) -> None:
        """Keep the claim from a thread until released. It looks every second, so that after a Redis
        restart (which loses the key) the claim is back as soon as Redis answers; it refreshes the
        expiry every OWNER_TTL / 3 seconds."""

        def refresh() -> None:
            refreshed = time.monotonic()
            while not self.stop.wait(CHECK_SECONDS):
                try:
                    if not self.connection.exists(self.key) or time.monotonic() - refreshed >= OWNER_TTL / 3:
                        self.renew()
                        refreshed = time.monotonic()
                except RedisError as e:
                    log.warning("queue claim not refreshed (Redis: %s); trying again in %s s", e, CHECK_SECONDS)

        threading.Thread(target=refresh, name="queue-claim", daemon=True).start()

    def renew(self) -> None:
        holder = (self.connection.get(self.key) or b"").decode()
        if holder and holder != self.me:
            log.error("queue %s is claimed by another worker (%s) as well as this one", self.queue_name, holder)
            return
        self.connection.set(self.key, self.me, ex=OWNER_TTL)
        if not holder:
            log.info("queue claim put back (Redis had lost it)")

    def release(self) -> None:
        self.stop.set()
        try:
            if (self.connection.get(self.key) or b"").decode() == self.me:
                self.connection.delete(self.key)
        except RedisError:  # the key expires by itself
            pass


def live_worker(connection: Redis, queue_name: str, data_dir: str | None = None) -> str | None:
    """host:pid of the live worker of the queue, or None.

    data_dir: also look at this machine's worker lock file (worker.py writes its pid there), which
    knows the worker while a restarted Redis has not got its claim back yet.
    """
    holder = (connection.get(keys.worker_claim(queue_name)) or b"").decode()
    if holder and not died_here(holder):
        return holder
    return local_worker(data_dir, queue_name) if data_dir else None


def lock_path(data_dir: str | Path, queue_name: str) -> Path:
    """The file a worker of the queue keeps locked on this machine (see worker.py)."""
    return Path(data_dir) / f"worker-{queue_name}.lock"


def local_worker(data_dir: str, queue_name: str) -> str | None:
    """host:pid of the process holding the queue's worker lock file on this machine (the kernel's
    own list of locks, /proc/locks, says who: a dead worker holds none), or None."""
    try:
        inode = lock_path(data_dir, queue_name).stat().st_ino
        locks = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in locks.splitlines():  # "1: FLOCK  ADVISORY  WRITE 1234 08:01:567890 0 EOF"
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            return f"{socket.gethostname()}:{fields[4]}"
    return None
