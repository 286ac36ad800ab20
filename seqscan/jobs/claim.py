"""Which worker serves the scan queue: a Redis key naming it, refreshed while it lives.

RQ's own worker registry cannot say whether a worker is alive mid-scan (a SimpleWorker sends no
heartbeat while its job runs, and its key outlives a SIGKILL by the job timeout), so the one worker
of the queue keeps this claim fresh from a thread.
"""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis
from redis.exceptions import RedisError

from seqscan.jobs import keys
from seqscan.jobs.processes import died_here, this_process
from seqscan.jobs.worker_lock import local_worker

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

    data_dir: also look at this machine's worker lock file (seqscan.jobs.worker_lock), which
    knows the worker while a restarted Redis has not got its claim back yet.
    """
    holder = (connection.get(keys.worker_claim(queue_name)) or b"").decode()
    if holder and not died_here(holder):
        return holder
    return local_worker(data_dir, queue_name) if data_dir else None
