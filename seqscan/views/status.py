"""Server status: Redis, database, the worker, waiting scans, the schedule, the settings."""

from __future__ import annotations

from flask import Blueprint, render_template

from seqscan.health import server_status
from seqscan.jobs.liveness import worker_command

bp = Blueprint("status", __name__)


@bp.get("/status")
def index():
    return render_template("status.html", status=server_status())


@bp.get("/status/fragment")
def fragment():
    # The status page polls this while it is visible; it always keeps polling (a server is never "done").
    return render_template("partials/status.html", status=server_status())


def problems(status: dict) -> list[str]:
    """What is down, each with what to do."""
    out = []
    if not status["database"]["ok"]:
        out.append(f"database unreachable: {status['database']['detail']}")
    if not status["redis"]["ok"]:
        out.append("Redis cannot be reached: start redis-server (scans cannot be queued)")
        return out
    for queue in status["queues"]:
        if not queue["owner"]:
            out.append(f"no worker serves queue {queue['name']}: start {worker_command(queue['name'])}")
    if not status["scheduler_ok"]:
        out.append(f"scheduler: {status['scheduler_detail']} (start `flask scheduler`)")
    return out


@bp.get("/status/strip")
def strip():
    status = server_status()
    next_scan = status["next_scans"][0] if status["next_scans"] else None
    return render_template("partials/health_strip.html", problems=problems(status), next_scan=next_scan)
