"""The JSON API: the same data as the pages, the same sign-in (or an X-Seqscan-Token header)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from seqscan.auth import operator_required
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.health import server_status
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.scanqueue import enqueue_scan
from seqscan.models import ScanRun, SequencingRun
from seqscan.scans import ScanRefused
from seqscan.views.missing import as_row, chosen_filters, selection
from seqscan.views.runs import run_grid, runs_named, search
from seqscan.web import page_number

bp = Blueprint("api", __name__, url_prefix="/api")


def _time(dt):
    return dt.isoformat() if dt else None


def scan_json(scan: ScanRun) -> dict:
    return {
        "id": scan.id,
        "url": url_for("scans.detail", scan_id=scan.id),
        "state": scan.state,
        "trigger": scan.trigger,
        "requested_by": scan.requested_by,
        "root": scan.root,
        "task_id": scan.task_id,
        "reused_scan_id": scan.reused_scan_id,
        "created": _time(scan.created),
        "phases": [
            {"phase": p, "start": _time(start), "seconds": took.total_seconds() if took else None}
            for p, start, took in scan.phases()
        ],
        "finished": _time(scan.finished),
        "seconds": scan.duration.total_seconds() if scan.duration else None,
        "counts": {
            k: getattr(scan, k)
            for k in ("runs_count", "files_found", "files_missing", "files_new", "files_deleted", "warnings_count")
        },
        "progress": {
            k: getattr(scan, k) for k in ("dirs_walked", "files_seen", "runs_done", "runs_total", "current_run")
        },
        "error": scan.error or None,
        # A working scan whose process is gone, before it is recorded as Error: why (else null).
        "interrupted": interrupted(scan),
    }


def run_json(run: SequencingRun) -> dict:
    fields = (
        "name",
        "root",
        "kit",
        "path",
        "run_id",
        "instrument",
        "run_number",
        "flowcell",
        "experiment",
        "sequencer_model",
    )
    out = {k: getattr(run, k) for k in fields}
    out |= {
        "date": run.date.isoformat() if run.date else None,
        "verdict": run.verdict,
        "missing": run.missing_count,
        "data_state": run.data_state,
        "skipped": run.skipped,
        "skip_reason": run.skip_reason,
        "counts": {
            k: getattr(run, k) for k in ("expected_count", "complete_count", "missing_count", "unexpected_count")
        },
        "first_seen": _time(run.first_seen_at),
        "last_seen": _time(run.last_seen_at),
    }
    return out


def _page_args() -> tuple[int, int]:
    return page_number(), min(max(request.args.get("per_page", 50, type=int), 1), 500)


@bp.get("/scans")
def scans():
    page, per_page = _page_args()
    result = db.paginate(select(ScanRun).order_by(ScanRun.id.desc()), page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, scans=[scan_json(s) for s in result.items])


@bp.get("/scans/<int:scan_id>")
def scan(scan_id: int):
    found = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    return jsonify(
        scan_json(found)
        | {"warnings": [{"run": w.run_name, "path": w.path, "message": w.message} for w in found.warnings]}
    )


@bp.post("/scans")
@operator_required
def trigger():
    try:
        queued, created = enqueue_scan(Trigger.MANUAL, current_user.username)
    except ScanRefused as e:
        return jsonify(error=str(e)), 409
    except RedisError as e:
        return jsonify(error=f"the queue (Redis) cannot be reached: {e}"), 503
    return jsonify(scan_json(queued) | {"created": created}), (202 if created else 200)


@bp.get("/runs")
def runs():
    page, per_page = _page_args()
    result = db.paginate(search(request.args.get("q", "").strip()), page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, runs=[run_json(r) for r in result.items])


@bp.get("/runs/<name>")
def run(name: str):
    runs = runs_named(name)
    if len(runs) > 1:
        return jsonify(error=f"{len(runs)} runs are named {name}: add ?root=", roots=[r.root for r in runs]), 300
    found = runs[0]
    grid = run_grid(found)
    sample_names = {s.id: s.name for s in grid["samples"]}
    files = [
        {"path": f.path, "file_type": f.file_type, "data_state": f.data_state, "sample": sample_names.get(f.sample_pk),
         "first_seen_scan": f.first_seen_scan_id, "last_seen_scan": f.seen_in_scan_id}
        for f in [*grid["cells"].values(), *grid["run_files"], *grid["unexpected"]]
    ]  # fmt: skip
    return jsonify(run_json(found) | {"samples": list(sample_names.values()), "files": files})


@bp.get("/missing")
def missing():
    """The Missing data page's selection (?kit= ?run= ?file_type= ?state=), a page at a time."""
    page, per_page = _page_args()
    query, _ = selection(chosen_filters())
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, files=[as_row(f) for f in result.items])


@bp.get("/status")
def status():
    s = server_status()
    return jsonify(
        database=s["database"],
        redis=s["redis"],
        workers=[w | {"last_heartbeat": _time(w["last_heartbeat"])} for w in s["workers"]],
        queue_owner=s.get("queue_owner"),
        scheduler_alive=s["scheduler_alive"],
        scheduler_ok=s["scheduler_ok"],
        scheduler_detail=s["scheduler_detail"],
        next_scans=[_time(t) for t in s["next_scans"]],
        waiting=[w.id for w in s.get("waiting", [])],
        running=[r.id for r in s.get("running", [])],
        last_success=scan_json(s["last_success"]) if s.get("last_success") else None,
        settings=s["settings"],
    )


@bp.errorhandler(404)
@bp.errorhandler(403)
def json_error(e):
    return jsonify(error=e.description), e.code
