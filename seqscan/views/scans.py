"""Scan history, the scan button, and one scan's detail; active scans update by polling."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from seqscan import scans
from seqscan.auth import operator_required
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db, htmx
from seqscan.jobs.claim import live_worker
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.scanqueue import enqueue_scan, get_redis
from seqscan.models import ScanRun
from seqscan.web import page_number

bp = Blueprint("scans", __name__)
PER_PAGE = 25


def poll_response(html: str, active: bool):
    """A polled fragment. Finished: rendered without its trigger (which stops any htmx), plus 286."""
    return html, (200 if active or not htmx else 286)


def running_id() -> int | None:
    running = scans.running()
    return running.id if running else None


@bp.get("/scans")
def index():
    chosen = {key: request.args.get(key, "") for key in ("trigger", "state")}
    query = select(ScanRun).order_by(ScanRun.id.desc())
    if chosen["trigger"] in set(Trigger):
        query = query.where(ScanRun.trigger == Trigger(chosen["trigger"]))
    if chosen["state"] in set(ScanState):
        query = query.where(ScanRun.state == ScanState(chosen["state"]))
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "scans.html", page=page, running=running_id(), chosen=chosen, filters={k: v for k, v in chosen.items() if v},
        triggers=[t.value for t in Trigger], states=[s.value for s in ScanState],
    )  # fmt: skip


@bp.post("/scans")
@operator_required
def trigger():
    try:
        scan, created = enqueue_scan(Trigger.MANUAL, current_user.username)
    except scans.ScanRefused as e:
        flash(f"No scan started: {e}.", "error")
    except RedisError as e:
        flash(f"No scan started: the queue (Redis) cannot be reached: {e}", "error")
    else:
        running = running_id()
        if not created:
            flash(f"Scan #{scan.id} is already waiting; no second one was added.", "info")
        elif running and running != scan.id:
            flash(f"Scan #{scan.id} queued: waiting behind scan #{running}.", "info")
        else:
            flash(f"Scan #{scan.id} queued.", "info")
        if created and live_worker(get_redis(), current_app.config["SCAN_QUEUE"]) is None:
            flash(f"Scan #{scan.id} is queued, but no worker is running: start worker.py.", "error")
    return redirect(url_for("scans.index"))  # post/redirect/get: a refresh never starts a scan


@bp.get("/scans/<int:scan_id>/row")
def row(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    html = render_template("partials/scan_row.html", scan=scan, running=running_id())
    return poll_response(html, scan.is_active and not interrupted(scan))


def _detail_context(scan: ScanRun) -> dict:
    return {
        "scan": scan,
        "new_runs": scans.new_runs(scan),
        "changes": scans.changes(scan) if scan.state != ScanState.CREATED else {},
        "warnings": scans.warnings(scan),
        "log_tail": scans.log_tail(scan),
        "running": running_id(),
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
