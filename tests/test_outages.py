"""The database going away under a running scan (issue 15 §1): a PostgreSQL cluster of the test's own
stopped and started again, an SQLite file on a full tmpfs, SQLite files made unwritable. The scan
ends as soon as the database is back, the scan lock is released and the queue moves on, with no
restart of the worker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.schedule import get_scheduler
from seqscan.models import ScanLock, ScanRun
from seqscan.schema import upgrade_database
from tests.conftest import TEST_DATABASE_URL, add_users, detached, make_run, sign_in
from tests.queue_support import Lab

OUTAGE_SECONDS = 8


def lock_holder(lab) -> int | None:
    row = detached(lab.app, ScanLock, lab.settings["SCAN_QUEUE"])  # the queue's lock row (made at its first scan)
    return row.scan_id if row else None


@pytest.mark.parametrize("phase", [ScanState.SCANNING_FILES, ScanState.CREATE_MODELS])
def test_a_scan_whose_postgresql_stopped_ends_when_it_is_back_and_the_next_scan_runs(tmp_path, private_postgres, phase):
    lab = Lab(tmp_path, database_url=private_postgres.url)
    try:
        lab.runs(8)  # 0.3 s a run in each phase: long enough to stop the database inside it
        worker = lab.start("worker.py")
        scan_id = lab.enqueue()
        lab.wait_state(scan_id, phase, timeout=30)
        time.sleep(0.5)
        private_postgres.stop()
        time.sleep(OUTAGE_SECONDS)
        private_postgres.start()
        back = time.monotonic()
        lab.app = lab.make_app()  # fresh connections for the test's own reads

        # Recorded as soon as the database is back: within one try of the back-off (at most 5 s apart).
        stopped = lab.wait_end(scan_id, timeout=10)
        print(f"database back -> scan recorded: {time.monotonic() - back:.1f} s")
        assert stopped.state == ScanState.ERROR
        assert stopped.error.startswith("stopped: the database was unreachable for "), stopped.error
        assert stopped.end_reason == EndReason.DATABASE_AWAY
        assert f"during {phase}" in stopped.error, stopped.error
        seconds = int(stopped.error.split("unreachable for ")[1].split(" s")[0])
        assert OUTAGE_SECONDS - 1 <= seconds <= OUTAGE_SECONDS + 7, stopped.error
        # Queued again, and run by the same worker: no restart needed.
        again = lab.wait_end(scan_id + 1, timeout=90)
        assert again.state == ScanState.FINISHED, again.error
        print(f"database back -> next scan finished: {time.monotonic() - back:.1f} s")
        assert worker.poll() is None
        lab.wait_for(lambda: lock_holder(lab) is None, timeout=10, what="the scan lock to be free")
        log = Path(lab.settings["WORKER_LOG"]).read_text()
        assert "the database is unreachable" in log
        assert "PendingRollbackError" not in log
    finally:
        lab.close()


def test_while_the_database_is_away_the_health_strip_and_status_say_database_unreachable(tmp_path, private_postgres):
    lab = Lab(tmp_path, database_url=private_postgres.url)
    try:
        add_users(lab.app)
        client = sign_in(lab.app.test_client(), "vic")
        private_postgres.stop()
        strip = client.get("/status/strip")
        assert strip.status_code == 200
        assert "database unreachable" in strip.text
        page = client.get("/status")
        assert page.status_code == 503
        assert "database unreachable" in page.text
        api = client.get("/api/status")
        assert api.status_code == 503 and "database unreachable" in api.json["error"]
    finally:
        private_postgres.start()
        lab.close()


# --- SQLite: a folder gone, a full disk, unwritable files ---


def test_while_the_sqlite_folder_is_gone_the_health_strip_and_pages_say_database_unreachable(tmp_path):
    """The outage answers of seqscan/web.py: the strip (rendered without the context processors,
    at its usual interval) and a 503 page."""
    if TEST_DATABASE_URL:
        pytest.skip("an SQLite test")
    folder = tmp_path / "database"
    lab = Lab(tmp_path, database_url=f"sqlite:///{folder / 'seqscan.sqlite'}")
    try:
        add_users(lab.app)
        client = sign_in(lab.app.test_client(), "vic")
        folder.rename(tmp_path / "away")  # as a lost mount: SQLite cannot open (or make) the file
        with lab.app.app_context():
            db.engine.dispose()  # no connection opened before stays usable
        strip = client.get("/status/strip")
        assert strip.status_code == 200
        assert 'class="health down"' in strip.text and "database unreachable" in strip.text
        assert "hx-trigger=\"every 10s [document.visibilityState === 'visible']\"" in strip.text
        page = client.get("/status")
        assert page.status_code == 503 and "database unreachable" in page.text
    finally:
        lab.close()


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs of the test's own (needs root to mount)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the file system of folder up to leave_bytes free; returns the filler file."""
    filler = folder / "filler"
    free = shutil.disk_usage(folder).free
    with open(filler, "wb") as f:
        f.write(b"\0" * max(free - leave_bytes, 0))
    return filler


