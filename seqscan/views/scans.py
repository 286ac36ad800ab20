"""Scan history, the scan button, and one scan's detail; active scans update by polling."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from redis.exceptions import RedisError
from sqlalchemy import func, select

from seqscan.auth import operator_required
from seqscan.extensions import db, htmx
from seqscan.models import ScanRun, ScanWarning, SequencingFile, SequencingRun
from seqscan.queue import enqueue_scan, resolve_dead_scans
from seqscan.scanlock import WORKING_STATES
from seqscan.scanner.pipeline import ScanRefused
from seqscan.states import DataState, ScanState, Trigger

bp = Blueprint("scans", __name__)
PER_PAGE = 25
LIST_LIMIT = 50  # items shown per list on the detail page (counts are always complete)


def running_scan_id() -> int | None:
    return db.session.scalar(select(ScanRun.id).where(ScanRun.state.in_(WORKING_STATES)).order_by(ScanRun.id))


def poll_response(html: str, active: bool):
    """A polled fragment. Finished: rendered without its trigger (which stops any htmx), plus 286."""
    return html, (200 if active or not htmx else 286)


@bp.get("/")
def home():
    return redirect(url_for("scans.index"))


@bp.get("/scans")
def index():
    resolve_dead_scans()  # a scan whose process died reads as Error, not "running" forever
    page = db.paginate(select(ScanRun).order_by(ScanRun.id.desc()), per_page=PER_PAGE, error_out=False)
    return render_template("scans.html", page=page, running=running_scan_id())


@bp.post("/scans")
@operator_required
def trigger():
    try:
        scan, created = enqueue_scan(Trigger.MANUAL, g.user.username)
    except ScanRefused as e:
        flash(f"No scan started: {e}.", "error")
    except RedisError as e:
        flash(f"No scan started: the queue (Redis) cannot be reached: {e}", "error")
    else:
        running = running_scan_id()
        if not created:
            flash(f"Scan #{scan.id} is already waiting; no second one was added.", "info")
        elif running and running != scan.id:
            flash(f"Scan #{scan.id} queued: waiting behind scan #{running}.", "info")
        else:
            flash(f"Scan #{scan.id} queued.", "info")
    return redirect(url_for("scans.index"))  # post/redirect/get: a refresh never starts a scan


def _get_scan(scan_id: int) -> ScanRun:
    scan = db.session.get(ScanRun, scan_id)
    if scan is None:
        abort(404, f"no scan #{scan_id}")
    return scan


@bp.get("/scans/<int:scan_id>/row")
def row(scan_id: int):
    resolve_dead_scans()
    scan = _get_scan(scan_id)
    html = render_template("_scan_row.html", scan=scan, running=running_scan_id())
    return poll_response(html, scan.is_active)


def _changes(scan: ScanRun) -> dict[str, tuple[int, list]]:
    """What this scan changed: {label: (count, first LIST_LIMIT rows)}."""
    files = (
        select(SequencingFile.path, SequencingFile.file_type, SequencingFile.data_state, SequencingRun.name)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .order_by(SequencingRun.name, SequencingFile.path)
    )
    queries = {
        "newly found": files.where(SequencingFile.first_seen_scan_id == scan.id),
        "newly missing": files.where(
            SequencingFile.state_changed_scan_id == scan.id, SequencingFile.data_state == DataState.NON_EXISTENT
        ),
        "deleted": files.where(
            SequencingFile.state_changed_scan_id == scan.id, SequencingFile.data_state == DataState.DELETED
        ),
    }
    out = {}
    for label, query in queries.items():
        count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        out[label] = (count, db.session.execute(query.limit(LIST_LIMIT)).all() if count else [])
    return out


def _detail_context(scan: ScanRun) -> dict:
    new_runs = db.session.scalars(
        select(SequencingRun.name).where(SequencingRun.first_seen_scan_id == scan.id).order_by(SequencingRun.name)
    ).all()
    warnings = db.session.scalars(
        select(ScanWarning).where(ScanWarning.scan_id == scan.id).order_by(ScanWarning.id).limit(200)
    ).all()
    return {
        "scan": scan,
        "new_runs": new_runs,
        "changes": _changes(scan) if not scan.state == ScanState.CREATED else {},
        "warnings": warnings,
        "log_tail": _log_tail(scan),
        "running": running_scan_id(),
    }


def _log_tail(scan: ScanRun, lines: int = 60) -> str:
    from seqscan.scanner.pipeline import scan_folder

    text = scan.log
    if not text:  # still running: the log is only in its file
        try:
            text = (scan_folder(scan.id) / "scan.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
    return "\n".join(text.splitlines()[-lines:])


@bp.get("/scans/<int:scan_id>")
def detail(scan_id: int):
    resolve_dead_scans()
    scan = _get_scan(scan_id)
    return render_template("scan_detail.html", **_detail_context(scan))


@bp.get("/scans/<int:scan_id>/live")
def live(scan_id: int):
    resolve_dead_scans()
    scan = _get_scan(scan_id)
    html = render_template("_scan_detail_body.html", **_detail_context(scan))
    return poll_response(html, scan.is_active)
