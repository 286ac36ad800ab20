"""The home page: today's answer. Did the last scan work, what changed, which runs need
attention, and is a scheduled scan overdue? A page left open learns of new scans by a cheap
check every 30 s (only while visible) that swaps in a new summary when there is one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from seqscan import clock, roots, scans
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import refusal
from seqscan.models import ScanRun, SequencingRun

bp = Blueprint("home", __name__)
ATTENTION_LIMIT = 50  # runs listed as needing attention


def latest_key() -> str:
    """What the open page compares: the newest scans' ids and states (one per root: with several
    roots, an older root's scan may end after a newer one)."""
    newest = select(ScanRun.id, ScanRun.state).order_by(ScanRun.id.desc()).limit(max(1, len(roots.configured())))
    rows = db.session.execute(newest).all()
    return ",".join(f"{row.id}:{row.state}" for row in rows) or "none"


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


def latest_per_root() -> list[tuple[str, ScanRun | None]]:
    """(root name, its newest scan) of each configured root, when there are several: the home page
    answers for each in one block."""
    configured = roots.configured()
    if len(configured) < 2:
        return []
    newest = select(ScanRun).order_by(ScanRun.id.desc()).limit(1)
    return [(root.name, db.session.scalars(newest.where(ScanRun.root == root.path)).first()) for root in configured]


def today() -> dict:
    latest = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(1)).first()
    finished = db.session.scalars(
        select(ScanRun).where(ScanRun.state == ScanState.FINISHED).order_by(ScanRun.id.desc()).limit(1)
    ).first()
    count, runs = attention()
    per_root = latest_per_root()
    return {
        "per_root_at": max((scan.created for _, scan in per_root if scan), default=None),
        "latest": latest,
        "per_root": per_root,
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
