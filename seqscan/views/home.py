"""The home page: today's answer. Did the last scan work, what changed, which runs need
attention, and is a scheduled scan overdue? A page left open learns of new scans by a cheap
check every 30 s (only while visible) that swaps in a new summary when there is one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import case, func, select

from seqscan import clock, roots, scans
from seqscan.enums import RunVerdict, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import refusal
from seqscan.models import ScanRun, SequencingRun

bp = Blueprint("home", __name__)
ATTENTION_LIMIT = 50  # runs listed as needing attention
# The order of the home page's totals: what is there, what is not, then what is not judged.
TOTALS_ORDER = [
    RunVerdict.COMPLETE, RunVerdict.INCOMPLETE, RunVerdict.ACKNOWLEDGED, RunVerdict.ERROR, RunVerdict.RUN_FAILED, RunVerdict.NO_SHEET,
    RunVerdict.DELETED, RunVerdict.SEQUENCING, RunVerdict.SKIPPED, RunVerdict.MOVED,
]  # fmt: skip
# Runs needing attention, worst first (then by missing files, then newest).
SEVERITY = [RunVerdict.ERROR, RunVerdict.RUN_FAILED, RunVerdict.DELETED, RunVerdict.INCOMPLETE, RunVerdict.NO_SHEET]


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


class Tally(NamedTuple):
    verdict: RunVerdict
    runs: int
    missing: int  # expected files missing in those runs


class RootTotals(NamedTuple):
    name: str  # as the pages name the root
    filter: str  # its ?root= value on the runs list ("" for a root no longer configured)
    runs: int
    tallies: list[Tally]  # in TOTALS_ORDER, verdicts with no run left out


def totals() -> list[RootTotals]:
    """Every root's runs counted by verdict: the home page's "is it all there"."""
    each = select(SequencingRun.root, SequencingRun.verdict.label("verdict"), SequencingRun.missing_count).subquery()
    counted = select(each.c.root, each.c.verdict, func.count(), func.sum(each.c.missing_count))
    tallies: dict[str, dict[RunVerdict, Tally]] = {}
    for root, verdict, runs, missing in db.session.execute(counted.group_by(each.c.root, each.c.verdict)):
        tallies.setdefault(root, {})[RunVerdict(verdict)] = Tally(RunVerdict(verdict), runs, missing or 0)
    configured = [root.path for root in roots.configured()]
    order = configured + sorted(set(tallies) - set(configured))
    return [
        RootTotals(
            roots.name_of(path),
            roots.name_of(path) if path in configured else "",
            sum(t.runs for t in tallies[path].values()),
            [tallies[path][v] for v in TOTALS_ORDER if v in tallies[path]],
        )
        for path in order
        if path in tallies
    ]


def attention() -> tuple[int, list[SequencingRun]]:
    """Runs needing attention, worst first: (how many, the first ATTENTION_LIMIT)."""
    r = SequencingRun
    count = db.session.scalar(select(func.count()).where(r.needs_attention))
    severity = case({v.value: i for i, v in enumerate(SEVERITY)}, value=r.verdict, else_=len(SEVERITY))
    worst_first = (severity, r.missing_count.desc(), r.date.desc().nulls_last(), r.name.desc())
    runs = db.session.scalars(select(r).where(r.needs_attention).order_by(*worst_first).limit(ATTENTION_LIMIT)).all()
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
    # The key first: a scan that ends while the rest is read leaves the page with an older key than
    # what it shows, and so the next check swaps in the ended scan. Read last, the key could already
    # say Finished beside a summary that says running, and the page would never ask again.
    key = latest_key()
    latest = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(1)).first()
    finished = db.session.scalars(
        select(ScanRun).where(ScanRun.state == ScanState.FINISHED).order_by(ScanRun.id.desc()).limit(1)
    ).first()
    count, runs = attention()
    per_root = latest_per_root()
    scheduled = db.session.scalars(
        select(ScanRun).where(ScanRun.trigger == Trigger.SCHEDULED).order_by(ScanRun.id.desc()).limit(1)
    ).first()
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
        "totals": totals(),
        "scheduled": scheduled,
        "latest_key": key,
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
