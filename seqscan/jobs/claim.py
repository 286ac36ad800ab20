"""Which process is the one of its kind: a Redis key naming it (host:pid), refreshed while it lives.
The worker of a queue holds one (QueueClaim), the installation's scheduler another (seqscan.jobs.schedule).

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
from seqscan.jobs.process_record import ProcessRecord
from seqscan.jobs.processes import died_here, this_process
from seqscan.jobs.worker_lock import local_worker

OWNER_TTL = 30  # seconds a worker's claim on the queue outlives it
CHECK_SECONDS = 1  # how often the claim is looked at (a restarted Redis has lost it)
log = logging.getLogger("seqscan.worker")


class Claim:
    """A claim of this process on a key, expiring ttl seconds after its last renewal; `what` names it
    in the log ("queue default", "the scheduler of queue default"). record: what the claimant started
    with (seqscan.jobs.process_record), written, refreshed and removed with the claim."""

    def __init__(self, connection: Redis, key: str, ttl: int, what: str, record: ProcessRecord | None = None) -> None:
        self.connection, self.key, self.ttl, self.what, self.record = connection, key, ttl, what, record
        self.me = this_process()

    def take(self) -> str | None:
        """None if claimed, else the live holder."""
        if self.connection.set(self.key, self.me, nx=True, ex=self.ttl):
            if self.record:
                self.record.write(self.ttl)
            return None
        holder = (self.connection.get(self.key) or b"").decode()
        if not holder or died_here(holder):  # its process died on this machine: no need to wait for the key to expire
            self.connection.delete(self.key)
            return self.take()
        return holder

    def renew(self) -> None:
        """Refresh the claim, or put it back if Redis lost it; never take it from another holder."""
        holder = (self.connection.get(self.key) or b"").decode()
        if holder and holder != self.me:
            log.error("%s is claimed by another process (%s) as well as this one", self.what, holder)
            return
        self.connection.set(self.key, self.me, ex=self.ttl)
        if self.record:
            self.record.write(self.ttl)
        if not holder:
            log.info("claim on %s put back (Redis had lost it)", self.what)

    def release(self) -> None:
        """Remove the claim if it is still this process's (never another's)."""
        try:
            if (self.connection.get(self.key) or b"").decode() == self.me:
                self.connection.delete(self.key)
        except RedisError:  # the key expires by itself
            pass
        if self.record:
            self.record.remove()


class QueueClaim(Claim):
    """The claim of one worker process on one queue."""

    def __init__(self, connection: Redis, queue_name: str, record: ProcessRecord | None = None) -> None:
        super().__init__(connection, keys.worker_claim(queue_name), OWNER_TTL, f"queue {queue_name}", record)
        self.queue_name = queue_name
        self.stop = threading.Event()

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

    def release(self) -> None:
        self.stop.set()
        super().release()


def live_worker(connection: Redis, queue_name: str, data_dir: str | None = None) -> str | None:
    """host:pid of the live worker of the queue, or None.

    data_dir: also look at this machine's worker lock file (seqscan.jobs.worker_lock), which
    knows the worker while a restarted Redis has not got its claim back yet.
    """
    holder = (connection.get(keys.worker_claim(queue_name)) or b"").decode()
    if holder and not died_here(holder):
        return holder
    return local_worker(data_dir, queue_name) if data_dir else None
