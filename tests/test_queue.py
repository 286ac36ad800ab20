"""The scan queue with real Redis and real worker processes: one scan at a time, never stuck."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job

from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.lock import live_holder
from seqscan.jobs.scanqueue import enqueue_scan, record_dead_scans
from seqscan.models import ScanRun
from seqscan.scans import ScanRefused
from tests.queue_support import WORKING


def test_button_presses_while_a_scan_runs_queue_one_scan_behind_it(lab):
    lab.runs(4)
    lab.start("worker.py")
    first = lab.enqueue()
    lab.wait_state(first, *WORKING)
    second, created = lab.press("bob")
    assert created and second != first
    third, created_again = lab.press("carol")
    assert (third, created_again) == (second, False)  # the waiting one, not a third scan
    assert lab.scan(second).state == ScanState.CREATED
    a = lab.wait_state(first, ScanState.FINISHED)
    b = lab.wait_state(second, ScanState.FINISHED)
    assert a.finished <= b.scan_start  # the phases never overlap
    assert (a.trigger, a.requested_by, b.requested_by) == (Trigger.MANUAL, "alice", "bob")
    assert a.task_id and b.task_id and a.task_id != b.task_id
    # The scan's own log, kept with the scan just after its end is committed: wait for it (under load
    # this test once read the row in between).
    kept = lab.wait_for(lambda: lab.scan(a.id).log or None, timeout=10, what="the scan's kept log")
    assert f"scan {a.id} finished: 4 runs" in kept

    def worker_log_when_finished() -> str | None:
        text = (lab.tmp / "worker.log").read_text()
        return text if f"scan {b.id}: Finished" in text else None

    # The row is committed a moment before the line is written: wait for the line.
    worker_log = lab.wait_for(worker_log_when_finished, timeout=10, what="the worker's log line")
    assert f"serving queue {lab.settings['SCAN_QUEUE']}" in worker_log
    with lab.app.app_context():
        assert db.session.query(ScanRun).count() == 2


def test_flask_scan_refuses_during_a_worker_scan_and_waits_with_wait(lab):
    # ~10 s of scanning: two `flask scan` processes start (~1.2 s each, 3 s and more on a busy
    # machine: a CI run saw the worker's scan end first with 10 runs) before it ends.
    lab.runs(20)
    lab.start("worker.py")
    first = lab.enqueue()
    lab.wait_state(first, *WORKING)
    refused = lab.run("flask", "scan")
    assert refused.returncode == 2
    assert f"scan {first} is running" in refused.stderr and "--wait" in refused.stderr
    waited = lab.run("flask", "scan", "--wait", PAUSE_PER_RUN_SECONDS=0)  # its own scan is not watched
    assert waited.returncode == 0, waited.stderr
    assert "waiting for scan" in waited.stderr
    with lab.app.app_context():
        cli_scan = db.session.query(ScanRun).filter_by(trigger=Trigger.COMMAND_LINE).one()
        db.session.expunge(cli_scan)
    assert cli_scan.state == ScanState.FINISHED and cli_scan.task_id is None
    assert cli_scan.scan_start >= lab.scan(first).finished


def test_a_second_worker_on_the_same_queue_refuses_to_start(lab):
    lab.start("worker.py")
    lab.wait_for(lambda: lab.redis.exists(f"seqscan:worker-of:{lab.settings['SCAN_QUEUE']}"), what="first worker")
    second = lab.run("worker.py", timeout=30)
    assert second.returncode == 2
    assert "already serves queue" in second.stderr


def test_killed_worker_leaves_an_interrupted_scan_and_the_next_scan_runs_on_a_new_worker(lab):
    lab.runs(12)  # 12 runs x 0.3 s: several seconds of Scanning Files
    worker = lab.start("worker.py")
    first = lab.enqueue()
    lab.wait_state(first, ScanState.SCANNING_FILES)
    second = lab.enqueue()
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()

    def shown_dead():
        with lab.app.app_context():
            return interrupted(db.session.get(ScanRun, first))  # what every page and `flask scans` show

    shown = lab.wait_for(shown_dead, timeout=30, what="the killed scan to be shown interrupted")
    assert shown.startswith("interrupted during Scanning Files: its process is gone (") and "no longer runs" in shown
    print(f"killed worker's scan shown as interrupted {time.monotonic() - killed:.2f} s after SIGKILL")
    assert lab.scan(first).state == ScanState.SCANNING_FILES  # shown, not written: that is the next worker's
    assert lab.scan(second).state == ScanState.CREATED  # still waiting, not lost
    lab.start("worker.py", PAUSE_PER_RUN_SECONDS=0)  # records the dead scan as it starts, then runs the waiting one
    recorded = lab.wait_state(first, ScanState.ERROR, timeout=30).error
    assert recorded.startswith("interrupted during Scanning Files: its process is gone (")  # how it was found dead
    assert lab.wait_end(second).state == ScanState.FINISHED
    # RQ agrees: the dead scan's job left the started registry (rq info: 0 executing) for the failed one.
    from rq.registry import StartedJobRegistry

    queue = lab.settings["SCAN_QUEUE"]
    started = StartedJobRegistry(queue, connection=lab.redis)
    # (the second scan's job leaves it a moment after its scan is recorded Finished)
    lab.wait_for(lambda: started.count == 0, timeout=10, what="no job left executing")
    job = Job.fetch(lab.scan(first).task_id, connection=lab.redis)
    assert job.get_status() == "failed" and "interrupted during Scanning Files" in job.latest_result().exc_string
    info = subprocess.run(
        [str(Path(sys.executable).parent / "rq"), "info", "-u", lab.settings["REDIS_URL"], queue],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert re.search(rf"^{queue} \|.* 0 executing, 1 finished, 1 failed", info.stdout, re.M), info.stdout


def test_dead_scan_on_another_machine_is_found_by_its_silent_heartbeat(lab):
    """No process id to check: the heartbeat's age is the only evidence."""
    with lab.app.app_context():
        from seqscan.models import ScanLock, utcnow

        scan = ScanRun(root=str(lab.root), trigger=Trigger.MANUAL, state=ScanState.CREATE_MODELS)
        db.session.add(scan)
        db.session.flush()
        lock = ScanLock(name=lab.settings["SCAN_QUEUE"])  # the queue's lock row, as its first scan makes it
        db.session.add(lock)
        lock.scan_id, lock.holder, lock.heartbeat_at = scan.id, "other-host:123", utcnow()
        db.session.commit()
        assert record_dead_scans() == []  # fresh heartbeat: alive
        from datetime import timedelta

        lock.heartbeat_at = utcnow() - timedelta(seconds=6)
        db.session.commit()
        assert record_dead_scans() == [scan.id]
        assert (
            scan.error
            == "interrupted during Create Models: no heartbeat for 6 s from other-host:123 (over STALE_AFTER_SECONDS)"
        )


