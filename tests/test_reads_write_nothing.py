"""A GET never writes (issue 16 §4): every page, fragment and API route, and every read-only
command, leaves the database and Redis byte for byte as they were, with scans in every state
around, a dead one among them. A dead scan is shown as such at once and recorded only by those
that act (the worker as it starts, the scheduler's look, a trigger)."""

from __future__ import annotations

import sqlite3

import pytest
from redis import Redis
from sqlalchemy import select

from seqscan.auth import new_api_token
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.process_record import ProcessRecord
from seqscan.jobs.scanqueue import enqueue_scan, record_dead_scans
from seqscan.jobs.schedule import register_schedule
from seqscan.models import ScanRun, User
from tests.conftest import RUN, TEST_DATABASE_URL, TEST_REDIS_URL, make_run

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="reads the SQLite file itself")

READ_ONLY_COMMANDS = [
    ["scans", "list"],
    ["scans", "show", "{dead}"],
    ["scans", "show", "{finished}"],
    ["files", "export", "--missing"],
    ["settings", "get", "SCAN_ROOT"],
    ["runs", "list"],
    ["runs", "show", RUN],
    ["schedule", "show"],
    ["users", "list"],
    ["config-check"],
]


def database_dump(app) -> list[str]:
    with sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")) as conn:
        return list(conn.iterdump())


def redis_dump(redis: Redis) -> dict[bytes, bytes]:
    return {key: redis.dump(key) for key in sorted(redis.keys("*"))}


@pytest.fixture
def busy(app, users, scan, lab_redis, root):
    """Scans in every state (a dead working one among them), a waiting one queued in Redis, the
    schedule registered, a worker's record of its settings; returns {name: scan id}."""
    make_run(root)
    ids = {"finished": scan().id}
    with app.app_context():
        ids["waiting"] = enqueue_scan(Trigger.MANUAL, "olga")[0].id
        register_schedule()
        ProcessRecord(lab_redis, "worker", app.config["SCAN_QUEUE"]).write(600)
        for name, state in (("failed", ScanState.ERROR), ("dead", ScanState.SCANNING_FILES)):
            row = ScanRun(
                root=app.config["SCAN_ROOT"], trigger=Trigger.MANUAL, state=state, error="boom" * (name == "failed")
            )
            db.session.add(row)
            db.session.commit()
            ids[name] = row.id
    return ids


def test_no_get_and_no_read_only_command_writes_to_the_database_or_redis(app, busy, operator, runner):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "olga"))
        token = new_api_token(user)
        db.session.commit()
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        route = rule.rule.replace("<name>", RUN).replace("<any(csv, tsv):fmt>", "csv")
        route = route.replace("<int:file_id>", "1")  # a file of the run (the acknowledge form)
        routes += [route.replace("<int:scan_id>", str(i)) for i in busy.values()] if "<int:" in route else [route]
    assert len(routes) >= 20, routes  # every page family and the API
    redis = Redis.from_url(TEST_REDIS_URL)
    before = database_dump(app), redis_dump(redis)
    assert before[1], "Redis holds the queue and the schedule"
    for route in routes:
        for headers in ({}, {"HX-Request": "true"}):
            response = operator.get(route, headers=headers)
            response.get_data()  # a streamed download runs to its end
            response.close()
            assert response.status_code in (200, 204, 286), (route, response.status_code)
        by_token = app.test_client().get(route, headers={"Authorization": f"Bearer {token}"})
        by_token.get_data()
        by_token.close()
        assert by_token.status_code < 500, route
    for args in READ_ONLY_COMMANDS:
        result = runner.invoke(args=[a.format(**busy) for a in args])
        assert result.exit_code in (0, 1), (args, result.output)  # config-check may find a problem
    after = database_dump(app), redis_dump(redis)
    assert after[0] == before[0], "a read wrote to the database"
    assert after[1] == before[1], "a read wrote to Redis"


def test_a_dead_scan_is_shown_as_interrupted_by_a_read_and_recorded_by_the_next_trigger(app, busy, operator, runner):
    dead = busy["dead"]
    row = operator.get(f"/scans/{dead}/row", headers={"HX-Request": "true"})
    assert row.status_code == 286 and "hx-trigger" not in row.text  # shown ended: it stops polling
    assert "data-interrupted" in row.text and ">interrupted<" in row.text
    assert "interrupted during Scanning Files" in operator.get(f"/scans/{dead}").text
    assert operator.get(f"/api/scans/{dead}").json["interrupted"].startswith("interrupted during Scanning Files")
    listed = runner.invoke(args=["scans", "list"]).output
    assert "Scanning Files (interrupted)" in listed
    with app.app_context():
        assert db.session.get(ScanRun, dead).state == ScanState.SCANNING_FILES  # shown, not written
        assert enqueue_scan(Trigger.MANUAL, "olga")[0].id == busy["waiting"]  # a trigger records it
        assert db.session.get(ScanRun, dead).state == ScanState.ERROR
        assert record_dead_scans() == []  # recorded once
