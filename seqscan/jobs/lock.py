"""One scan at a time per queue: the scan lock, and the heartbeat that proves its holder alive.

Each queue's lock is one database row named by the queue (so `flask scan` of a root and the worker
of its queue share it on SQLite and PostgreSQL alike, with or without Redis); roots on two queues
scan side by side, never two scans on one. The scan holding it refreshes its heartbeat from a thread. A holder
on this machine is alive as long as its process is, whatever its heartbeat says (on SQLite a long
write elsewhere can hold up the beats); a holder on another machine whose heartbeat is older than
STALE_AFTER_SECONDS is taken for dead, and its lock may be taken.
A scan in a working phase that does not hold a live lock was interrupted (see
seqscan.jobs.scanqueue.record_dead_scans; shown so at once by seqscan.jobs.liveness).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from seqscan.extensions import db
from seqscan.jobs.processes import alive_here, died_here, this_process
from seqscan.models import ScanLock, utcnow

log = logging.getLogger("seqscan.scan")


def _stale_cutoff() -> datetime:
    return utcnow() - timedelta(seconds=float(current_app.config["STALE_AFTER_SECONDS"]))


def _live(row: ScanLock | None) -> bool:
    if row is None or row.scan_id is None or row.heartbeat_at is None or died_here(row.holder):
        return False
    return row.heartbeat_at >= _stale_cutoff() or alive_here(row.holder)


def _default(queue: str | None) -> str:
    return queue or current_app.config["SCAN_QUEUE"]


def live_holder(queue: str | None = None) -> ScanLock | None:
    """The queue's lock row (default: the default queue's) if a live scan holds it."""
    row = db.session.get(ScanLock, _default(queue), populate_existing=True)
    return row if _live(row) else None


def live_scan_ids() -> set[int]:
    """The ids of the scans holding a live lock, on every queue."""
    return {row.scan_id for row in db.session.scalars(select(ScanLock)).all() if _live(row)}


def why_dead(scan_id: int) -> str:
    """How a scan without a live lock was found dead, as its error and its page say it."""
    row = db.session.scalars(select(ScanLock).where(ScanLock.scan_id == scan_id)).first()
    if row is None or row.heartbeat_at is None:
        return "its process is gone (it holds no scan lock)"
    if died_here(row.holder):
        return f"its process is gone ({row.holder} no longer runs)"
    silent = (utcnow() - row.heartbeat_at).total_seconds()
    return f"no heartbeat for {silent:.0f} s from {row.holder} (over STALE_AFTER_SECONDS)"


def _row(queue: str) -> ScanLock:
    """The queue's lock row, made the first time the queue is scanned (two processes may both try)."""
    row = db.session.get(ScanLock, queue, populate_existing=True)
    if row is not None:
        return row
    try:
        db.session.add(ScanLock(name=queue, holder=""))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return db.session.get(ScanLock, queue, populate_existing=True)


def try_acquire(scan_id: int, queue: str | None = None) -> bool:
    """Take the queue's lock (default: the default queue's) for scan_id if it is free or its holder
    went silent; commits."""
    queue = _default(queue)
    row = _row(queue)
    takeable = [ScanLock.scan_id.is_(None), ScanLock.scan_id == scan_id]
    if row.scan_id is not None and died_here(row.holder):
        takeable.append(and_(ScanLock.scan_id == row.scan_id, ScanLock.holder == row.holder))
    elif row.scan_id is not None and not alive_here(row.holder):  # on another machine: silent too long
        takeable.append(and_(ScanLock.heartbeat_at < _stale_cutoff(), ScanLock.holder == row.holder))
    result = db.session.execute(
        update(ScanLock)
        .where(ScanLock.name == queue, or_(*takeable))
        .values(scan_id=scan_id, holder=this_process(), heartbeat_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def release(scan_id: int) -> None:
    db.session.execute(update(ScanLock).where(ScanLock.scan_id == scan_id).values(scan_id=None, heartbeat_at=None))
    db.session.commit()


class Heartbeat:
    """Refreshes the lock from a thread while the scan runs; notices if the lock was lost."""

    def __init__(self, scan_id: int) -> None:
        self.scan_id = scan_id
        self.engine: Engine = db.engine
        self.interval = float(current_app.config["HEARTBEAT_SECONDS"])
        self.stop = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._beat, name=f"scan-{scan_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # The caller must have committed or rolled back by now: a beat waiting for SQLite's write
        # lock would otherwise wait out the busy timeout (30 s) before this join returns.
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                with self.engine.begin() as conn:
                    done = conn.execute(
                        update(ScanLock).where(ScanLock.scan_id == self.scan_id).values(heartbeat_at=utcnow())
                    )
                if done.rowcount == 0:
                    # Silent for too long (process stopped?) and another scan took over.
                    self.lost = True
                    log.error("scan %s lost the scan lock to another scan", self.scan_id)
                    return
            except Exception as e:  # a missed beat is survivable; the next one may succeed
                log.warning("scan %s: heartbeat failed: %s", self.scan_id, str(e).strip().splitlines()[0])

    def check(self) -> None:
        """Raise LockLost if another scan took the lock: this one must stop."""
        if self.lost:
            raise LockLost(
                f"scan {self.scan_id} stopped: it lost the scan lock (its process was silent for over "
                f"{current_app.config['STALE_AFTER_SECONDS']} s and another scan started)"
            )


class LockLost(RuntimeError):
    pass


def wait_for_lock(scan_id: int, queue: str, poll_seconds: float = 2.0, on_wait=None, check=lambda: None) -> None:
    """Block until scan_id holds the queue's lock; on_wait(holder) is called once when it has to
    wait, and check() before each try (it raises to stop waiting)."""
    told = False
    while check() or not _try_acquire_or_wait(scan_id, queue):
        if not told and on_wait:
            on_wait(live_holder(queue))
            told = True
        time.sleep(poll_seconds)


def _try_acquire_or_wait(scan_id: int, queue: str) -> bool:
    """try_acquire, where a database busy with another writer (SQLite: "database is locked") is a
    reason to wait, not to give up."""
    try:
        return try_acquire(scan_id, queue)
    except OperationalError as e:
        db.session.rollback()
        log.info("scan %s: the database is busy (%s); waiting", scan_id, str(e).splitlines()[0])
        return False
