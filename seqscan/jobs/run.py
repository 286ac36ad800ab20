"""Running one scan: its log file, the scan lock and heartbeat around the scanner, and how it ends.

`flask scan` calls run_scan in the foreground; the worker calls run_queued_scan (the RQ job).
A worker asked to shut down (its first SIGTERM) sets `shutdown`: the running scan stops at the
next run boundary, is recorded as stopped and queued again for the next worker. So is a scan whose
database connection was lost (PostgreSQL restarted, a backend terminated) outside the runs it writes.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from datetime import timedelta
from functools import partial

from flask import has_app_context
from sqlalchemy import func, select

from seqscan import alerts, roots, scans
from seqscan.dberrors import is_disk_full, is_outage, reason
from seqscan.enums import EndReason, ScanState
from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.jobs.outage import rollback as _rollback
from seqscan.jobs.outage import when_back
from seqscan.jobs.scanqueue import ScanEndedInError, enqueue_scan, refusal
from seqscan.models import ScanRun, utcnow
from seqscan.scanner.guards import TooManyVanished
from seqscan.scanner.pipeline import prune_lists, scan_disk
from seqscan.scanner.walk import RootUnreadable

log = logging.getLogger("seqscan.scan")
shutdown = threading.Event()  # set by the worker's first SIGTERM (see worker.py)


class Stopped(RuntimeError):
    """The process running the scan is shutting down."""


class Cancelled(RuntimeError):
    """An operator cancelled the scan while it waited for the scan lock (its record says so already)."""


# Failures whose message says it all, and why each ends a scan; any other exception is kept
# with its traceback, as FAILED.
PLAIN_FAILURES = {
    scans.ScanRefused: EndReason.REFUSED,
    RootUnreadable: EndReason.ROOT_UNREADABLE,
    TooManyVanished: EndReason.TOO_MANY_VANISHED,
    lock.LockLost: EndReason.LOST_LOCK,
    Stopped: EndReason.SHUT_DOWN,
    Cancelled: EndReason.CANCELLED,
}


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _phase_of(scan: ScanRun) -> str:
    try:
        return str(db.session.get(ScanRun, scan.id, populate_existing=True).state)
    except Exception:  # the database is still away: say so rather than fail again
        return "an unknown phase"


def record_failure(scan: ScanRun, e: Exception) -> None:
    """Record a failed scan: a plain failure by its message, any other with its traceback and, as
    the last line the pages show, the exception's own first line."""
    for failure, end_reason in PLAIN_FAILURES.items():
        if isinstance(e, failure):
            scans.fail(scan, end_reason, str(e))
            return
    log.exception("scan %s failed", scan.id)
    scans.fail(scan, EndReason.FAILED, f"{traceback.format_exc().rstrip()}\n{type(e).__name__}: {_first_line(e)}")


def _record_outage(scan: ScanRun, scan_id: int, e: Exception) -> None:
    """The database went away under the scan: as soon as it can be written again, the scan is
    stopped (to be queued again) with how long it was away, or, for a full disk, an Error saying so."""
    away_since = time.monotonic()
    _rollback()
    log.warning("scan %s: the database went away: %s", scan_id, reason(e))

    def record() -> None:
        away, phase = time.monotonic() - away_since, _phase_of(scan)
        if is_disk_full(e):
            scans.fail(scan, EndReason.DISK_FULL, f"{reason(e)} (during {phase}; free space, then scan again)")
        elif away < 2:  # a connection cut (a backend terminated, a restart): it answered again at once
            detail = f"the database connection was lost during {phase}: {reason(e)}"
            scans.fail(scan, EndReason.DATABASE_LOST, detail)
        else:
            detail = f"the database was unreachable for {away:.0f} s during {phase}: {reason(e)}"
            scans.fail(scan, EndReason.DATABASE_AWAY, detail)

    when_back(record, give_up=shutdown.is_set)


def _each_once_back(step, what: str, scan_id: int) -> None:
    """Run one step of a scan's end, waiting for the database if it is away; log, never raise."""
    try:
        when_back(step, give_up=shutdown.is_set)
    except Exception:
        log.exception("could not %s %s", what, scan_id)


