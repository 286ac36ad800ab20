"""The home page: today's answer. Did the last scan work, what changed, which runs need
attention, and is a scheduled scan overdue? A page left open learns of new scans by a cheap
check every 30 s (only while visible) that swaps in a new summary when there is one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crontab import CronTab
from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, or_, select

from seqscan import scans
from seqscan.enums import DataState, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import refusal, resolve_dead_scans
from seqscan.models import ScanRun, SequencingRun, utcnow

bp = Blueprint("home", __name__)
ATTENTION_LIMIT = 50  # runs listed as needing attention


def latest_key() -> str:
    """What the open page compares: the newest scan's id and state."""
    row = db.session.execute(select(ScanRun.id, ScanRun.state).order_by(ScanRun.id.desc()).limit(1)).first()
    return f"{row.id}:{row.state}" if row else "none"


def last_slot(schedule: list[str], zone: ZoneInfo, now: datetime, grace: timedelta) -> datetime:
    """The latest slot of schedule (cron strings on zone's wall clock) at least grace before now, in UTC.

    Only the cron step is on the wall clock; every sum is in UTC. (A datetime in zone plus a timedelta
    moves its wall clock, which is an hour off across a daylight-saving change: a slot seen on the
    morning of that day came out an hour late in spring and an hour early in autumn.)"""
    probe = (now - grace).astimezone(UTC)
    return max(
        CronTab(c).previous(now=probe.astimezone(zone), default_utc=False, return_datetime=True).astimezone(UTC)
        for c in schedule
    )


def overdue_since(now: datetime | None = None) -> datetime | None:
    """The last scheduled slot (plus SEQSCAN_SCHEDULE_GRACE_MINUTES) that queued no scan, if any."""
    config = current_app.config
    if refusal() is not None or not config["SCHEDULE"]:
        return None
    grace = timedelta(minutes=config["SCHEDULE_GRACE_MINUTES"])
    slot = last_slot(config["SCHEDULE"], ZoneInfo(config["TIMEZONE"]), now or utcnow(), grace)
    queued = db.session.scalar(
        select(func.count()).where(ScanRun.trigger == Trigger.SCHEDULED, ScanRun.created >= slot)
    )
    # Only an installation that already scanned before that slot can have missed it.
    existed = db.session.scalar(select(func.count()).where(ScanRun.created < slot))
    return slot if existed and not queued else None


def attention() -> tuple[int, list[SequencingRun]]:
    """Runs whose verdict is not complete, newest first: (how many, the first ATTENTION_LIMIT)."""
    r = SequencingRun
    not_complete = or_(
        r.data_state.in_([DataState.DELETED, DataState.ERROR, DataState.SKIPPED]),
        r.skipped,
        r.error_count > 0,
        r.missing_count > 0,
    )
    count = db.session.scalar(select(func.count()).where(not_complete))
    runs = db.session.scalars(
        select(r).where(not_complete).order_by(r.date.desc().nulls_last(), r.name.desc()).limit(ATTENTION_LIMIT)
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
    resolve_dead_scans()
    return render_template("home.html", **today())


@bp.get("/home/summary")
def summary():
    """The summary again, or 204 (htmx swaps nothing) if the newest scan is the one the page shows."""
    if request.args.get("seen") == latest_key():
        return "", 204
    return render_template("partials/home_summary.html", **today())
