"""The one clock: now, the lab's time zone (SEQSCAN_TIMEZONE), and the firings of a cron string on
the lab's wall clock. Every datetime here is UTC-aware; nothing sets TZ for the process (a process
serves one lab, but its own local time stays whatever the machine says)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crontab import CronTab
from flask import current_app


def now() -> datetime:
    return datetime.now(UTC)


def lab_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def lab_time(dt: datetime) -> datetime:
    """dt on the lab's wall clock."""
    return dt.astimezone(lab_zone())


def check_cron(cron: str) -> None:
    """Raise ValueError (with crontab's reason) for a cron string that is not one."""
    CronTab(cron)


# Only the cron step reads the wall clock; every sum is in UTC. (A datetime in the zone plus a
# timedelta moves its wall clock, which is an hour off across a daylight-saving change.)
def next_firing(cron: str, after: datetime | None = None, zone: ZoneInfo | None = None) -> datetime:
    """The first firing of cron (on zone's wall clock, default the lab's) after `after` (default now), in UTC."""
    at = (after or now()).astimezone(zone or lab_zone())
    return CronTab(cron).next(now=at, default_utc=False, return_datetime=True).astimezone(UTC)


def previous_firing(cron: str, before: datetime | None = None, zone: ZoneInfo | None = None) -> datetime:
    """The last firing of cron (on zone's wall clock, default the lab's) before `before` (default now), in UTC."""
    at = (before or now()).astimezone(zone or lab_zone())
    return CronTab(cron).previous(now=at, default_utc=False, return_datetime=True).astimezone(UTC)
