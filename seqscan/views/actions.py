"""The operators' forms: cancel a waiting scan, accept a refused scan's vanished runs, acknowledge an
incomplete run or a missing file. Each needs the operator role and the CSRF token (seqscan.auth),
posts, then redirects to the page it was sent from with what happened."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError

from seqscan import acknowledge, scans
from seqscan.auth import operator_required
from seqscan.extensions import db
from seqscan.jobs.operator import accept_vanished, cancel_waiting
from seqscan.models import ScanRun, SequencingFile, SequencingRun

bp = Blueprint("actions", __name__)


def _reason() -> str:
    return request.form.get("reason", "")


@bp.post("/scans/<int:scan_id>/cancel")
@operator_required
def cancel(scan_id: int):
    """Cancel a waiting scan: it ends in Error, cancelled by the user (with the reason, if given)."""
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    if cancel_waiting(scan, current_user.username, _reason()):
        flash(f"Scan #{scan_id} cancelled.", "info")
    else:
        flash(f"Scan #{scan_id} was not cancelled: it is {scan.state} now (only a waiting scan can be).", "error")
    return redirect(url_for("scans.detail", scan_id=scan_id))


@bp.post("/scans/<int:scan_id>/accept-vanished")
@operator_required
def accept(scan_id: int):
    """The runs a scan's mass-deletion guard refused to mark Deleted really were removed: a scan of
    its root is queued that marks them so (as `flask scan --accept-vanished`)."""
    scan = db.get_or_404(ScanRun, scan_id, description=f"no scan #{scan_id}")
    try:
        queued = accept_vanished(scan, current_user.username, _reason())
    except scans.ScanRefused as e:
        flash(f"Not accepted: {e}.", "error")
        return redirect(url_for("scans.detail", scan_id=scan_id))
    except RedisError as e:
        flash(f"Not accepted: the queue (Redis) cannot be reached: {e}", "error")
        return redirect(url_for("scans.detail", scan_id=scan_id))
    flash(f"Accepted: scan #{queued.id} queued; it marks the runs gone from disk Deleted.", "info")
    return redirect(url_for("scans.detail", scan_id=queued.id))


def _run_page(run: SequencingRun):
    return redirect(url_for("runs.detail", name=run.name, root=run.root))


@bp.post("/runs/<int:run_pk>/acknowledge")
@operator_required
def acknowledge_run(run_pk: int):
    """Acknowledge that an incomplete run is incomplete, with the reason the form gives."""
    run = db.get_or_404(SequencingRun, run_pk, description=f"no run #{run_pk}")
    try:
        acknowledge.acknowledge_run(run, current_user.username, _reason())
    except acknowledge.NotAcknowledged as e:
        flash(f"Not acknowledged: {e}.", "error")
    else:
        flash(
            f"{run.name}: acknowledged as incomplete. A scan that finds any of its files changed re-opens it.", "info"
        )
    return _run_page(run)


@bp.route("/files/<int:file_id>/acknowledge", methods=["GET", "POST"])
@operator_required
def acknowledge_file(file_id: int):
    """A missing file: the form asking why (GET), and its acknowledgement (POST)."""
    file = db.get_or_404(SequencingFile, file_id, description=f"no file #{file_id}")
    if request.method == "POST":
        try:
            acknowledge.acknowledge_file(file, current_user.username, _reason())
        except acknowledge.NotAcknowledged as e:
            flash(f"Not acknowledged: {e}.", "error")
        else:
            also = " (the run too: none of its missing files is left unacknowledged)" if file.run.acknowledged else ""
            flash(f"{file.run.name}: {file.path} acknowledged as missing{also}.", "info")
            back = request.form.get("next", "")
            local = back.startswith("/") and not back.startswith("//")  # never a redirect off the site
            return redirect(back if local else url_for("missing.index", run=file.run.name))
    return render_template("acknowledge_file.html", file=file, next=request.args.get("next", ""))
