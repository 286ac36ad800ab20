"""Every way a scan ends sets its state, its finish time, its end reason and one message, through seqscan.scans."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from seqscan import roots, scans
from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs import lock, run, scanqueue
from seqscan.jobs.run import ScanEndedInError, run_queued_scan, run_scan
from seqscan.jobs.scanqueue import enqueue_scan, record_dead_scans
from seqscan.models import ScanLock, ScanRun
from tests.conftest import TEST_DATABASE_URL, detached, make_run


def ends_logged_by_the_owner(caplog, scan_id: int) -> list[str]:
    """The end lines seqscan/scans/life.py logged for this scan."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.pathname.endswith("seqscan/scans/life.py")
        and r.getMessage().startswith((f"scan {scan_id}: Finished", f"scan {scan_id}: Error"))
    ]


def assert_ended(app, caplog, scan_id: int, state: ScanState, reason: EndReason, message_starts: str) -> ScanRun:
    scan = detached(app, ScanRun, scan_id)
    assert scan.state == state, scan.error
    assert isinstance(scan.state, ScanState)  # read back, the column is the enum
    assert scan.end_reason == reason and isinstance(scan.end_reason, EndReason), scan.error
    assert scan.finished is not None and scan.finished >= scan.created
    assert scan.error.startswith(message_starts), scan.error
    assert len(ends_logged_by_the_owner(caplog, scan_id)) == 1, caplog.text
    return scan


def test_a_finished_scan_has_its_finish_time_and_no_error(app, root, scan, caplog):
    make_run(root)
    done = scan()
    assert_ended(app, caplog, done.id, ScanState.FINISHED, EndReason.FINISHED, "")
    assert done.error == ""


def test_a_scan_that_raises_keeps_its_traceback(app, root, scan, caplog):
    make_run(root)
    app.config["LAYOUT"] = "no-such-layout"
    failed = scan(ok=False)
    ended = assert_ended(app, caplog, failed.id, ScanState.ERROR, EndReason.FAILED, "Traceback (most recent call last)")
    assert "no-such-layout" in ended.error.strip().splitlines()[-1]


def test_a_refused_scan_says_why_in_one_line(app, caplog):
    with app.app_context():
        running = scans.create(roots.configured()[0], Trigger.COMMAND_LINE)
        assert lock.try_acquire(running.id)  # this process scans already
        refused = run_scan(scans.create(roots.configured()[0], Trigger.COMMAND_LINE))
        refused_id, running_id = refused.id, running.id
    assert_ended(
        app, caplog, refused_id, ScanState.ERROR, EndReason.REFUSED, f"refused: scan {running_id} is running ("
    )


def test_a_queued_scan_refused_when_its_job_starts_says_why(app, caplog):
    with app.app_context():
        scan_id = scans.create(roots.configured()[0], Trigger.MANUAL, "alice").id
        app.config["ENABLED"] = False
        with pytest.raises(ScanEndedInError, match=f"scan {scan_id} ended in Error: refused"):  # RQ: failed
            run_queued_scan(scan_id)
    assert_ended(
        app,
        caplog,
        scan_id,
        ScanState.ERROR,
        EndReason.REFUSED,
        "refused: scanning is disabled (SEQSCAN_ENABLED=false)",
    )


def test_a_working_scan_without_a_live_lock_is_interrupted(app, caplog, lab_redis):
    with app.app_context():
        scan = scans.create(roots.configured()[0], Trigger.MANUAL)
        scans.advance(scan, ScanState.SCANNING_FILES)
        scans.advance(scan, ScanState.CREATE_MODELS)
        assert record_dead_scans() == [scan.id]
        assert record_dead_scans() == []  # ended once: the second look changes nothing
    assert_ended(app, caplog, scan.id, ScanState.ERROR, EndReason.INTERRUPTED, "interrupted during Create Models")


def test_a_waiting_scan_whose_job_is_gone_never_started(app, caplog):
    with app.app_context():
        scan = scans.create(roots.configured()[0], Trigger.SCHEDULED)
        scan.task_id = "seqscan-scan-gone"
        db.session.commit()
        assert scans.fail_dead(lambda: set(), lambda task_id: "missing") == [scan.id]
    assert_ended(
        app,
        caplog,
        scan.id,
        ScanState.ERROR,
        EndReason.NEVER_STARTED,
        "never started: its queue job is gone from Redis",
    )


def test_an_unmounted_root_ends_root_unreadable(app, root, scan, caplog):
    make_run(root)
    app.config["ROOT_SENTINEL"] = ".seqscan_root"  # never made: the disk is not mounted
    failed = scan(ok=False)
    assert_ended(app, caplog, failed.id, ScanState.ERROR, EndReason.ROOT_UNREADABLE, "sentinel .seqscan_root missing")


def test_a_scan_its_worker_shuts_down_is_stopped(app, root, caplog):
    make_run(root)
    with app.app_context():
        scan_id = scans.create(roots.configured()[0], Trigger.MANUAL).id
        run.shutdown.set()  # as the worker's first SIGTERM does
        try:
            run_scan(db.session.get(ScanRun, scan_id))
        finally:
            run.shutdown.clear()
    ended = assert_ended(
        app, caplog, scan_id, ScanState.ERROR, EndReason.SHUT_DOWN, "stopped: the worker was shut down"
    )
    assert ended.end_reason.is_stop


def test_a_scan_interrupted_by_ctrl_c_is_stopped_at_once(app, root, caplog, monkeypatch):
    make_run(root)

    def ctrl_c(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "scan_disk", ctrl_c)
    with app.app_context():
        scan_id = scans.create(roots.configured()[0], Trigger.COMMAND_LINE).id
        with pytest.raises(KeyboardInterrupt):
            run_scan(db.session.get(ScanRun, scan_id))
    assert_ended(app, caplog, scan_id, ScanState.ERROR, EndReason.KILLED, "stopped: interrupted (Ctrl-C) during")


