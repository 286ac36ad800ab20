"""Which worker serves the scan queue: a Redis key naming it, refreshed while it lives.

RQ's own worker registry cannot say whether a worker is alive mid-scan (a SimpleWorker sends no
heartbeat while its job runs, and its key outlives a SIGKILL by the job timeout), so the one worker
of the queue keeps this claim fresh from a thread, every OWNER_TTL / 3 seconds.
"""

from __future__ import annotations

import threading

from redis import Redis

from seqscan.jobs.processes import died_here, this_process

OWNER_TTL = 30  # seconds a worker's claim on the queue outlives it


class QueueClaim:
    """The claim of one worker process on one queue."""

    def __init__(self, connection: Redis, queue_name: str) -> None:
        self.connection, self.queue_name, self.key = connection, queue_name, claim_key(queue_name)
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
        def refresh() -> None:
            while not self.stop.wait(OWNER_TTL / 3):
                self.connection.set(self.key, self.me, xx=True, ex=OWNER_TTL)

        threading.Thread(target=refresh, name="queue-claim", daemon=True).start()

    def release(self) -> None:
        self.stop.set()
        if (self.connection.get(self.key) or b"").decode() == self.me:
            self.connection.delete(self.key)


def claim_key(queue_name: str) -> str:
    return f"seqscan:worker-of:{queue_name}"


def live_worker(connection: Redis, queue_name: str) -> str | None:
    """host:pid of the live worker of the queue, or None."""
    holder = (connection.get(claim_key(queue_name)) or b"").decode()
    return None if not holder or died_here(holder) else holder
