"""The twice-daily schedule, with real Redis, real rq-scheduler and real worker processes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.keys import scheduled_jobs
from seqscan.models import ScanRun


def next_local(zone: str, hour: int, after: datetime) -> datetime:
    """The next hour:00 wall-clock time in zone after `after`, by the zone database."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    for offset in range(3):
        d = day + timedelta(days=offset)
        candidate = datetime(d.year, d.month, d.day, hour, tzinfo=tz)
        if candidate > after:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable")


def test_registering_twice_leaves_two_scheduled_scans_and_disabling_removes_them(lab):
    done = lab.run("flask", "schedule", "register")
    assert done.returncode == 0, done.stderr
    first = lab.registered()
    assert len(first) == 2
    again = lab.run("flask", "schedule", "register")  # as a scheduler restart: each next firing as it was
    assert again.returncode == 0, again.stderr
    assert lab.registered() == first
    for setting in ("ENABLED", "SCAN_DISKS"):
        assert lab.run("flask", "schedule", "register", **{setting: False}).returncode == 0
        assert lab.registered() == {}
        lab.run("flask", "schedule", "register")
        assert len(lab.registered()) == 2


def test_a_changed_schedule_replaces_the_old_one(lab):
    lab.run("flask", "schedule", "register")
    lab.run("flask", "schedule", "register", SCHEDULE=["30 7 * * 1-5"])
    times = list(lab.registered().values())
    assert len(times) == 1 and (times[0].hour, times[0].minute) == (7, 30)  # the lab zone is UTC here


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Australia/Adelaide"])  # no DST; DST (+10:30 in November)
def test_next_scan_times_follow_the_lab_time_zone(lab, zone):
    before = datetime.now(UTC)
    done = lab.run("flask", "schedule", "register", TIMEZONE=zone)
    assert done.returncode == 0, done.stderr
    times = sorted(lab.registered().values())
    expected = sorted([next_local(zone, 6, before), next_local(zone, 19, before)])
    assert times == expected
    shown = lab.run("flask", "schedule", "show", TIMEZONE=zone)
    local = expected[0].astimezone(ZoneInfo(zone))
    assert f"{local:%Y-%m-%d %H:%M}" in shown.stdout and local.strftime("%Z") in shown.stdout


def test_a_due_scheduled_scan_creates_its_own_scan_and_the_worker_completes_it(lab):
    lab.runs(1)
    lab.settings["PAUSE_PER_RUN_SECONDS"] = 0
    assert lab.run("flask", "schedule", "register").returncode == 0
    job_id = min(lab.registered())
    lab.redis.zadd(scheduled_jobs(lab.settings["SCAN_QUEUE"]), {job_id: time.time() - 5})  # due now
    fired = lab.run("flask", "scheduler", "--burst")
    assert fired.returncode == 0, fired.stderr
    with lab.app.app_context():
        scan = db.session.query(ScanRun).one()
        db.session.expunge(scan)
    assert (scan.trigger, scan.state, scan.requested_by) == (Trigger.SCHEDULED, ScanState.CREATED, "scheduler")
    assert lab.registered()[job_id] > datetime.now(UTC)  # and it is scheduled again
    assert lab.run("worker.py", "--burst").returncode == 0
    assert lab.scan(scan.id).state == ScanState.FINISHED
    # The next firing is another ScanRun, though rq-scheduler fires the same job id again.
    lab.redis.zadd(scheduled_jobs(lab.settings["SCAN_QUEUE"]), {job_id: time.time() - 5})
    lab.run("flask", "scheduler", "--burst")
    with lab.app.app_context():
        assert db.session.query(ScanRun).count() == 2


def test_the_schedulers_heartbeat_sets_a_dead_scan_to_error_without_any_page_read(lab):
    from seqscan import roots, scans

    with lab.app.app_context():
        dead = scans.create(roots.configured()[0], Trigger.MANUAL, "alice")
        scans.advance(dead, ScanState.SCANNING_FILES)  # no process holds the scan lock for it
        dead_id = dead.id
    assert lab.run("flask", "scheduler", "--burst").returncode == 0
    scan = lab.scan(dead_id)
    assert scan.state == ScanState.ERROR and scan.error.startswith("interrupted during Scanning Files")
    assert scan.finished is not None


def test_a_changed_cron_gets_a_new_job_id_and_the_old_job_goes(lab):
    lab.run("flask", "schedule", "register", SCHEDULE=["0 6 * * *"])
    first = set(lab.registered())
    lab.run("flask", "schedule", "register", SCHEDULE=["0 6 * * *"])
    assert set(lab.registered()) == first  # the same schedule: the same id
    lab.run("flask", "schedule", "register", SCHEDULE=["0 7 * * *"])
    again = set(lab.registered())
    assert len(again) == 1 and not again & first
    assert not lab.redis.exists(f"rq:job:{first.pop()}")  # cancelled and deleted


def test_schedule_show_names_the_zone_each_job_was_registered_in(lab):
    """Not the zone of the process showing it: the firing times were computed on the registered zone's clock."""
    assert lab.run("flask", "schedule", "register", TIMEZONE="Asia/Tokyo", SCHEDULE=["0 6 * * *"]).returncode == 0
    shown = lab.run("flask", "schedule", "show", TIMEZONE="UTC").stdout
    assert "06:00 JST  (0 6 * * * in Asia/Tokyo)" in shown, shown