def run_scan(scan: ScanRun, full: bool = False, wait: bool = False, on_wait=None) -> ScanRun:
    """Run a Created scan to its end (Finished or Error); never raises for a failed scan.

    full: re-parse every run, even unchanged ones. wait: if another scan holds the scan lock, wait
    for it (on_wait(holder) is told once) instead of refusing. A scan recorded with accept_vanished
    marks runs gone Deleted however many are gone (see scan_disk).
    """
    scan_id = scan.id  # for the log while the database is away (the row cannot be read then)
    folder = scans.folder(scan_id)
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "scan.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    locked = False

    def stop_if_shutting_down() -> None:
        if shutdown.is_set():
            where = f"during {scan.state}" if scan.state.is_working else "before it started"
            raise Stopped(f"the worker was shut down {where}")

    def stop_if_cancelled() -> None:  # while it waits, and once it holds the lock, before it works
        stop_if_shutting_down()
        db.session.refresh(scan)
        db.session.commit()  # no transaction held open between looks (SQLite: one writer)
        if scan.state != ScanState.CREATED:
            log.info("scan %s was cancelled while it waited: %s", scan_id, scan.error_line)
            raise Cancelled(f"scan {scan_id} was cancelled while it waited: {scan.error_line}")

    try:
        queue = roots.of_scan(scan.root, scan.layout).queue  # one scan at a time on each queue
        if wait:
            lock.wait_for_lock(scan.id, queue, on_wait=on_wait, check=stop_if_cancelled)
        elif not lock.try_acquire(scan.id, queue):
            holder = lock.live_holder(queue)
            running = f"scan {holder.scan_id} is running ({holder.holder})" if holder else "another scan is running"
            raise scans.ScanRefused(f"{running}; only one scan runs at a time on queue {queue}")
        locked = True
        stop_if_cancelled()
        with lock.Heartbeat(scan.id) as heartbeat:

            def check() -> None:  # between runs and phases
                heartbeat.check()
                stop_if_shutting_down()

            try:
                scan_disk(scan, check, full, scan.accept_vanished)
            except BaseException:
                # Free the database before the heartbeat thread is joined: on SQLite its next beat
                # may be waiting for the write lock this session holds.
                db.session.rollback()
                raise
            scans.finish(scan)  # commits, inside the block for the same reason
    except Exception as e:
        if is_outage(e):
            _record_outage(scan, scan_id, e)
        else:
            when_back(partial(record_failure, scan, e), give_up=shutdown.is_set)
    except BaseException as e:  # SystemExit (a second SIGTERM), KeyboardInterrupt (Ctrl-C): at once
        phase = scan.state
        how = "interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else "the process was stopped at once"
        scans.fail(scan, EndReason.KILLED, f"{how} during {phase}")
        raise
    finally:
        # Each step on its own: a failure to record the end must never keep the scan lock.
        _each_once_back(lambda: scans.keep_log(scan), "keep the log of scan", scan_id)
        log.removeHandler(handler)
        handler.close()
        if locked:
            _each_once_back(lambda: lock.release(scan_id), "release the scan lock of scan", scan_id)
        _each_once_back(prune_lists, "prune the lists after scan", scan_id)
        alerts.after_scan(scan)  # last: a slow channel must not hold the scan lock; never raises
    return scan


def _lost_again(scan: ScanRun) -> bool:
    """A second scan within 10 minutes that lost its database connection is not queued again: the
    database is not coming back on its own (the next scheduled scan will try)."""
    if not (scan.end_reason and scan.end_reason.lost_database):
        return False
    recent = utcnow() - timedelta(minutes=10)
    return bool(
        db.session.scalar(
            select(func.count()).where(
                ScanRun.id != scan.id,
                ScanRun.finished >= recent,
                ScanRun.end_reason.in_([r for r in EndReason if r.lost_database]),
            )
        )
    )


def run_queued_scan(scan_id: int) -> str:
    """The RQ job: run scan scan_id, waiting for the scan lock if a command-line scan holds it."""
    if not has_app_context():  # a plain `rq worker`: it has no app, and a task builds none itself
        raise RuntimeError("seqscan's scans run in its own worker, `python worker.py`, which gives them the app")
    try:
        # A job picked up while the database is away waits for it rather than failing unrecorded.
        scan = when_back(lambda: db.session.get(ScanRun, scan_id), give_up=shutdown.is_set)
        if scan is None:
            raise LookupError(f"scan {scan_id} is not in the database")
        if scan.state != ScanState.CREATED:
            return f"scan {scan_id} is {scan.state}; nothing to do"
        why = refusal()
        if why:
            scans.fail(scan, EndReason.REFUSED, why)
            raise ScanEndedInError(f"scan {scan_id} ended in Error: {scan.error}")

        def waiting(holder) -> None:
            log.info("scan %s waits for scan %s to finish", scan_id, holder.scan_id if holder else "?")

        try:
            run_scan(scan, wait=True, on_wait=waiting)
        finally:
            stopped = scan.end_reason is not None and scan.end_reason.is_stop
            if stopped and not when_back(lambda: _lost_again(scan), give_up=shutdown.is_set):
                try:
                    again, _ = enqueue_scan(scan.trigger, scan.requested_by, roots.of_scan(scan.root, scan.layout))
                    log.warning("scan %s was stopped; queued again as scan %s", scan_id, again.id)
                except Exception:  # Redis down, scanning disabled meanwhile: the stop is recorded anyway
                    log.exception("scan %s was stopped and could not be queued again", scan_id)
        if scan.state == ScanState.ERROR and scan.end_reason != EndReason.CANCELLED:
            raise ScanEndedInError(f"scan {scan_id} ended in Error: {scan.error_line}")
        return f"scan {scan_id}: {scan.state}"
    finally:
        # The worker's app context lives as long as the worker: hand the connection back between
        # jobs, so an idle worker holds no transaction and its next job checks out (and pings) a
        # fresh connection, whatever happened to the database meanwhile.
        db.session.remove()
