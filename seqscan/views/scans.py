"""Scan history (a minimal page for now; the full admin comes with the web issue)."""

from flask import Blueprint, redirect, render_template, url_for

from seqscan.extensions import db
from seqscan.models import ScanRun
from seqscan.queue import resolve_dead_scans

bp = Blueprint("scans", __name__)


@bp.get("/")
def home():
    return redirect(url_for("scans.index"))


@bp.get("/scans")
def index():
    resolve_dead_scans()  # a scan whose process died reads as Error, not "running" forever
    page = db.paginate(db.select(ScanRun).order_by(ScanRun.id.desc()), per_page=25)
    return render_template("scans.html", page=page)
