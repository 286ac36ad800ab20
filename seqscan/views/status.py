"""Server status: Redis, database, the worker, waiting scans, the schedule, the settings."""

from __future__ import annotations

from flask import Blueprint, render_template

from seqscan.health import server_status

bp = Blueprint("status", __name__)


@bp.get("/status")
def index():
    return render_template("status.html", status=server_status(resolve_dead=True))


@bp.get("/status/fragment")
def fragment():
    # The status page polls this while it is visible; it always keeps polling (a server is never "done").
    return render_template("_status.html", status=server_status())