def test_a_full_database_disk_is_one_clear_error_the_lock_released_and_the_next_scan_runs(tmp_path, small_disk):
    if TEST_DATABASE_URL:
        pytest.skip("an SQLite test")
    lab = Lab(tmp_path, database_url=f"sqlite:///{small_disk / 'seqscan.sqlite'}")
    try:
        for i in range(12):  # 12 runs of 40 samples: Create Models needs more than the 256 KiB left
            samples = [f"S{n}" for n in range(40)]
            make_run(lab.root, name=f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHFULL{i:03d}XY", samples=samples)
        filler = fill(small_disk, 256 * 1024)
        done = lab.run("flask", "scan", PAUSE_PER_RUN_SECONDS=0)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert "error: the database's disk is full: database or disk is full" in done.stderr, done.stderr
        listed = lab.run("flask", "scans", "list")
        assert listed.returncode == 0 and "Error" in listed.stdout and "Traceback" not in listed.stderr
        shown = lab.run("flask", "scans", "show", "1")
        assert "the database's disk is full" in shown.stdout, shown.stdout
        assert lab.scan(1).end_reason == EndReason.DISK_FULL
        assert lock_holder(lab) is None

        # Space again: the next scan needs nothing but a scan.
        filler.unlink()
        again = lab.run("flask", "scan", PAUSE_PER_RUN_SECONDS=0)
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        lab.close()


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def test_sqlite_files_made_unwritable_mid_scan_leave_the_reason_in_the_log_and_the_scan_is_recorded_after(tmp_path):
    if TEST_DATABASE_URL:
        pytest.skip("an SQLite test")
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr to make files immutable")
    lab = Lab(tmp_path)
    database = Path(lab.settings["DATABASE_URL"].removeprefix("sqlite:///"))
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    try:
        lab.runs(8)
        worker = lab.start("worker.py")
        scan_id = lab.enqueue()
        lab.wait_state(scan_id, ScanState.CREATE_MODELS, timeout=30)
        try:
            chattr("+i", *files)
        except subprocess.CalledProcessError as e:
            pytest.skip(f"chattr +i is refused here: {e.stderr.decode().strip()}")
        try:
            log = Path(lab.settings["WORKER_LOG"])
            lab.wait_for(
                lambda: worker.poll() is not None or "the database is unreachable" in log.read_text(),
                timeout=30,
                what="the worker to say why it cannot go on",
            )
            time.sleep(3)  # a few tries while it cannot write
        finally:
            chattr("-i", *files)
        text = log.read_text()
        if worker.poll() is not None:  # SQLite's shared memory could not be written: a bus error
            assert "Fatal Python error" in text, text[-3000:]
            worker = lab.start("worker.py")  # as systemd would; it records the scan
        else:
            assert "readonly database" in text or "disk I/O error" in text, text[-3000:]
        ended = lab.wait_end(scan_id, timeout=90)
        if len(lab.processes) == 1:  # recorded by the worker that waited for the files to be writable
            assert ended.error.startswith("stopped: the database was unreachable for "), ended.error
        else:
            assert ended.error.startswith("interrupted during Create Models"), ended.error
        print(f"worker {'died' if len(lab.processes) > 1 else 'lived'}; scan {scan_id}: {ended.error}")
        if len(lab.processes) == 1:  # released by the worker that lived (a dead one's lock is takeable)
            lab.wait_for(lambda: lock_holder(lab) is None, timeout=30, what="the scan lock to be free")
        nxt = lab.enqueue()
        assert lab.wait_end(nxt, timeout=90).state == ScanState.FINISHED
    finally:
        lab.close()


def test_a_scheduled_firing_while_the_database_is_away_is_queued_when_it_is_back(tmp_path, private_postgres):
    lab = Lab(tmp_path, database_url=private_postgres.url)
    try:
        with lab.app.app_context():
            scheduler = get_scheduler(interval=1)
            private_postgres.stop()
            scheduler.queue_scheduled_scan()  # the firing: the database cannot record a scan now
            private_postgres.start()
            scheduler.enqueue_jobs()  # the next look
            scan = db.session.scalars(select(ScanRun)).one()
            assert scan.trigger == Trigger.SCHEDULED and scan.state == ScanState.CREATED
    finally:
        lab.close()


def test_a_worker_killed_by_a_bus_error_leaves_the_reason_and_its_stacks_in_its_log(lab):
    """What a shared-memory file made unwritable under SQLite does to the worker (SIGBUS): it cannot be
    caught, but it must not die silently."""
    log = Path(lab.settings["WORKER_LOG"])
    worker = lab.start("worker.py")
    lab.wait_for(lambda: log.exists() and "serving queue" in log.read_text(), timeout=30, what="the worker")
    os.kill(worker.pid, signal.SIGBUS)
    assert worker.wait(30) != 0
    text = log.read_text()
    assert "Fatal Python error: Bus error" in text, text[-2000:]
    assert "Current thread" in text or "Thread 0x" in text  # every thread's stack


# Without the schema check once the database is back, the first thing to need the database is the look
# for scans a dead worker left behind, which RQ's loop also makes after every Redis outage (the soak
# found it). Either way the schema is checked when it answers: upgraded if asked, else only looked at.
@pytest.mark.parametrize("upgrade", [True, False], ids=["schema upgraded at start", "schema checked at start"])
def test_a_worker_started_while_the_database_is_away_waits_for_it_then_serves(tmp_path, private_postgres, upgrade):
    lab = Lab(tmp_path, database_url=private_postgres.url)
    try:
        with lab.app.app_context():  # a database made by migrations, as `flask init-db` makes it
            db.drop_all()
            db.session.execute(text("DROP TABLE alembic_version"))  # the Lab's stamp
            db.session.commit()
            upgrade_database()
        lab.runs(1)
        private_postgres.stop()
        worker = lab.start("worker.py", UPGRADE_ON_START=upgrade)  # as systemd restarts it during an outage
        log = Path(lab.settings["WORKER_LOG"])
        lab.wait_for(lambda: log.exists() and "the database is unreachable" in log.read_text(), timeout=30)
        time.sleep(2)
        assert worker.poll() is None, log.read_text()[-2000:]
        private_postgres.start()
        lab.app = lab.make_app()
        scan_id = lab.enqueue()
        assert lab.wait_end(scan_id, timeout=60).state == ScanState.FINISHED
    finally:
        lab.close()
