"""The one owner of a scan record's life: create, advance, finish, fail; and the questions asked of scans.

Every change of a ScanRun's state goes through this module, so every end has a finish time and
one message, and each is logged once. Who decides that a scan ends (the scan's run, the queue,
the dead-scan check in seqscan.jobs) calls in here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from seqscan.enums import PHASES, WORKING, DataState, ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import FileEvent, OperatorAction, ScanRun, ScanWarning, SequencingFile, SequencingRun, utcnow

log = logging.getLogger("seqscan.scan")
log.setLevel(logging.INFO)  # every scan's own scan.log holds its INFO lines, whoever runs it
LIST_LIMIT = 50  # rows listed per kind of change (the counts are always complete)


class ScanRefused(Exception):
    """A scan cannot be queued or started; the message says why."""


def folder(scan_id: int) -> Path:
    """The scan's own folder: its found-file lists, its log while it runs, its scripts."""
    return Path(current_app.config["DATA_DIR"]) / "scans" / str(scan_id)


# --- Its life ---


def create(root: str, trigger: Trigger, requested_by: str = "", reuse: int | None = None) -> ScanRun:
    """Record a new scan (Created) of root, as an absolute path, and who asked for it."""
    scan = ScanRun(root=os.path.abspath(root), trigger=trigger, requested_by=requested_by, reused_scan_id=reuse)
    db.session.add(scan)
    db.session.flush()
    reused = f", re-using the lists of scan {reuse}" if reuse else ""
    record_action(requested_by, f"requested a scan of {scan.root} ({trigger}{reused})", scan.id)
    db.session.commit()
    return scan


def record_action(who: str, action: str, scan_id: int | None = None) -> None:
    """Keep an operator's action in the append-only history (committed with the caller's transaction)."""
    db.session.add(OperatorAction(who=who, action=action, scan_id=scan_id))


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


def finish(scan: ScanRun) -> None:
    """Finished, now."""
    scan.state, scan.finished, scan.error = ScanState.FINISHED, utcnow(), ""
    db.session.commit()
    log.info("scan %s: %s", scan.id, ScanState.FINISHED)


