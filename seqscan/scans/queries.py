"""The questions asked of scans: which waits, which runs, the last success, what a scan changed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from seqscan.enums import ATTENTION_STATES, WORKING, DataState, ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import FileEvent, OperatorAction, ScanRun, ScanWarning, SequencingFile, SequencingRun, utcnow

LIST_LIMIT = 50  # rows listed per kind of change (the counts are always complete)


def all_waiting() -> list[ScanRun]:
    """Scans queued for the worker that have not started, oldest first."""
    return db.session.scalars(
        select(ScanRun).where(ScanRun.state == ScanState.CREATED, ScanRun.task_id.is_not(None)).order_by(ScanRun.id)
    ).all()


def waiting(root: str) -> ScanRun | None:
    """The scan of root the next button press would return instead of queueing another."""
    return next((scan for scan in all_waiting() if scan.root == root), None)


def all_running() -> list[ScanRun]:
    """The scans in a working phase, oldest first (one per queue is alive; see fail_dead for the others)."""
    return db.session.scalars(select(ScanRun).where(ScanRun.state.in_(WORKING)).order_by(ScanRun.id)).all()


def running() -> ScanRun | None:
    """The oldest scan in a working phase."""
    found = all_running()
    return found[0] if found else None


def last_success(trigger: Trigger | None = None) -> ScanRun | None:
    """The newest Finished scan that found runs (a scan of an empty, unmounted? root is no success),
    of any trigger or of that one."""
    where = [ScanRun.state == ScanState.FINISHED, ScanRun.runs_count > 0]
    where += [ScanRun.trigger == trigger] if trigger else []
    return db.session.scalars(select(ScanRun).where(*where).order_by(ScanRun.id.desc()).limit(1)).first()


def previous_finished(scan: ScanRun) -> ScanRun | None:
    """The newest finished scan of the same root before this one."""
    return db.session.scalars(
        select(ScanRun)
        .where(ScanRun.root == scan.root, ScanRun.state == ScanState.FINISHED, ScanRun.id < scan.id)
        .order_by(ScanRun.id.desc())
        .limit(1)
    ).first()


def queued_again(scan: ScanRun) -> ScanRun | None:
    """The scan queued in place of this one, if it was stopped (a worker shut down, the database
    went away): the worker queues the same root again as it ends it (seqscan.jobs.run)."""
    if scan.end_reason is None or not scan.end_reason.is_stop:
        return None
    return db.session.scalars(
        select(ScanRun).where(ScanRun.root == scan.root, ScanRun.id > scan.id).order_by(ScanRun.id).limit(1)
    ).first()


def newest_after(scan: ScanRun) -> ScanRun | None:
    """The newest scan of the same root after this one (None: this is its root's newest)."""
    return db.session.scalars(
        select(ScanRun).where(ScanRun.root == scan.root, ScanRun.id > scan.id).order_by(ScanRun.id.desc()).limit(1)
    ).first()


def actions(scan: ScanRun) -> list[OperatorAction]:
    """The operator actions on a scan (requested, cancelled, its vanished runs accepted), oldest first."""
    return db.session.scalars(
        select(OperatorAction).where(OperatorAction.scan_id == scan.id).order_by(OperatorAction.id)
    ).all()


def stopped_before_recording(scan: ScanRun) -> str | None:
    """For an Error scan that never reached Create Models (so recorded no change): where it stopped."""
    if scan.state != ScanState.ERROR or scan.create_models_start is not None:
        return None
    return f"during {ScanState.SCANNING_FILES}" if scan.scan_start else "before it started"


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
            FileEvent.from_state.in_(sorted(ATTENTION_STATES)),
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
