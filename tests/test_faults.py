"""Faults of seqscan's own infrastructure, with the real parts: a Redis of the test's own that is
killed and restarted, worker and scheduler processes, signals (issue 10; SPEC §3 and §5)."""

from __future__ import annotations

import signal
import socket
import sqlite3
import time
import uuid

import pytest
from rq import Worker
from rq.job import Job
from sqlalchemy import create_engine, event, make_url, select, text

from seqscan import scans
from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.health import server_status
from seqscan.jobs.claim import live_worker
from seqscan.jobs.keys import scheduler_alive, worker_claim
from seqscan.jobs.run import ScanEndedInError, run_queued_scan
from seqscan.jobs.scanqueue import get_queue, record_dead_scans
from seqscan.jobs.schedule import get_scheduler
from seqscan.models import ScanRun, SequencingRun
from seqscan.scanner import store
from tests.conftest import TEST_DATABASE_URL, make_run
from tests.queue_support import WORKING, Lab, PrivateRedis


@pytest.fixture
def flaky_lab(tmp_path):
    """A lab whose Redis is the test's own (lab.own_redis), to restart."""
    redis = PrivateRedis(tmp_path)
    lab = Lab(tmp_path, redis.url)
    lab.own_redis = redis
    yield lab
    lab.close()
    redis.stop()


def status(lab) -> dict:
    with lab.app.app_context():
        return server_status()


# --- 1. The schedule survives a Redis restart and an outage ---


def test_the_scheduler_registers_the_schedule_again_after_redis_restarts_and_survives_an_outage(flaky_lab):
    lab, schedule = flaky_lab, ["0 6 * * *", "0 19 * * *"]
    lab.settings["SCHEDULE"] = schedule
    lab.app = lab.make_app()
    scheduler = lab.start("flask", "scheduler", "--interval", "1")
    lab.wait_for(lambda: sorted(lab.registered_crons()) == sorted(schedule), timeout=30, what="the schedule")
    assert status(lab)["scheduler_ok"]

    lab.own_redis.restart(down_seconds=3)  # empty again: the schedule is gone
    lab.wait_for(lambda: sorted(lab.registered_crons()) == sorted(schedule), timeout=30, what="the schedule again")

    lab.own_redis.restart(down_seconds=12)  # longer than the client's timeouts
    lab.wait_for(
        lambda: sorted(lab.registered_crons()) == sorted(schedule), timeout=60, what="the schedule after the outage"
    )
    assert scheduler.poll() is None, "the scheduler must outlive a Redis outage"
    lab.wait_for(lambda: status(lab)["scheduler_ok"], timeout=10, what="the status page to say OK")
    log = (lab.tmp / "proc-0.log").read_text()
    assert "trying again" in log  # the outage is logged, not silent


def test_the_status_page_says_ok_for_the_scheduler_only_when_the_schedule_is_registered(flaky_lab):
    lab = flaky_lab
    lab.settings["SCHEDULE"] = ["0 6 * * *"]
    with lab.make_app().app_context():
        from seqscan.jobs.schedule import register_schedule

        lab.redis.set(scheduler_alive(lab.settings["SCAN_QUEUE"]), "a scheduler", ex=60)
        status = server_status()
        assert status["scheduler_alive"] and not status["scheduler_ok"]
        assert "not registered" in status["scheduler_detail"]
        register_schedule()
        assert server_status()["scheduler_ok"]


def test_a_firing_due_while_redis_had_lost_the_schedule_is_made_up_for_once(flaky_lab):
    lab = flaky_lab
    lab.settings["SCHEDULE"] = ["* * * * *"]
    with lab.make_app().app_context():
        scheduler = get_scheduler(interval=1)
        scheduler.enqueue_jobs()  # a look: the schedule is registered
        assert scheduler.last_look is not None and lab.registered_crons() == ["* * * * *"]
        scheduler.enqueue_jobs()  # nothing lost, nothing due: no scan
        assert db.session.query(ScanRun).count() == 0
        scheduler.last_look -= 120  # the last look that saw the schedule was two minutes ago …
        lab.redis.flushdb()  # … and Redis restarted since, empty
        scheduler.enqueue_jobs()
        made_up = db.session.scalars(select(ScanRun)).all()
        assert [(s.trigger, s.requested_by) for s in made_up] == [(Trigger.SCHEDULED, "scheduler")]
        scheduler.enqueue_jobs()  # registered again: nothing more to make up
        assert db.session.query(ScanRun).count() == 1


# --- 2. A waiting scan is queued again when Redis lost its job ---