@pytest.mark.parametrize(
    ("driver_says", "reason", "message_starts"),
    [
        ("database or disk is full", EndReason.DISK_FULL, "the database's disk is full: database or disk is full"),
        ("disk I/O error", EndReason.DATABASE_LOST, "stopped: the database connection was lost during"),
    ],
)
def test_a_database_outage_under_the_scan_says_which(
    app, root, caplog, monkeypatch, driver_says, reason, message_starts
):
    """What the database said decides the end reason (the real outages: tests/test_outages.py)."""
    make_run(root)

    def database_away(*args):
        raise OperationalError("UPDATE sequencing_run ...", {}, sqlite3.OperationalError(driver_says))

    monkeypatch.setattr(run, "scan_disk", database_away)
    with app.app_context():
        scan_id = scans.create(roots.configured()[0], Trigger.COMMAND_LINE).id
        run_scan(db.session.get(ScanRun, scan_id))
    assert_ended(app, caplog, scan_id, ScanState.ERROR, reason, message_starts)


def test_a_scan_the_queue_cannot_take_is_not_queued(app, caplog, lab_redis, monkeypatch):
    def redis_gone(*args):
        raise RedisError("Connection refused")

    monkeypatch.setattr(scanqueue, "_queue_job", redis_gone)
    with app.app_context():
        with pytest.raises(RedisError):
            enqueue_scan(Trigger.MANUAL, "alice")
        scan_id = db.session.scalar(select(ScanRun.id))
    assert_ended(app, caplog, scan_id, ScanState.ERROR, EndReason.NOT_QUEUED, "could not be queued: Connection refused")


def test_an_ended_scan_is_never_failed_again(app, root, scan, caplog):
    make_run(root)
    done = scan()
    with app.app_context():
        assert not scans.fail(db.session.get(ScanRun, done.id), EndReason.FAILED, "late news")
    assert_ended(app, caplog, done.id, ScanState.FINISHED, EndReason.FINISHED, "")


def test_phases_only_move_forward(app):
    with app.app_context():
        scan = scans.create(roots.configured()[0], Trigger.MANUAL)
        scans.advance(scan, ScanState.CREATE_MODELS)  # a re-used scan skips Scanning Files
        for wrong in (ScanState.SCANNING_FILES, ScanState.CREATE_MODELS, ScanState.FINISHED):
            try:
                scans.advance(scan, wrong)
            except ValueError:
                continue
            raise AssertionError(f"advanced to {wrong}")
        assert scan.state == ScanState.CREATE_MODELS and scan.create_models_start and not scan.scan_start


def test_a_scan_that_lost_its_lock_stops_with_error(lab):
    """Its process, on another machine (as far as the lock row says), was silent past
    STALE_AFTER_SECONDS and another scan took the lock; thawed, it stops."""
    lab.runs(12)
    # A silent holder counts as dead after 2 s instead of 5: the same test, sooner.
    lab.settings["STALE_AFTER_SECONDS"] = lab.app.config["STALE_AFTER_SECONDS"] = 2
    frozen = lab.start("flask", "scan")
    lab.wait_state(1, ScanState.SCANNING_FILES, ScanState.CREATE_MODELS)
    frozen.send_signal(signal.SIGSTOP)
    try:
        with lab.app.app_context():  # a holder on this machine is never taken for dead while its process lives
            db.session.execute(update(ScanLock).values(holder="another-machine:4242"))
            db.session.commit()
        time.sleep(float(lab.settings["STALE_AFTER_SECONDS"]) + 1)
        second = lab.start("flask", "scan", PAUSE_PER_RUN_SECONDS=0)  # nothing to watch in it
        lab.wait_state(2, ScanState.SCANNING_FILES, ScanState.CREATE_MODELS, ScanState.FINISHED)
    finally:
        frozen.send_signal(signal.SIGCONT)
    assert frozen.wait(60) == 1
    stopped = lab.scan(1)
    assert stopped.state == ScanState.ERROR and stopped.finished is not None
    assert stopped.end_reason == EndReason.LOST_LOCK
    assert stopped.error.startswith("scan 1 stopped: it lost the scan lock")
    assert "scan 1: Error: scan 1 stopped" in stopped.log  # the owner's line, in the scan's own log
    assert second.wait(60) == 0 and lab.scan(2).state == ScanState.FINISHED


def test_a_scan_holds_no_write_transaction_when_its_heartbeat_stops(app, root, scan, monkeypatch):
    """SQLite has one writer: a beat waiting for the scan's own write lock when the heartbeat thread is
    joined would wait out the busy timeout (30 s) at the end of the scan (seen in make bench)."""
    if TEST_DATABASE_URL:
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")
    writing_at_exit = []
    stop = lock.Heartbeat.__exit__

    def exit_and_look(self, *exc):
        # The DB-API connection is in a transaction only after an INSERT, UPDATE or DELETE (pysqlite).
        writing_at_exit.append(db.session.connection().connection.dbapi_connection.in_transaction)
        return stop(self, *exc)

    monkeypatch.setattr(lock.Heartbeat, "__exit__", exit_and_look)
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})  # a missing file: the scan's last counts change
    scan()
    make_run(root, name="Exome_24_002_240110_NB501009_0002_AHOTHERBGXY", skip={"1_BAM/S2.hg38.bam"})
    scan()
    assert writing_at_exit == [False, False]
