"""The home page: today's answer. Did the last scan work, what changed, which runs need
attention, and is a scheduled scan overdue? A page left open learns of new scans by a cheap
check every 30 s (only while visible) that swaps in a new summary when there is one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from seqscan import clock, scans
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import refusal
from seqscan.models import ScanRun, SequencingRun

bp = Blueprint("home", __name__)
ATTENTION_LIMIT = 50  # runs listed as needing attention


def latest_key() -> str:
    """What the open page compares: the newest scan's id and state."""
    row = db.session.execute(select(ScanRun.id, ScanRun.state).order_by(ScanRun.id.desc()).limit(1)).first()
    return f"{row.id}:{row.state}" if row else "none"


def last_slot(schedule: list[str], zone: ZoneInfo, now: datetime, grace: timedelta) -> datetime:
    """The latest slot of schedule (cron strings on zone's wall clock) at least grace before now, in UTC."""
    return max(clock.previous_firing(cron, before=now - grace, zone=zone) for cron in schedule)


def overdue_since(now: datetime | None = None) -> datetime | None:
    """The last scheduled slot (plus SEQSCAN_SCHEDULE_GRACE_MINUTES) that queued no scan, if any."""
    config = current_app.config
    if refusal() is not None or not config["SCHEDULE"]:
        return None
    grace = timedelta(minutes=config["SCHEDULE_GRACE_MINUTES"])
    slot = last_slot(config["SCHEDULE"], clock.lab_zone(), now or clock.now(), grace)
    queued = db.session.scalar(
        select(func.count()).where(ScanRun.trigger == Trigger.SCHEDULED, ScanRun.created >= slot)
    )
    # Only an installation that already scanned before that slot can have missed it.
    existed = db.session.scalar(select(func.count()).where(ScanRun.created < slot))
    return slot if existed and not queued else None


def attention() -> tuple[int, list[SequencingRun]]:
    """Runs whose verdict is not complete, newest first: (how many, the first ATTENTION_LIMIT)."""
    r = SequencingRun
    count = db.session.scalar(select(func.count()).where(r.needs_attention))
    runs = db.session.scalars(
        select(r).where(r.needs_attention).order_by(r.date.desc().nulls_last(), r.name.desc()).limit(ATTENTION_LIMIT)
    ).all()
    return count, runs


def today() -> dict:
    latest = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(1)).first()
    finished = db.session.scalars(
        select(ScanRun).where(ScanRun.state == ScanState.FINISHED).order_by(ScanRun.id.desc()).limit(1)
    ).first()
    count, runs = attention()
    return {
        "latest": latest,
        "finished": finished,
        "changes": scans.changes(finished) if finished else {},
        "new_runs": scans.new_runs(finished) if finished else [],
        "overdue_since": overdue_since(),
        "attention_count": count,
        "attention": runs,
        "latest_key": latest_key(),
    }


@bp.get("/")
def index():
    return render_template("home.html", **today())


@bp.get("/home/summary")
def summary():
    """The summary again, or 204 (htmx swaps nothing) if the newest scan is the one the page shows."""
    if request.args.get("seen") == latest_key():
        return "", 204
    return render_template("partials/home_summary.html", **today())