def test_a_scan_that_raises_is_error_with_its_traceback(lab):
    lab.runs(1)
    lab.start("worker.py", LAYOUT="no-such-layout")
    scan_id = lab.enqueue()
    scan = lab.wait_end(scan_id)
    assert scan.state == ScanState.ERROR
    assert scan.error.startswith("Traceback (most recent call last)") and "no-such-layout" in scan.error


def test_a_scan_over_its_job_timeout_is_error_with_the_timeout_traceback(lab):
    lab.runs(10)
    lab.start("worker.py", SCAN_JOB_TIMEOUT_SECONDS=1)
    lab.app.config["SCAN_JOB_TIMEOUT_SECONDS"] = 1
    scan_id = lab.enqueue()
    scan = lab.wait_end(scan_id)
    assert scan.state == ScanState.ERROR and "JobTimeoutException" in scan.error

    def released() -> bool:
        with lab.app.app_context():
            return live_holder() is None

    # The lock is released (well before it would go stale): the next scan can run.
    lab.wait_for(released, timeout=2, what="the scan lock to be released")


def test_scanning_disabled_refuses_with_a_clear_message_and_creates_nothing(lab):
    for setting, words in (("ENABLED", "SEQSCAN_ENABLED=false"), ("SCAN_DISKS", "SEQSCAN_SCAN_DISKS=false")):
        app = lab.make_app(**{setting: False})
        with app.app_context(), pytest.raises(ScanRefused, match=words):
            enqueue_scan(Trigger.MANUAL, "alice")
    with lab.app.app_context():
        assert db.session.query(ScanRun).count() == 0
    refused = lab.run("flask", "scans", "enqueue", ENABLED=False)
    assert refused.returncode != 0 and "scanning is disabled" in refused.stderr


def test_a_scan_queued_before_scanning_was_disabled_is_refused_not_left_waiting(lab):
    scan_id = lab.enqueue()
    assert lab.run("worker.py", "--burst", ENABLED=False).returncode == 0
    scan = lab.scan(scan_id)
    assert scan.state == ScanState.ERROR and "SEQSCAN_ENABLED=false" in scan.error