def test_a_waiting_scan_whose_job_redis_lost_is_queued_again_and_runs(flaky_lab):
    lab = flaky_lab
    lab.runs(6)
    lab.start("worker.py")
    lab.start("flask", "scheduler", "--interval", "1")
    first = lab.enqueue()
    lab.wait_state(first, *WORKING)
    second = lab.enqueue()
    lab.own_redis.restart(down_seconds=6)  # the second scan's job is gone with it
    assert lab.wait_end(first, timeout=90).state == ScanState.FINISHED
    done = lab.wait_end(second, timeout=90)
    assert done.state == ScanState.FINISHED, done.error
    assert done.task_id.endswith("-requeued")


def test_a_job_lost_twice_ends_the_scan_in_error_rather_than_looping(flaky_lab):
    lab = flaky_lab
    scan_id = lab.enqueue()
    Job.fetch(lab.scan(scan_id).task_id, connection=lab.redis).delete()
    with lab.app.app_context():
        assert record_dead_scans() == []  # queued again
    requeued = lab.scan(scan_id)
    assert requeued.state == ScanState.CREATED and Job.fetch(requeued.task_id, connection=lab.redis)
    Job.fetch(requeued.task_id, connection=lab.redis).delete()
    with lab.app.app_context():
        assert record_dead_scans() == [scan_id]
    scan = lab.scan(scan_id)
    assert scan.state == ScanState.ERROR and scan.error == "never started: its queue job is gone from Redis again"
    assert lab.enqueue() != scan_id  # and a new press queues a new scan


# --- 3. The worker's claim on the queue survives a Redis restart; a twin is refused throughout ---


def test_the_workers_claim_returns_after_a_redis_restart_and_a_twin_is_refused_meanwhile(flaky_lab):
    lab = flaky_lab
    worker = lab.start("worker.py")

    def owner():
        with lab.app.app_context():
            try:
                return live_worker(lab.redis, lab.settings["SCAN_QUEUE"])
            except Exception:
                return None

    first_owner = lab.wait_for(owner, what="the worker's claim")
    lab.own_redis.restart(down_seconds=3)
    twin = lab.run("worker.py", "--burst", timeout=60)  # Redis is back but empty: the claim is not there yet
    assert twin.returncode == 2, twin.stdout + twin.stderr
    assert "already serves queue" in twin.stdout + twin.stderr
    assert lab.wait_for(owner, timeout=30, what="the claim to come back") == first_owner
    assert worker.poll() is None

    def registered_with_rq():  # what `rq info` and the status page's worker list read
        with lab.app.app_context():
            return [w.name for w in Worker.all(queue=get_queue(lab.redis))]

    lab.wait_for(registered_with_rq, timeout=30, what="the worker to be registered with RQ again")
    scan_id = lab.enqueue()
    assert lab.wait_end(scan_id).state == ScanState.FINISHED
    assert "Exception in thread" not in (lab.tmp / "proc-0.log").read_text()


# --- 4. A terminated PostgreSQL connection costs nothing: the next scan runs ---


@pytest.fixture
def own_postgres():
    """A PostgreSQL database of the test's own (its connections are terminated by the test)."""
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("needs SEQSCAN_TEST_DATABASE_URL pointing at PostgreSQL")
    name = f"seqscan_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False), admin, name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def own_lab(tmp_path, own_postgres):
    """A Lab on a PostgreSQL database of its own, with the admin engine and the database's name."""
    url, admin, name = own_postgres
    lab = Lab(tmp_path, database_url=url)
    yield lab, admin, name
    lab.close()