def fail(scan: ScanRun, message: str, *, if_state: ScanState | None = None) -> bool:
    """Error, now, with message (a line, or a traceback), unless the scan has ended already.
    Returns whether it was set.

    if_state: only if the scan is still in that state in the database (it may have moved on since
    it was read: a scan thought dead that finished meanwhile is left alone).
    """
    db.session.rollback()  # whatever the failed work left unflushed is not part of the record
    states = [if_state] if if_state else [s for s in ScanState if s.is_active]
    where = [ScanRun.id == scan.id, ScanRun.state.in_(states)]
    done = db.session.execute(
        update(ScanRun)
        .where(*where)
        .values(state=ScanState.ERROR, error=message, finished=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(scan)
    if done.rowcount == 1:
        log.error("scan %s: %s: %s", scan.id, ScanState.ERROR, message.strip().splitlines()[-1] if message else "")
    return done.rowcount == 1


def keep_log(scan: ScanRun, limit: int = 256 * 1024) -> None:
    """Keep the scan's log with the scan (the tail, if huge): the scan folder is pruned later."""
    try:
        text = (folder(scan.id) / "scan.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    scan.log = text if len(text) <= limit else "[... earlier lines cut ...]\n" + text[-limit:]
    db.session.commit()


def fail_dead(live_scan_id: Callable[[], int | None], job_state: Callable[[str], str | None] | None) -> list[int]:
    """Fail scans whose process is gone; returns their ids. The evidence comes from seqscan.jobs.

    live_scan_id(): the scan that holds a live scan lock; any other scan in a working phase was
    interrupted. It is asked after the working scans are read: a scan takes the lock before it
    starts working, so one that started meanwhile is seen holding it. job_state(task_id): what the
    queue knows of a waiting scan's job ("missing", "failed", ...); None when the queue cannot be
    asked, and then waiting scans are left alone.
    """
    stale = current_app.config["STALE_AFTER_SECONDS"]
    resolved = []
    working = db.session.scalars(select(ScanRun).where(ScanRun.state.in_(WORKING))).all()
    live = live_scan_id()
    for scan in working:
        if scan.id == live:
            continue
        message = f"interrupted during {scan.state}: its process stopped (no heartbeat for over {stale} s)"
        if fail(scan, message, if_state=scan.state):
            resolved.append(scan.id)
    for scan in all_waiting() if job_state is not None else []:
        state = job_state(scan.task_id)
        if scan.id == live or state in (None, "queued", "started", "deferred", "scheduled"):
            continue
        why = "its queue job is gone from Redis" if state == "missing" else f"its queue job is {state}"
        if fail(scan, f"never started: {why}", if_state=ScanState.CREATED):
            resolved.append(scan.id)
    return resolved


# --- Questions asked of scans ---


def all_waiting() -> list[ScanRun]:
    """Scans queued for the worker that have not started, oldest first."""
    return db.session.scalars(
        select(ScanRun).where(ScanRun.state == ScanState.CREATED, ScanRun.task_id.is_not(None)).order_by(ScanRun.id)
    ).all()


def waiting() -> ScanRun | None:
    """The scan the next button press would return instead of queueing another."""
    found = all_waiting()
    return found[0] if found else None


def running() -> ScanRun | None:
    """The scan in a working phase (at most one is alive; see fail_dead for the others)."""
    return db.session.scalars(select(ScanRun).where(ScanRun.state.in_(WORKING)).order_by(ScanRun.id).limit(1)).first()


def last_success() -> ScanRun | None:
    """The newest Finished scan that found runs: a scan of an empty (unmounted?) root is no success."""
    return db.session.scalars(
        select(ScanRun)
        .where(ScanRun.state == ScanState.FINISHED, ScanRun.runs_count > 0)
        .order_by(ScanRun.id.desc())
        .limit(1)
    ).first()


def previous_finished(scan: ScanRun) -> ScanRun | None:
    """The newest finished scan of the same root before this one."""
    return db.session.scalars(
        select(ScanRun)
        .where(ScanRun.root == scan.root, ScanRun.state == ScanState.FINISHED, ScanRun.id < scan.id)
        .order_by(ScanRun.id.desc())
        .limit(1)
    ).first()


def time_left(scan: ScanRun) -> tuple[timedelta, timedelta | None] | None:
    """(elapsed, estimated time left) of a working scan; time left from the previous finished
    scan of the same root (None when there is none, or it has run longer already)."""
    if not scan.state.is_working:
        return None
    elapsed = utcnow() - (scan.scan_start or scan.created)
    previous = previous_finished(scan)
    took = previous.duration if previous else None
    return elapsed, (took - elapsed if took and took > elapsed else None)


def new_runs(scan: ScanRun) -> list[str]:
    return db.session.scalars(
        select(SequencingRun.name).where(SequencingRun.first_seen_scan_id == scan.id).order_by(SequencingRun.name)
    ).all()


def changes(scan: ScanRun) -> dict[str, tuple[int, list]]:
    """What this scan changed: {label: (count, first LIST_LIMIT (path, file_type, state, run) rows)}.

    From records that are never rewritten (first_seen_scan_id, the FileEvent history), so a scan's
    changes read the same after any later scan."""
    found = (
        select(SequencingFile.path, SequencingFile.file_type, SequencingFile.data_state, SequencingRun.name)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .where(SequencingFile.first_seen_scan_id == scan.id)
        .order_by(SequencingRun.name, SequencingFile.path)
    )
    events = (
        select(FileEvent.path, FileEvent.file_type, FileEvent.to_state, SequencingRun.name)
        .join(SequencingRun, FileEvent.run_pk == SequencingRun.id)
        .where(FileEvent.scan_id == scan.id)
        .order_by(SequencingRun.name, FileEvent.path)
    )
    queries = {
        "newly found": found,
        "newly missing": events.where(FileEvent.to_state == DataState.NON_EXISTENT),
        "deleted": events.where(FileEvent.to_state == DataState.DELETED),
        "newly in error": events.where(FileEvent.to_state == DataState.ERROR),
        "came back": events.where(
            FileEvent.from_state.in_([DataState.NON_EXISTENT, DataState.DELETED, DataState.ERROR]),
            FileEvent.to_state == DataState.COMPLETE,
        ),
    }
    out = {}
    for label, query in queries.items():
        count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        out[label] = (count, db.session.execute(query.limit(LIST_LIMIT)).all() if count else [])
    return out


def warnings(scan: ScanRun, limit: int = 200) -> list[ScanWarning]:
    return db.session.scalars(
        select(ScanWarning).where(ScanWarning.scan_id == scan.id).order_by(ScanWarning.id).limit(limit)
    ).all()


def log_tail(scan: ScanRun, lines: int = 60) -> str:
    """The last lines of the scan's log: kept with the scan once it ended, in its folder while it runs."""
    text = scan.log
    if not text:
        try:
            text = (folder(scan.id) / "scan.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
    return "\n".join(text.splitlines()[-lines:])


# --- What the scanner reports ---
# seqscan.scanner.pipeline tells the scan record what the scan found through these; the scanner
# writes no column of a scan itself.


def record_layout(scan: ScanRun, layout: str) -> None:
    scan.layout = layout


def record_walk(scan: ScanRun, dirs_walked: int, files_seen: int, runs_total: int) -> None:
    """Scanning Files' progress (or its totals, at its end), committed for the live page."""
    scan.dirs_walked, scan.files_seen, scan.runs_total = dirs_walked, files_seen, runs_total
    db.session.commit()


def record_unchanged_runs(scan: ScanRun, runs: int) -> None:
    """Runs not parsed again (unchanged since their last scan) count as done."""
    scan.runs_done = runs


def record_current_run(scan: ScanRun, name: str) -> None:
    """The run being recorded now, committed before the run's own work for the live page; the run
    counts as done with the run's own commit (a run rolled back is not counted)."""
    scan.current_run = name
    db.session.commit()
    scan.runs_done += 1


def record_run_reparsed(scan: ScanRun, new_files: int, deleted_files: int) -> None:
    scan.files_new += new_files
    scan.files_deleted += deleted_files
    scan.runs_reparsed += 1


def record_deleted_runs(scan: ScanRun, files: int) -> None:
    """Files marked Deleted because their run folder is gone."""
    scan.files_deleted += files


def record_runs_found(scan: ScanRun, runs: int, files: int) -> None:
    """Create Models' end: the runs recorded (one per name) and the files found in them."""
    scan.runs_count, scan.files_found, scan.current_run = runs, files, ""


def record_totals(scan: ScanRun) -> None:
    """The files missing under the root (every run's missing_count, of runs not Deleted or Skipped)
    and the scan's warnings, counted from the records."""
    scan.files_missing = db.session.scalar(
        select(func.coalesce(func.sum(SequencingRun.missing_count), 0)).where(
            SequencingRun.root == scan.root, SequencingRun.data_state.notin_([DataState.DELETED, DataState.SKIPPED])
        )
    )
    scan.warnings_count = db.session.scalar(
        select(func.count()).select_from(ScanWarning).where(ScanWarning.scan_id == scan.id)
    )


def add_warning(scan: ScanRun, run_name: str | None, path: str, message: str) -> None:
    """A warning on the scan (committed with the caller's transaction)."""
    db.session.add(ScanWarning(scan_id=scan.id, run_name=run_name, path=path, message=message))


def accept_deletions(scan: ScanRun, run_name: str | None, what: str) -> None:
    """The operator accepted a mass deletion (`flask scan --accept-vanished`): a warning on the scan
    and an operator action."""
    who = f" by {scan.requested_by}" if scan.requested_by else ""
    add_warning(scan, run_name, "", f"{what}: accepted as Deleted{who}")
    record_action(scan.requested_by, f"accepted {what}{' in ' + run_name if run_name else ''} as Deleted", scan.id)
