"""Scan history, the scan button, and one scan's detail; active scans update by polling."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import func, select

from seqscan import roots, scans
from seqscan.auth import operator_required
from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db, htmx
from seqscan.jobs.claim import live_worker
from seqscan.jobs.liveness import interrupted, worker_command
from seqscan.jobs.scanqueue import enqueue_scans, get_redis
from seqscan.models import ScanRun
from seqscan.web import MAX_ID, choice, page_number, root_choice

bp = Blueprint("scans", __name__)
PER_PAGE = 25


def poll_response(html: str, active: bool):
    """A polled fragment. Finished: rendered without its trigger (which stops any htmx), plus 286."""
    return html, (200 if active or not htmx else 286)


def running_ids() -> dict[str, int]:
    """{root path: the id of its scan that is working}: a waiting scan waits behind its root's."""
    return {scan.root: scan.id for scan in scans.all_running()}


def _history():
    """(the scans the request's filters choose, newest first; the filters, "" when not given; the root chosen)."""
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
    return query, chosen, root


@bp.get("/scans")
def index():
    query, chosen, root = _history()
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    filters = {k: v for k, v in chosen.items() if v}
    return render_template(
        "scans.html", page=page, chosen=chosen, filters=filters, root=root,
        triggers=[t.value for t in Trigger], states=[s.value for s in ScanState],
        newest=db.session.scalar(select(func.max(ScanRun.id))) or 0,
    )  # fmt: skip


@bp.get("/scans/head")
def head():
    """The scans created since the page's newest (?after=), as rows for the top of the list, with
    the next check; 204 (htmx swaps nothing) when there are none. The first page polls it while
    visible, so a scan started elsewhere (the CLI, the schedule, another user) shows up."""
    after = min(max(request.args.get("after", 0, type=int), 0), MAX_ID)
    query, chosen, _ = _history()
    fresh = db.session.scalars(query.where(ScanRun.id > after).limit(PER_PAGE)).all()
    if not fresh:
        return "", 204
    newest = max(after, db.session.scalar(select(func.max(ScanRun.id))) or 0)
    filters = {k: v for k, v in chosen.items() if v}
    return render_template("partials/scans_head.html", scans=fresh, newest=newest, filters=filters)


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
        if live_worker(get_redis(), root.queue, current_app.config["DATA_DIR"]) is None:
            # Pressed again while no worker runs: saying "already waiting" alone hides that nothing will run it.
            start = worker_command(root.queue)
            flash(
                f"{of}Scan #{scan.id} is waiting for the worker — no worker is running on queue {root.queue}: start it: `{start}`.",
                "error",
            )


@bp.get("/scans/<int:scan_id>/row")
def row(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    html = render_template("partials/scan_row.html", scan=scan)
    return poll_response(html, scan.is_active and not interrupted(scan))


def _detail_context(scan: ScanRun) -> dict:
    stopped = scans.stopped_before_recording(scan)
    return {
        "scan": scan,
        "new_runs": scans.new_runs(scan),
        "changes": scans.changes(scan) if scan.state != ScanState.CREATED and not stopped else {},
        "stopped_before_recording": stopped,
        "queued_again": scans.queued_again(scan),
        "actions": scans.actions(scan),
        "warnings": scans.warnings(scan),
        "log_tail": scans.log_tail(scan),
        "time_left": scans.time_left(scan),
    }


@bp.get("/scans/<int:scan_id>")
def detail(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    # A refused mass deletion can be accepted on its root's newest scan only (what is gone now is there).
    acceptable = scan.end_reason == EndReason.TOO_MANY_VANISHED and scans.newest_after(scan) is None
    return render_template("scan_detail.html", acceptable=acceptable, **_detail_context(scan))


@bp.get("/scans/<int:scan_id>/live")
def live(scan_id: int):
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    html = render_template("partials/scan_detail_body.html", **_detail_context(scan))
    return poll_response(html, scan.is_active and not interrupted(scan))
