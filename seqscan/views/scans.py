"""Scan history, the scan button, and one scan's detail; active scans update by polling."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from seqscan import roots, scans
from seqscan.auth import operator_required
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db, htmx
from seqscan.jobs.claim import live_worker
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.scanqueue import enqueue_scans, get_redis
from seqscan.models import ScanRun
from seqscan.web import choice, page_number, root_choice

bp = Blueprint("scans", __name__)
PER_PAGE = 25


def poll_response(html: str, active: bool):
    """A polled fragment. Finished: rendered without its trigger (which stops any htmx), plus 286."""
    return html, (200 if active or not htmx else 286)


def running_ids() -> dict[str, int]:
    """{root path: the id of its scan that is working}: a waiting scan waits behind its root's."""
    return {scan.root: scan.id for scan in scans.all_running()}


@bp.get("/scans")
def index():
    root = root_choice()
    chosen = {
        "trigger": choice("trigger", [t.value for t in Trigger]),
        "state": choice("state", [s.value for s in ScanState]),
        "root": root.name if root else "",
    }
    query = select(ScanRun).order_by(ScanRun.id.desc())
    if chosen["trigger"]:
        query = query.where(ScanRun.trigger == Trigger(chosen["trigger"]))
    if chosen["state"]:
        query = query.where(ScanRun.state == ScanState(chosen["state"]))
    if root is not None:
        query = query.where(ScanRun.root == root.path)
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "scans.html", page=page, running=running_ids(), chosen=chosen, filters={k: v for k, v in chosen.items() if v},
        triggers=[t.value for t in Trigger], states=[s.value for s in ScanState], root=root,
    )  # fmt: skip


@bp.post("/scans")
@operator_required
def trigger():
    """The button: a scan of every root, or of the root the form names (a root's own button)."""
    name = request.form.get("root", "")
    chosen = roots.named(name) if name else None
    try:
        if name and chosen is None:
            raise scans.ScanRefused(f"no root is named {name}")
        queued = enqueue_scans(Trigger.MANUAL, current_user.username, [chosen] if chosen else None)
    except scans.ScanRefused as e:
        flash(f"No scan started: {e}.", "error")
    except RedisError as e:
        flash(f"No scan started: the queue (Redis) cannot be reached: {e}", "error")
    else:
        _say_queued(queued)
    # post/redirect/get: a refresh never starts a scan
    return redirect(url_for("scans.index", root=chosen.name) if chosen else url_for("scans.index"))


def _say_queued(queued: list[tuple[ScanRun, bool]]) -> None:
    """One line per root: queued, waiting behind its root's running scan, or already waiting."""
    running = running_ids()
    several = len(queued) > 1
    for scan, created in queued:
        root = roots.of_scan(scan.root, scan.layout)
        of = f"{root.name}: " if several else ""
        behind = running.get(scan.root)
        if not created:
            flash(f"{of}Scan #{scan.id} is already waiting; no second one was added.", "info")
        elif behind and behind != scan.id:
            flash(f"{of}Scan #{scan.id} queued: waiting behind scan #{behind}.", "info")
        else:
            flash(f"{of}Scan #{scan.id} queued.", "info")
        if created and live_worker(get_redis(), root.queue) is None:
            start = "worker.py" if root.queue == current_app.config["SCAN_QUEUE"] else f"worker.py --queue {root.queue}"
            flash(f"{of}Scan #{scan.id} is queued, but no worker serves queue {root.queue}: start {start}.", "error")


@bp.get("/scans/<int:scan_id>/row")
def row(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    html = render_template("partials/scan_row.html", scan=scan, running=running_ids())
    return poll_response(html, scan.is_active and not interrupted(scan))


def _detail_context(scan: ScanRun) -> dict:
    return {
        "scan": scan,
        "new_runs": scans.new_runs(scan),
        "changes": scans.changes(scan) if scan.state != ScanState.CREATED else {},
        "warnings": scans.warnings(scan),
        "log_tail": scans.log_tail(scan),
        "running": running_ids(),
        "time_left": scans.time_left(scan),
    }


@bp.get("/scans/<int:scan_id>")
def detail(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    return render_template("scan_detail.html", **_detail_context(scan))


@bp.get("/scans/<int:scan_id>/live")
def live(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    html = render_template("partials/scan_detail_body.html", **_detail_context(scan))
    return poll_response(html, scan.is_active and not interrupted(scan))