def test_scripts_and_jobs_is_skipped_by_default_and_runs_templates_when_enabled(lab):
    lab.runs(1)
    run_dir = next(lab.root.glob("*/*"))
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    (run_dir / "1_BAM/S1.hg38.bam.bai").unlink()
    lab.settings["PAUSE_PER_RUN_SECONDS"] = 0
    assert lab.run("flask", "scan").returncode == 0
    assert lab.scan(1).scripts_and_jobs_start is None  # skipped
    # Argument lists, no shell: a command that wants one says so, and gets the values as arguments.
    templates = {"fastq_r2": "cp SampleSheet.csv {path}", "bai": "sh -c 'echo \"$1\" >&2; exit 3' - {sample}"}
    done = lab.run("flask", "scan", "--full", SCRIPTS_AND_JOBS=True, SCRIPT_TEMPLATES=templates)
    assert done.returncode == 0, done.stderr
    scan = lab.scan(2)
    assert scan.scripts_and_jobs_start is not None and scan.state == ScanState.FINISHED
    assert (run_dir / "0_fastq/S1_R2.fastq.gz").read_bytes() == (run_dir / "SampleSheet.csv").read_bytes()
    with lab.app.app_context():
        messages = [w.message for w in db.session.get(ScanRun, 2).warnings]
    assert any("S1.hg38.bam.bai failed (exit 3): S1" in m for m in messages), messages
    assert len(list((lab.tmp / "data/scans/2/scripts").glob("*.json"))) == 2


def test_a_scan_waiting_inside_a_killed_worker_is_resolved(lab):
    """The worker took the job but waits for a command-line scan to end; then the worker dies."""
    lab.runs(12)
    lab.start("flask", "scan")
    lab.wait_state(1, *WORKING)
    worker = lab.start("worker.py")
    waiting = lab.enqueue()
    job = Job.fetch(lab.scan(waiting).task_id, connection=lab.redis)
    lab.wait_for(lambda: job.get_status() == "started", what="the worker to take the job")
    with lab.app.app_context():
        assert record_dead_scans() == []  # waiting in a live worker: left alone
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    with lab.app.app_context():
        assert record_dead_scans() == [waiting]
    assert lab.scan(waiting).error == "never started: its queue job is held by a worker that stopped"
    assert lab.wait_end(1).state == ScanState.FINISHED


def test_config_check_prints_the_settings_and_passes_on_a_good_setup(lab):
    done = lab.run("flask", "config-check")
    assert done.returncode == 0, done.stdout
    assert re.search(rf'^SCAN_QUEUE = "{lab.settings["SCAN_QUEUE"]}" +# environment$', done.stdout, re.M), done.stdout
    for check in ("scan root readable", "database reachable", "Redis reachable", "schedule valid", "time zone known"):
        assert f"ok    {check}" in done.stdout


def test_config_check_names_each_failed_check_and_exits_non_zero(lab):
    bad = lab.run("flask", "config-check", SCAN_ROOT=str(lab.tmp / "nowhere"), REDIS_URL="redis://127.0.0.1:1/0")
    assert bad.returncode == 1
    for check in ("scan root readable", "Redis reachable"):
        assert f"FAIL  {check}" in bad.stdout, bad.stdout
    assert "ok    database reachable" in bad.stdout
    # A schedule or time zone that cannot work is refused before any check, as by every command.
    refused = lab.run("flask", "config-check", SCHEDULE=["0 25 * * *"], TIMEZONE="Mars/Olympus_Mons")
    assert refused.returncode == 2 and "refusing to start: SEQSCAN_SCHEDULE=['0 25 * * *']" in refused.stderr


def test_a_scan_that_ends_in_error_ends_its_rq_job_failed_with_the_reason(lab):
    """rq info and rq-dashboard count it failed (not "Job OK"); the scan's own reason stays its error."""
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    lab.runs(1)
    lab.start("worker.py")
    finished = lab.wait_end(lab.enqueue())
    for run_dir in lab.root.glob("*/*"):  # the root's one run vanishes: as a lost mount, refused
        shutil.rmtree(run_dir)
    failed = lab.wait_end(lab.enqueue())
    assert (finished.state, failed.state) == (ScanState.FINISHED, ScanState.ERROR)
    assert "is the disk mounted?" in failed.error and "Traceback" not in failed.error
    queue = lab.settings["SCAN_QUEUE"]
    job = Job.fetch(failed.task_id, connection=lab.redis)
    lab.wait_for(lambda: job.get_status() == "failed", what="the job to be failed")
    assert f"scan {failed.id} ended in Error: " in job.latest_result().exc_string
    assert "is the disk mounted?" in job.latest_result().exc_string
    assert failed.task_id in FailedJobRegistry(queue, connection=lab.redis).get_job_ids()
    assert finished.task_id in FinishedJobRegistry(queue, connection=lab.redis).get_job_ids()
    assert lab.scan(failed.id).error == failed.error  # not overwritten by the exception handler