def backends(admin, name: str) -> list[tuple[str, str]]:
    """(application_name or pid, state) of every other connection to database name."""
    with admin.connect() as conn:
        rows = conn.execute(
            text("SELECT pid, state FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}
        )
        return [(str(pid), state) for pid, state in rows]


def terminate(admin, name: str) -> int:
    with admin.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        return len(rows.all())


def _a_scan_with_worker_and_scheduler(lab):
    """A worker and a scheduler running, and a first scan of two runs Finished by them."""
    lab.runs(2)
    worker = lab.start("worker.py")
    scheduler = lab.start("flask", "scheduler", "--interval", "1")
    assert lab.wait_end(lab.enqueue()).state == ScanState.FINISHED
    return worker, scheduler


def _the_next_scan_finishes(lab, worker, scheduler) -> None:
    """After the fault: a scan pressed now Finishes, and neither process needed a restart."""
    done = lab.wait_end(lab.enqueue())
    assert done.state == ScanState.FINISHED, done.error
    assert worker.poll() is None and scheduler.poll() is None


def test_a_terminated_database_connection_does_not_stop_the_worker_or_the_scheduler(own_lab):
    lab, admin, name = own_lab
    worker, scheduler = _a_scan_with_worker_and_scheduler(lab)
    time.sleep(1.5)  # the worker is idle now, the scheduler between looks
    assert "idle in transaction" not in {state for _, state in backends(admin, name)}, backends(admin, name)
    assert terminate(admin, name) >= 1
    _the_next_scan_finishes(lab, worker, scheduler)
    with lab.app.app_context():
        assert server_status()["database"]["ok"]


def test_a_connection_terminated_mid_scan_costs_at_most_the_run_being_written(own_lab):
    lab, admin, name = own_lab
    lab.runs(8)
    lab.start("worker.py")
    scan_id = lab.enqueue()
    lab.wait_state(scan_id, ScanState.CREATE_MODELS)
    time.sleep(0.8)  # a few runs in (0.3 s each)
    assert terminate(admin, name) >= 1
    done = lab.wait_end(scan_id)
    assert done.state == ScanState.FINISHED and not done.error, done.error
    with lab.app.app_context():
        lost = [w.message for w in scans.warnings(db.session.get(ScanRun, scan_id)) if "not recorded" in w.message]
    assert len(lost) <= 1, lost
    again = lab.enqueue()
    assert lab.wait_end(again).state == ScanState.FINISHED
    with lab.app.app_context():
        assert db.session.query(SequencingRun).count() == 8
        assert all(run.fingerprint for run in db.session.query(SequencingRun))


# --- 6. Stopping the worker: the first SIGTERM stops the scan at a run boundary, the second at once ---


def test_sigterm_stops_the_scan_at_the_next_run_and_queues_it_again_for_the_next_worker(lab):
    lab.runs(10)  # 0.3 s a run in Create Models
    worker = lab.start("worker.py")
    first = lab.enqueue()
    lab.wait_for(lambda: lab.scan(first).runs_done >= 2, what="two runs written")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    stopped = lab.scan(first)
    assert (stopped.state, stopped.error) == (ScanState.ERROR, "stopped: the worker was shut down during Create Models")
    assert stopped.end_reason == EndReason.SHUT_DOWN
    assert 2 <= stopped.runs_done < 10  # it stopped between runs, not at the end
    again = lab.scan(first + 1)
    assert again.state == ScanState.CREATED and (again.trigger, again.requested_by) == (Trigger.MANUAL, "alice")
    lab.start("worker.py", PAUSE_PER_RUN_SECONDS=0)  # the scan queued again is not watched
    assert lab.wait_end(again.id).state == ScanState.FINISHED


def test_a_second_sigterm_stops_the_scan_at_once(lab):
    lab.runs(3)
    lab.settings["PAUSE_PER_RUN_SECONDS"] = 30  # the next run boundary is far away
    # The serial walk: its first check is after the first run's pause. The pooled walk checks as it
    # takes each kit folder, a few milliseconds in, where a first SIGTERM sent at once stops it.
    lab.settings["SCAN_THREADS"] = 1
    worker = lab.start("worker.py")
    first = lab.enqueue()
    phase = lab.wait_state(first, *WORKING).state
    worker.send_signal(signal.SIGTERM)
    time.sleep(1.5)  # RQ ignores a second signal within a second of the first
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=10)
    stopped = lab.scan(first)
    assert (stopped.state, stopped.error) == (
        ScanState.ERROR,
        f"stopped: the process was stopped at once during {phase}",
    )
    assert stopped.end_reason == EndReason.KILLED
    assert lab.scan(first + 1).state == ScanState.CREATED  # queued again


def test_a_started_job_is_not_taken_for_dead_while_its_worker_lives_but_redis_lost_the_claim(lab):
    """The worker took the job and waits for a command-line scan; Redis loses the claim (restart)."""
    lab.runs(12)
    lab.start("flask", "scan")
    lab.wait_state(1, *WORKING)
    lab.start("worker.py", PAUSE_PER_RUN_SECONDS=0)  # its scan, once it may run, is not watched
    waiting = lab.enqueue()
    job = Job.fetch(lab.scan(waiting).task_id, connection=lab.redis)
    lab.wait_for(lambda: job.get_status() == "started", what="the worker to take the job")
    lab.redis.delete(worker_claim(lab.settings["SCAN_QUEUE"]))  # as a restart would, before it is put back
    with lab.app.app_context():
        assert record_dead_scans() == []
    assert lab.wait_end(waiting, timeout=90).state == ScanState.FINISHED


# --- 5. On SQLite, a long write elsewhere never makes a running scan look dead ---


