"""What the queue tests share: settings for this process and the worker / scheduler processes it
starts, real Redis (database 15, emptied around each test), and waiting on real scans."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import stamp
from redis import Redis
from redis.exceptions import RedisError

from seqscan import create_app
from seqscan.enums import ScanState
from seqscan.extensions import db
from seqscan.jobs.keys import schedule_job_prefix, scheduled_jobs
from seqscan.models import ScanRun
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, detached, make_run

PROJECT = Path(__file__).resolve().parents[1]
# The phases a scan is seen working in (a test that waits for either need not know which it hits).
WORKING = (ScanState.SCANNING_FILES, ScanState.CREATE_MODELS)


class Lab:
    """One test's seqscan installation: settings, database, Redis, run tree and processes."""

    def __init__(self, tmp_path: Path, redis_url: str = TEST_REDIS_URL, database_url: str | None = None) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "root"
        self.root.mkdir()
        self.settings = {
            "DATABASE_URL": database_url or TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'seqscan.sqlite'}",
            "REDIS_URL": redis_url,
            "SCAN_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
            "DATA_DIR": str(tmp_path / "data"),
            "SCAN_ROOT": str(self.root),
            "WORKER_LOG": str(tmp_path / "worker.log"),
            "HEARTBEAT_SECONDS": 0.5,
            "STALE_AFTER_SECONDS": 5,
            "PAUSE_PER_RUN_SECONDS": 0.3,  # so that a scan of a few runs lasts long enough to watch
            "MTIME_MARGIN_SECONDS": 0,
        }
        self.processes: list[subprocess.Popen] = []
        self.project, self.instance = PROJECT, None  # where its processes run, and their instance folder
        self.redis = Redis.from_url(redis_url)
        self.redis.flushdb()
        self.app = self.make_app()
        with self.app.app_context():
            if TEST_DATABASE_URL and not database_url:
                db.drop_all()
            db.create_all()
            # Made at the models' schema: marked as the newest revision, which its processes check at start.
            stamp()

    def make_app(self, **overrides):
        instance = str(self.instance) if self.instance else None
        return create_app({"TESTING": True, **self.settings, **overrides}, instance_path=instance)

    def own_instance(self) -> Path:
        """Make the processes started from now on (and make_app's apps) read an instance folder of the
        lab's own (its seqscan.toml, its secret key), not the project's: they run from a copy of the
        project made of links to it, whose instance/ is the lab's. Returns that folder."""
        self.project = self.tmp / "project"
        self.project.mkdir()
        for name in ("app.py", "seqscan", "migrations", "templates", "static"):
            (self.project / name).symlink_to(PROJECT / name)
        # Copied, not linked: Python puts a script's real folder first on sys.path, which would be the project's.
        shutil.copy(PROJECT / "worker.py", self.project / "worker.py")
        self.instance = self.project / "instance"
        self.instance.mkdir()
        return self.instance

    def runs(self, n: int) -> None:
        for i in range(n):
            make_run(self.root, name=f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHTEST{i:03d}XY", samples=("S1",))

    def env(self, **overrides) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEQSCAN_")}
        for key, value in {**self.settings, **overrides}.items():
            env[f"SEQSCAN_{key}"] = json.dumps(value)
        return env

    def start(self, *args: str, **overrides) -> subprocess.Popen:
        """Start `python worker.py ARGS` (or `flask ARGS` if args[0] == "flask") as the lab would."""
        with open(self.tmp / f"proc-{len(self.processes)}.log", "w") as log:  # the process keeps its own copy
            proc = subprocess.Popen(
                _command(args), cwd=self.project, env=self.env(**overrides), stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(proc)
        return proc

    def run(self, *args: str, timeout: float = 60, **overrides) -> subprocess.CompletedProcess:
        return subprocess.run(
            _command(args), cwd=self.project, env=self.env(**overrides), capture_output=True, text=True, timeout=timeout
        )

    def press(self, who: str = "alice") -> tuple[int, bool]:
        """Queue a scan as an operator's button press would: the id of the scan that will run, and
        whether the press made it (False: it joined the scan already waiting)."""
        from seqscan.enums import Trigger
        from seqscan.jobs.scanqueue import enqueue_scan

        with self.app.app_context():
            scan, created = enqueue_scan(Trigger.MANUAL, who)
            return scan.id, created

    def enqueue(self, who: str = "alice") -> int:
        """press(), for its scan's id alone."""
        return self.press(who)[0]

    def scan(self, scan_id: int) -> ScanRun | None:
        return detached(self.app, ScanRun, scan_id)

    def registered(self) -> dict[str, datetime]:
        """{job id: next firing (UTC)} of this lab's scheduled scans, read as rq-scheduler stored them."""
        queue = self.settings["SCAN_QUEUE"]
        prefix = schedule_job_prefix(queue)
        return {
            job_id.decode(): datetime.fromtimestamp(score, UTC)
            for job_id, score in self.redis.zrange(scheduled_jobs(queue), 0, -1, withscores=True)
            if job_id.decode().startswith(prefix)
        }

    def registered_crons(self) -> list[str]:
        """The cron strings seqscan itself reads as registered (what the status page shows); none
        while Redis is down."""
        from seqscan.jobs.schedule import next_scans

        with self.app.app_context():
            try:
                return [cron for _, cron, *_ in next_scans()]
            except RedisError:
                return []

    def wait_for(self, predicate, timeout: float = 60, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; logs in {self.tmp}")

    def wait_state(self, scan_id: int, *states: str, timeout: float = 60) -> ScanRun:
        return self.wait_for(
            lambda: (s := self.scan(scan_id)) is not None and s.state in states and s,
            timeout,
            f"scan {scan_id} to reach {states}",
        )

    def wait_end(self, scan_id: int, timeout: float = 60) -> ScanRun:
        """The scan once it has ended, Finished or Error."""
        return self.wait_state(scan_id, ScanState.FINISHED, ScanState.ERROR, timeout=timeout)

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.redis.flushdb()
        self.redis.close()
        with self.app.app_context():
            db.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and restart (never the shared one).

    Like the lab's Redis it keeps nothing on disk: a restart starts empty.
    """

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp_path / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        with open(self.log, "a") as log:  # the server keeps its own copy
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # like a crash: nothing is saved, clients are cut off
            self.process.wait()

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


def _command(args: tuple[str, ...]) -> list[str]:
    """`flask ARGS` or `python SCRIPT ARGS`, in this interpreter."""
    if args[0] == "flask":
        return [sys.executable, "-m", "flask", "--app", "app", *args[1:]]
    return [sys.executable, *args]


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own on a free port (trust auth, loopback only), to
    restart; never the shared one. Needs root (it runs the server as the postgres user)."""

    def __init__(self, tmp_path: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins or os.geteuid() != 0:
            raise RuntimeError("needs PostgreSQL's server binaries and root")
        # Not under tmp_path: its parents are root's alone, and the server runs as postgres.
        self.bin, self.folder = bins[-1], Path(tempfile.mkdtemp(prefix="seqscan-test-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")
        self.start()

    def _as_postgres(self, program: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / program), *args]
        subprocess.run(command, check=True, capture_output=True, cwd="/tmp")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
