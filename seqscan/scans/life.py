"""A scan record's life: create, advance, finish, fail; the only writer of a scan's state.

Every change of a ScanRun's state goes through here, so every end has a finish time, an end
reason and one message, and each is logged once. Who decides that a scan ends (the scan's run,
the queue, the dead-scan check in seqscan.jobs) calls in here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update

from seqscan.enums import PHASES, WORKING, EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import OperatorAction, ScanRun, utcnow
from seqscan.roots import Root
from seqscan.scans.files import folder
from seqscan.scans.queries import all_waiting

log = logging.getLogger("seqscan.scan")
log.setLevel(logging.INFO)  # every scan's own scan.log holds its INFO lines, whoever runs it


class ScanRefused(Exception):
    """A scan cannot be queued or started; the message says why."""


def create(
    root: Root, trigger: Trigger, requested_by: str = "", reuse: int | None = None, accept_vanished: bool = False
) -> ScanRun:
    """Record a new scan (Created) of root, read with the root's layout, and who asked for it.
    accept_vanished: the runs a mass-deletion guard would refuse to mark Deleted are marked so."""
    scan = ScanRun(
        root=root.path, layout=root.layout, trigger=trigger, requested_by=requested_by, reused_scan_id=reuse,
        accept_vanished=accept_vanished,
    )  # fmt: skip
    db.session.add(scan)
    db.session.flush()
    reused = f", re-using the lists of scan {reuse}" if reuse else ""
    accepting = ", accepting runs gone from disk as Deleted" if accept_vanished else ""
    record_action(requested_by, f"requested a scan of {scan.root} ({trigger}{reused}{accepting})", scan.id)
    db.session.commit()
    return scan


def record_action(
    who: str, action: str, scan_id: int | None = None, reason: str = "", run_pk: int | None = None
) -> OperatorAction:
    """Keep an operator's action in the append-only history (committed with the caller's transaction);
    the reason as one line, however it was typed."""
    done = OperatorAction(who=who, action=action, scan_id=scan_id, reason=one_line(reason), run_pk=run_pk)
    db.session.add(done)
    return done


def one_line(text: str) -> str:
    """An operator's typed reason on one line: runs of spaces and line breaks become one space."""
    return " ".join(text.split())


def cancel(scan: ScanRun, who: str, reason: str = "") -> bool:
    """An operator cancels a scan that waits (Created): it ends in Error, cancelled, with who and why.
    Returns whether it was cancelled (False: it started or ended meanwhile; nothing is changed)."""
    reason = one_line(reason)
    detail = f"by {who}" + (f": {reason}" if reason else "") + " while it waited"
    if not fail(scan, EndReason.CANCELLED, detail, if_state=ScanState.CREATED):
        return False
    record_action(who, f"cancelled scan #{scan.id} while it waited", scan.id, reason)
    db.session.commit()
    return True


def advance(scan: ScanRun, phase: ScanState) -> None:
    """Start a working phase: its state and start time; phases only move forward."""
    order = [p.state for p in PHASES]
    if phase not in order:
        raise ValueError(f"{phase} is not a working phase")
    backwards = scan.state.is_working and order.index(phase) <= order.index(scan.state)
    if backwards or not scan.state.is_active:
        raise ValueError(f"scan {scan.id} cannot go from {scan.state} to {phase}")
    scan.state = phase
    setattr(scan, PHASES[order.index(phase)].start_column, utcnow())
    db.session.commit()
    log.info("scan %s: %s", scan.id, phase)


def record_task(scan: ScanRun, task_id: str) -> None:
    """The RQ job that runs the scan (its id is derived from the queue and the scan: seqscan.jobs.keys)."""
    scan.task_id = task_id
    db.session.commit()


def finish(scan: ScanRun) -> None:
    """Finished, now."""
    scan.state, scan.finished, scan.error, scan.end_reason = ScanState.FINISHED, utcnow(), "", EndReason.FINISHED
    db.session.commit()
    log.info("scan %s: %s", scan.id, ScanState.FINISHED)


def fail(scan: ScanRun, reason: EndReason, detail: str, *, if_state: ScanState | None = None) -> bool:
    """Error, now, for reason, unless the scan has ended already. Returns whether it was set.

    detail: what the reason's words (EndReason.says) are followed by: a line, or a traceback.

    if_state: only if the scan is still in that state in the database (it may have moved on since
    it was read: a scan thought dead that finished meanwhile is left alone).
    """
    db.session.rollback()  # whatever the failed work left unflushed is not part of the record
    message = reason.says(detail)
    states = [if_state] if if_state else [s for s in ScanState if s.is_active]
    where = [ScanRun.id == scan.id, ScanRun.state.in_(states)]
    done = db.session.execute(
        update(ScanRun)
        .where(*where)
        .values(state=ScanState.ERROR, end_reason=reason, error=message, finished=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(scan)
    if done.rowcount == 1:
        log.error("scan %s: %s: %s", scan.id, ScanState.ERROR, scan.error_line)
    return done.rowcount == 1


def keep_log(scan: ScanRun, limit: int = 256 * 1024) -> None:
    """Keep the scan's log with the scan (the tail, if huge): the scan folder is pruned later."""
    try:
        text = (folder(scan.id) / "scan.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    scan.log = text if len(text) <= limit else "[... earlier lines cut ...]\n" + text[-limit:]
    db.session.commit()


def fail_dead(
    live_scan_ids: Callable[[], set[int]],
    job_state: Callable[[str], str | None] | None,
    why_dead: Callable[[int], str] = lambda scan_id: "its process stopped",
) -> list[int]:
    """Fail scans whose process is gone; returns their ids. The evidence comes from seqscan.jobs.

    live_scan_ids(): the scans that hold a live scan lock (one per queue); any other scan in a
    working phase was interrupted. It is asked after the working scans are read: a scan takes the lock before it
    starts working, so one that started meanwhile is seen holding it. job_state(task_id): what the
    queue knows of a waiting scan's job ("missing", "failed", ...); None when the queue cannot be
    asked, and then waiting scans are left alone. why_dead(scan_id): how a working scan was found
    dead ("its process is gone", "no heartbeat for 35 s"), for its error.
    """
    resolved = []
    working = db.session.scalars(select(ScanRun).where(ScanRun.state.in_(WORKING))).all()
    live = live_scan_ids()
    for scan in working:
        if scan.id in live:
            continue
        detail = f"during {scan.state}: {why_dead(scan.id)}"
        if fail(scan, EndReason.INTERRUPTED, detail, if_state=scan.state):
            resolved.append(scan.id)
    for scan in all_waiting() if job_state is not None else []:
        state = job_state(scan.task_id)
        if scan.id in live or state in (None, "queued", "started", "deferred", "scheduled"):
            continue
        why = "its queue job is gone from Redis" if state == "missing" else f"its queue job is {state}"
        if fail(scan, EndReason.NEVER_STARTED, why, if_state=ScanState.CREATED):
            resolved.append(scan.id)
    return resolved
