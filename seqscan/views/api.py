"""The JSON API: the same data as the pages, the same sign-in (or an X-Seqscan-Token header)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from seqscan import roots, serialise
from seqscan.attention import chosen_filters, selection
from seqscan.auth import operator_required
from seqscan.enums import DataState, RunVerdict, ScanState, Trigger
from seqscan.extensions import db
from seqscan.health import server_status
from seqscan.jobs.scanqueue import enqueue_scans
from seqscan.models import ScanRun, SequencingFile, runs_matching
from seqscan.scans import ScanRefused
from seqscan.web import choice, page_number, root_choice, runs_named

bp = Blueprint("api", __name__, url_prefix="/api")


def scan_json(scan: ScanRun) -> dict:
    return serialise.scan(scan) | {"url": url_for("scans.detail", scan_id=scan.id)}


def _page_args() -> tuple[int, int]:
    return page_number(), min(max(request.args.get("per_page", 50, type=int), 1), 500)


@bp.get("/scans")
def scans():
    page, per_page = _page_args()
    query = select(ScanRun).order_by(ScanRun.id.desc())
    if root := root_choice():
        query = query.where(ScanRun.root == root.path)
    if state := choice("state", [s.value for s in ScanState]):
        query = query.where(ScanRun.state == ScanState(state))
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, scans=[scan_json(s) for s in result.items])


@bp.get("/scans/<int:scan_id>")
def scan(scan_id: int):
    found = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    return jsonify(scan_json(found) | {"warnings": [serialise.warning(w) for w in found.warnings]})


@bp.post("/scans")
@operator_required
def trigger():
    """A scan of every root, or of ?root=NAME: {"scans": [each scan, with "created"]}; with one
    root, that scan's fields stand at the top level too."""
    name = request.args.get("root") or request.form.get("root")
    chosen = roots.named(name) if name else None
    if name and chosen is None:
        return jsonify(error=f"no root is named {name}"), 404
    try:
        queued = enqueue_scans(Trigger.MANUAL, current_user.username, [chosen] if chosen else None)
    except ScanRefused as e:
        return jsonify(error=str(e)), 409
    except RedisError as e:
        return jsonify(error=f"the queue (Redis) cannot be reached: {e}"), 503
    each = [scan_json(scan) | {"created": created} for scan, created in queued]
    body = {"scans": each} | (each[0] if len(each) == 1 else {})
    return jsonify(body), (202 if any(created for _, created in queued) else 200)


@bp.get("/runs")
def runs():
    page, per_page = _page_args()
    root = root_choice()
    verdict = choice("verdict", [v.value for v in RunVerdict])
    query = runs_matching(request.args.get("q", "").strip(), root.path if root else None, verdict)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, runs=[serialise.run(r) for r in result.items])


@bp.get("/runs/<name>")
def run(name: str):
    runs = runs_named(name)
    if len(runs) > 1:
        return jsonify(error=f"{len(runs)} runs are named {name}: add ?root=", roots=[r.root for r in runs]), 300
    found = runs[0]
    sheet = found.current_sheet
    f = SequencingFile
    files = db.session.scalars(
        select(f)
        .where(f.run_pk == found.id)
        .options(selectinload(f.run), selectinload(f.sample))
        .order_by(f.sample_pk.is_(None), f.data_state == DataState.UNEXPECTED, f.path)  # samples' first, as on its page
    )
    return jsonify(
        serialise.run(found)
        | {"samples": [s.name for s in sheet.samples] if sheet else [], "files": [serialise.file(x) for x in files]}
    )


@bp.get("/missing")
def missing():
    """The Missing data page's selection (?kit= ?run= ?file_type= ?state=), a page at a time."""
    page, per_page = _page_args()
    query, _ = selection(chosen_filters())
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(page=page, pages=result.pages, total=result.total, files=[serialise.file(f) for f in result.items])


@bp.get("/status")
def status():
    s = server_status()
    return jsonify(
        database=s["database"],
        redis=s["redis"],
        queues=[
            q | {"workers": [w | {"last_heartbeat": serialise.iso(w["last_heartbeat"])} for w in q["workers"]]}
            for q in s["queues"]
        ],
        workers_ok=s["workers_ok"],
        scheduler_alive=s["scheduler_alive"],
        scheduler_ok=s["scheduler_ok"],
        scheduler_detail=s["scheduler_detail"],
        next_scans=[serialise.iso(t) for t in s["next_scans"]],
        waiting=[w.id for w in s.get("waiting", [])],
        running=[r.id for r in s.get("running", [])],
        last_success=scan_json(s["last_success"]) if s.get("last_success") else None,
        settings=s["settings"],
        processes=[serialise.process(p) for p in s["processes"]],
        settings_warning=s["settings_warning"],
    )


@bp.errorhandler(404)
@bp.errorhandler(403)
def json_error(e):
    return jsonify(error=e.description), e.code