def test_a_scan_whose_heartbeat_is_held_up_by_another_writer_is_not_taken_for_dead(lab):
    if TEST_DATABASE_URL:
        pytest.skip("SQLite's single writer")
    lab.runs(8)
    # Stale after 2 s instead of 5; the write lock below is still held for longer than that.
    lab.settings["STALE_AFTER_SECONDS"] = lab.app.config["STALE_AFTER_SECONDS"] = 2
    lab.start("flask", "scan")
    lab.wait_state(1, ScanState.CREATE_MODELS)
    path = lab.settings["DATABASE_URL"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None, timeout=60)
    writer.execute("BEGIN IMMEDIATE")  # holds SQLite's one write lock, as one huge run's transaction did
    try:
        time.sleep(float(lab.settings["STALE_AFTER_SECONDS"]) + 2)  # no heartbeat can be written meanwhile
        waiter = lab.start("flask", "scan", "--wait", PAUSE_PER_RUN_SECONDS=0)  # nothing to watch in it
        with lab.app.app_context():
            assert record_dead_scans() == []  # its process lives: not dead, and nothing to write
            status = server_status()  # a page answers while the writer writes
            assert [s.id for s in status["running"]] == [1]
        assert writer.in_transaction  # all of that happened before the write lock was let go
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    done = lab.wait_end(1)
    assert (done.state, done.error) == (ScanState.FINISHED, "")
    assert waiter.wait(120) == 0  # `flask scan --wait` waited through "database is locked"
    assert lab.scan(2).state == ScanState.FINISHED


def test_a_large_run_is_written_in_chunks_and_a_stop_half_way_is_mended_by_the_next_scan(
    app, root, scan, files, get_run, monkeypatch
):
    monkeypatch.setattr(store, "CHUNK_ROWS", 15)
    make_run(root, samples=[f"S{i}" for i in range(6)])
    commits = []
    with app.app_context():
        listen = lambda session: commits.append(1)  # noqa: E731
        event.listen(db.session, "after_commit", listen)
    real_insert = store.insert_rows
    calls = []

    def insert_then_fail(session, table, columns, rows):
        calls.append(table.name)
        if calls.count("sequencing_file") == 3:  # the third chunk's files: the scan stops half-way through the run
            raise OSError("the database went away")
        return real_insert(session, table, columns, rows)

    monkeypatch.setattr(store, "insert_rows", insert_then_fail)
    first = scan()
    assert any("run not recorded; it is parsed again by the next scan" in w.message for w in first.warnings)
    assert get_run().fingerprint == ""  # two chunks were committed: the run must be parsed again
    half_way = len(files())
    monkeypatch.setattr(store, "insert_rows", real_insert)
    scan()  # nothing changed on disk
    run = get_run()
    assert 0 < half_way < len(files()) == run.expected_count == run.complete_count
    assert set(files().values()) == {"Complete"} and run.fingerprint
    assert len(commits) > 4  # the chunks were committed one by one


def test_a_postgresql_restart_while_the_worker_is_idle_needs_no_manual_step(tmp_path, private_postgres):
    lab = Lab(tmp_path, database_url=private_postgres.url)
    try:
        worker, scheduler = _a_scan_with_worker_and_scheduler(lab)
        private_postgres.restart()
        time.sleep(2)  # the scheduler looks at the database again meanwhile
        _the_next_scan_finishes(lab, worker, scheduler)
    finally:
        lab.close()


def test_a_connection_lost_between_runs_stops_the_scan_and_queues_it_again(own_lab):
    """Seen in the soak: a backend terminated while the scan touched its unchanged runs failed it."""
    lab, admin, name = own_lab
    lab.runs(2)
    assert lab.run("flask", "scan").returncode == 0  # both runs known and unchanged from now on
    with lab.app.app_context():
        scan_id = lab.enqueue()
        cut = []

        def terminate_this_connection(conn, cursor, statement, *args):
            if statement.startswith("UPDATE sequencing_run") and not cut:
                cut.append(cursor.connection.info.backend_pid)
                with admin.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut[0]})

        event.listen(db.engine, "before_cursor_execute", terminate_this_connection)
        try:
            with pytest.raises(ScanEndedInError, match="stopped: the database connection was lost"):  # RQ: failed
                run_queued_scan(scan_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", terminate_this_connection)
    assert cut, "the statement to cut never ran"
    stopped = lab.scan(scan_id)
    assert stopped.state == ScanState.ERROR
    assert stopped.error.startswith("stopped: the database connection was lost during Create Models: terminating")
    assert stopped.end_reason == EndReason.DATABASE_LOST
    again = lab.scan(scan_id + 1)
    assert again is not None and again.state == ScanState.CREATED  # queued again: the next worker runs it


def test_the_status_page_knows_the_local_worker_while_redis_has_lost_its_claim(lab):
    worker = lab.start("worker.py")
    with lab.app.app_context():
        claimed = lab.wait_for(lambda: live_worker(lab.redis, lab.settings["SCAN_QUEUE"]), what="the claim")
        lab.redis.delete(worker_claim(lab.settings["SCAN_QUEUE"]))  # as a restarted Redis, for up to a second
        assert server_status()["queues"][0]["owner"] == claimed == f"{socket.gethostname()}:{worker.pid}"
        worker.kill()
        worker.wait()
        lab.redis.delete(worker_claim(lab.settings["SCAN_QUEUE"]))
        assert server_status()["queues"][0]["owner"] is None  # the kernel dropped its lock with it
