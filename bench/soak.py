"""Soak test: `make run`'s processes (worker, scheduler, web app) on a one-minute schedule while
Redis is restarted and PostgreSQL backends are terminated (or PostgreSQL is stopped), then a count
of what happened.

    .venv/bin/python bench/soak.py --minutes 32            # Redis every 5 min, PostgreSQL every 7
    .venv/bin/python bench/soak.py --minutes 32 --pg-down 20   # PostgreSQL stopped for 20 s every 7 min

It uses a redis-server of its own on a free port (never the shared one) and a PostgreSQL database
of its own (created and dropped) or, with --pg-down, a PostgreSQL cluster of its own (initdb in a
temporary folder, started and stopped with pg_ctl as the postgres user: needs root), a demo tree
in a temporary folder, and polls /api/status every 10 s, comparing what it says with what the soak
sees for itself (Redis and the database answer, the processes live, the cron job is in Redis).
Not part of `make test`: it takes half an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from seqscan.enums import EndReason  # noqa: E402

PY = sys.executable
# The phases a scan works in, by the column holding when each began (as seqscan.enums.PHASES).
PHASE_COLUMNS = (("Scanning Files", "scan_start"), ("Create Models", "create_models_start"),
                 ("Scripts and Jobs", "scripts_and_jobs_start"))  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.port, self.log, self.process = free_port(), folder / "redis.log", None
        self.start()

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=open(self.log, "a"), stderr=subprocess.STDOUT)  # noqa: SIM115
        for _ in range(200):
            try:
                Redis(port=self.port).ping()
                return
            except RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@dataclass
class Outage:
    """One stop of the soak's PostgreSQL: when it began, when the server was gone, when it was back."""

    number: int
    began: datetime
    stopped: datetime | None = None
    back: datetime | None = None
    alive_when_back: dict[str, bool] = field(default_factory=dict)


class OwnPostgres:
    """A PostgreSQL cluster of the soak's own on a free port (trust auth, loopback only), to stop and
    start again; never the shared one. Needs root: the server runs as the postgres user."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: float(p.parent.name))
        if not bins or os.geteuid() != 0:
            raise SystemExit("--pg-down needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and root")
        # A folder of its own, not the soak's: the server runs as postgres and must own it.
        self.bin, self.folder = bins[-1], Path(tempfile.mkdtemp(prefix="seqscan-soak-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.down = False  # True from the moment a stop begins until the server is back
        self.error: str | None = None  # why a stop or start failed
        self._as_postgres("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")
        self.start()

    def _as_postgres(self, program: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/tmp")
        if done.returncode:
            raise RuntimeError(f"{program} {' '.join(args[:1])}... failed: {(done.stderr or done.stdout).strip()}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self._as_postgres("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        # Fast: every client is cut off at once, as a restart of the database server does.
        self._as_postgres("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def outage(self, seconds: float, outages: list[Outage], say, processes: dict) -> None:
        """Stop the server, leave it stopped for `seconds`, start it again; recorded in outages.

        A stop or start that fails is kept in self.error (the soak then ends: see main)."""
        outage = Outage(len(outages) + 1, datetime.now(UTC))
        outages.append(outage)
        self.down = True
        try:
            self.stop()
            outage.stopped = datetime.now(UTC)
            say(f"{now()} PostgreSQL stopped (outage {outage.number}: pg_ctl -m fast stop, {seconds:g} s down)")
            time.sleep(seconds)
            self.start()
        except RuntimeError as e:
            self.error = str(e)
            say(f"{now()} PostgreSQL outage {outage.number}: {e}", failure=True)
            return
        outage.back = datetime.now(UTC)
        outage.alive_when_back = {name: p.poll() is None for name, p in processes.items()}
        self.down = False
        say(f"{now()} PostgreSQL back ({(outage.back - outage.stopped).total_seconds():.0f} s after it stopped)")

    def close(self, keep_log: Path) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass  # not running: nothing to stop
        if (self.folder / "log").exists():
            shutil.copyfile(self.folder / "log", keep_log)
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_for_a_working_scan(db_url: str, timeout: float = 90) -> None:
    """Until a scan is in Scanning Files or Create Models (so that the outage falls inside it), or timeout."""
    engine = create_engine(db_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                working = conn.execute(
                    text("SELECT count(*) FROM scan_run WHERE state IN ('Scanning Files', 'Create Models')")
                ).scalar()
            if working:
                return
            time.sleep(0.2)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=32)
    parser.add_argument("--redis-every", type=float, default=300, help="seconds between Redis restarts")
    parser.add_argument("--redis-down", type=float, default=3, help="seconds Redis stays down")
    parser.add_argument("--pg-every", type=float, default=420, help="seconds between PostgreSQL faults")
    parser.add_argument(
        "--pg-down",
        "--postgres-outage-seconds",
        type=float,
        default=0,
        help="seconds PostgreSQL stays stopped at each fault, on a cluster of the soak's own (needs root); "
        "0 (the default): terminate the backends of a database of its own instead",
    )
    parser.add_argument(
        "--pg-mid-scan",
        action="store_true",
        help="with --pg-down: once an outage is due, wait (up to 90 s) for a scan in Scanning Files or Create "
        "Models and stop PostgreSQL under it",
    )
    parser.add_argument(
        "--stuck-after",
        type=float,
        default=180,
        help="seconds a scan may stay in one state after an outage ends (default 180)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="an existing database (not with --pg-down)",
    )
    parser.add_argument("--folder", help="where to keep logs (default: a new temporary folder)")
    args = parser.parse_args()
    if args.pg_down < 0 or args.pg_every <= 0 or args.stuck_after <= 0:
        parser.error("--pg-down must be 0 or more, --pg-every and --stuck-after more than 0")

    folder = Path(args.folder or tempfile.mkdtemp(prefix="seqscan-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    say = Reporter(folder / "soak.txt")
    fault = (
        f"PostgreSQL (a cluster of its own) stopped for {args.pg_down:g} s every {args.pg_every:g} s"
        if args.pg_down
        else f"PostgreSQL backends terminated every {args.pg_every:g} s"
    )
    say(f"soak: {args.minutes} min, Redis restarted every {args.redis_every:g} s ({args.redis_down:g} s down), "
        f"{fault}; logs in {folder}")  # fmt: skip

    own_pg = OwnPostgres() if args.pg_down else None
    redis = OwnRedis(folder)
    database = f"seqscan_soak_{uuid.uuid4().hex[:8]}"
    admin = create_engine(own_pg.url if own_pg else args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    db_url = make_url(admin.url).set(database=database).render_as_string(hide_password=False)
    queue = f"soak-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEQSCAN_")}
    env.update(
        SEQSCAN_DATABASE_URL=db_url,
        SEQSCAN_REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
        SEQSCAN_SCAN_QUEUE=queue,
        SEQSCAN_SCAN_ROOT=str(folder / "root"),
        SEQSCAN_DATA_DIR=str(folder / "data"),
        SEQSCAN_WORKER_LOG=str(folder / "worker.log"),
        SEQSCAN_SCHEDULE=json.dumps(["* * * * *"]),
        SEQSCAN_TIMEZONE="UTC",
        SEQSCAN_PAUSE_PER_RUN_SECONDS="0.3",  # as make run's demo: a scan of ~5 s
    )
    flask = [PY, "-m", "flask", "--app", "app"]

    def run(*command: str) -> str:
        return subprocess.run(command, cwd=PROJECT, env=env, check=True, capture_output=True, text=True).stdout

    processes: dict[str, subprocess.Popen] = {}
    outages: list[Outage] = []
    outage: threading.Thread | None = None
    try:
        run(*flask, "init-db")
        run(*flask, "demo-tree", str(folder / "root"), "--runs", "12", "--samples", "8")
        run(*flask, "users", "create", "soak", "--role", "viewer")
        token = run(*flask, "users", "token", "soak").strip()
        for name, command in {
            "worker": [PY, "worker.py"],
            "scheduler": [*flask, "scheduler"],
            "web": [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        }.items():
            log = open(folder / f"{name}.out", "w")  # noqa: SIM115 (closed with the process)
            processes[name] = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(port)
        started = datetime.now(UTC)
        truth = Truth(redis.port, db_url, queue, processes, f"http://127.0.0.1:{port}/api/status", token)
        ended: dict[str, datetime] = {}  # a process the soak saw ended, and when (the soak restarts none)
        end = time.monotonic() + args.minutes * 60
        next_redis = time.monotonic() + args.redis_every
        next_pg = time.monotonic() + args.pg_every
        restarts = terminations = 0
        while time.monotonic() < end:
            if time.monotonic() >= next_redis:
                redis.stop()
                time.sleep(args.redis_down)
                redis.start()
                restarts += 1
                say(f"{now()} Redis restarted ({args.redis_down} s down)")
                next_redis += args.redis_every
            if time.monotonic() >= next_pg and own_pg:
                if outage is None or not outage.is_alive():  # in its own thread: the polls go on meanwhile

                    def stop_postgres() -> None:
                        if args.pg_mid_scan:
                            wait_for_a_working_scan(db_url)
                        own_pg.outage(args.pg_down, outages, say, processes)

                    outage = threading.Thread(target=stop_postgres)
                    outage.start()
                next_pg += args.pg_every
            elif time.monotonic() >= next_pg:
                with admin.connect() as conn:
                    cut = conn.execute(
                        text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :d"),
                        {"d": database},
                    ).scalar()
                terminations += 1
                say(f"{now()} {cut} PostgreSQL backends terminated")
                next_pg += args.pg_every
            truth.poll(say, lambda: bool(own_pg and own_pg.down))
            for name, process in processes.items():
                if process.poll() is not None and name not in ended:
                    ended[name] = datetime.now(UTC)
                    say(f"{now()} the {name} process ended (exit code {process.returncode})", failure=True)
            if own_pg and own_pg.error:
                say(f"{now()} the soak stops here: its PostgreSQL could not be stopped or started again", failure=True)
                break
            time.sleep(10)
        if outage is not None:
            outage.join()  # an outage under way ends with the server started again
        finished = datetime.now(UTC)
        time.sleep(20)  # let the last scan end
        faults = f"{len(outages)} PostgreSQL outages" if own_pg else f"{terminations} backend terminations"
        say(f"\nsoak ran {finished - started}; {restarts} Redis restarts, {faults}")
        report(say, db_url, started, finished, truth, processes, outages, ended, args.stuck_after)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        if own_pg:
            admin.dispose()
            own_pg.close(folder / "postgres.log")  # the whole cluster goes, its log is kept
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    return 0 if say.failures == 0 else 1


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the web app did not start on port {port}")


def now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


def utc(t: datetime | None) -> datetime | None:
    """A time read from the database, in UTC (SQLite-style naive times are UTC)."""
    return t.replace(tzinfo=UTC) if t and t.tzinfo is None else t


class Reporter:
    def __init__(self, path: Path) -> None:
        self.path, self.failures, self.lock = path, 0, threading.Lock()

    def __call__(self, line: str, failure: bool = False) -> None:
        with self.lock:  # an outage thread reports too
            self.failures += failure
            print(line, flush=True)
            with open(self.path, "a") as f:
                f.write(line + "\n")


class Truth:
    """What the status page says, next to what the soak sees for itself at the same moment."""

    def __init__(self, redis_port: int, db_url: str, queue: str, processes: dict, url: str, token: str) -> None:
        self.redis, self.queue, self.processes, self.url, self.token = (
            Redis(port=redis_port),
            queue,
            processes,
            url,
            token,
        )
        # No pool: each look is a new connection, as a page's first query after an outage would be.
        self.database = create_engine(db_url, poolclass=NullPool, connect_args={"connect_timeout": 3})
        self.polls = self.agreed = self.unanswered = self.unanswered_db_down = 0
        self.disagreements: list[str] = []

    def seen(self) -> dict:
        try:
            self.redis.ping()
            jobs = [j.decode() for j in self.redis.zrange("rq:scheduler:scheduled_jobs", 0, -1)]
            registered = any(j.startswith(f"seqscan-schedule-{self.queue}-") for j in jobs)
            redis_ok = True
        except RedisError:
            redis_ok, registered = False, False
        try:
            with self.database.connect() as conn:
                conn.execute(text("SELECT 1"))
            database_ok = True
        except Exception:  # refused, reset, shutting down: the database does not answer
            database_ok = False
        alive = {name: p.poll() is None for name, p in self.processes.items()}
        return {
            "redis": redis_ok,
            "database": database_ok,
            "worker": redis_ok and alive["worker"],
            "scheduler": redis_ok and alive["scheduler"] and registered,
        }

    def poll(self, say, database_down) -> None:
        """One look at /api/status; database_down() says whether the soak has its PostgreSQL stopped."""
        down = database_down()
        before = self.seen()
        request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = json.load(answer)
        except Exception as e:  # the page did not answer: that is a finding too
            if down or database_down():
                # The API token is looked up in the database: with the database stopped no answer is possible.
                self.unanswered_db_down += 1
                say(f"{now()} /api/status did not answer while PostgreSQL was stopped: {e}")
            else:
                self.unanswered += 1
                say(f"{now()} /api/status did not answer: {e}", failure=True)
            return
        after = self.seen()
        said = {
            "redis": status["redis"]["ok"],
            "database": status["database"]["ok"],
            "worker": bool(status.get("queue_owner")),
            "scheduler": bool(status.get("scheduler_ok")),
        }
        self.polls += 1
        # A check the world changed during (before != after) agrees if the page said either.
        wrong = [k for k in said if said[k] not in (before[k], after[k])]
        if wrong:
            line = f"{now()} status said {said}, the soak saw {before} → {after}"
            self.disagreements.append(line)
            say(line)
        else:
            self.agreed += 1


def report(
    say,
    db_url: str,
    started: datetime,
    finished: datetime,
    truth: Truth,
    processes: dict,
    outages: list[Outage],
    ended: dict[str, datetime],
    stuck_after: float,
) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        scans = conn.execute(
            text(
                "SELECT id, trigger, state, end_reason, error, created, scan_start, create_models_start, scripts_and_jobs_start,"
                " finished FROM scan_run ORDER BY id"
            )
        ).all()
    engine.dispose()
    read = datetime.now(UTC)  # what the table says holds until now
    missed_minutes(say, scans, started, finished, outages, read)
    states: dict[str, int] = {}
    for s in scans:
        states[s.state] = states.get(s.state, 0) + 1
    say(f"scans: {len(scans)} ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))})")
    for s in scans:  # nothing in the soak should fail a scan; one stopped by a fault is queued again
        if s.state == "Error":
            why = last_line(s.error)[:200] or "(no reason recorded)"
            say(f"  scan {s.id} ({s.trigger}) {how_it_ended(s)}: {why}", failure=not is_stop(s))
    stuck = [s for s in scans if s.state not in ("Finished", "Error")]
    say(f"stuck (not ended 20 s after the soak): {len(stuck)} {[s.id for s in stuck]}", failure=bool(stuck))
    ran = sorted((utc(s.scan_start), utc(s.finished), s.id) for s in scans if s.scan_start and s.finished)
    overlaps = [(a[2], b[2]) for a, b in zip(ran, ran[1:], strict=False) if b[0] < a[1]]
    say(f"overlapping scans: {len(overlaps)} {overlaps}", failure=bool(overlaps))
    say(f"status polls: {truth.polls} answered, {truth.unanswered} unanswered, {truth.unanswered_db_down} unanswered "
        f"while PostgreSQL was stopped; agreed with what the soak saw: {truth.agreed}; "
        f"disagreed: {len(truth.disagreements)}", failure=bool(truth.unanswered))  # fmt: skip
    down = [name for name, p in processes.items() if p.poll() is not None]
    down = [f"{name} (seen ended at {ended[name]:%H:%M:%S})" if name in ended else name for name in down]
    say(f"processes that ended during the soak: {down or 'none'}", failure=bool(down))
    if outages:
        report_outages(say, scans, outages, ended, stuck_after, read)


def missed_minutes(
    say, scans: list, started: datetime, finished: datetime, outages: list[Outage], read: datetime
) -> None:
    """Every scheduled minute without a scan, and what the soak knows of why."""
    scheduled = [s for s in scans if s.trigger == "scheduled"]
    # Every minute boundary from the first full minute after start to the last one a minute before
    # the end should have queued one scan (within the scheduler's 30 s look).
    first = (started + timedelta(minutes=1)).replace(second=0, microsecond=0)
    minutes = []
    while first <= finished - timedelta(minutes=1):
        minutes.append(first)
        first += timedelta(minutes=1)
    fired = {utc(s.created).replace(second=0, microsecond=0) for s in scheduled}
    missed = [m for m in minutes if m not in fired]
    say(f"scheduled firings due: {len(minutes)}; scheduled scans created: {len(scheduled)}; minutes without one: {len(missed)}", failure=bool(missed))  # fmt: skip
    for m in missed:
        look = m + timedelta(seconds=30)  # the scheduler queues a firing at its first look (every 30 s) after it
        why = []
        waiting = [s.id for s in scans if utc(s.created) <= m and m < (left_created(s) or read)]
        if waiting:  # a second press (or firing) adds no second waiting scan
            why.append(f"scan {waiting[0]} was still waiting in Created, so none was added")
        down = [o.number for o in outages if o.began <= look and m <= (o.back or read)]
        if down:  # the soak does not see when the look was, only that it may have met the outage
            why.append(f"PostgreSQL outage {down[0]} was under way within 30 s of it: the scheduler may not have "
                       "been able to record it")  # fmt: skip
        say(f"  no scheduled scan for {m:%H:%M}" + (f" ({'; '.join(why)})" if why else ""), failure=True)


def left_created(scan) -> datetime | None:
    """When a scan left Created: its first phase or its end."""
    return next((utc(t) for t in (*(getattr(scan, c) for _, c in PHASE_COLUMNS), scan.finished) if t), None)


def phases_of(scan, until: datetime) -> list[tuple[str, datetime, datetime]]:
    """(state, from, to) for each state a scan was in before it ended: Created, then its working phases."""
    marks = [("Created", utc(scan.created))]
    marks += [(state, utc(getattr(scan, column))) for state, column in PHASE_COLUMNS if getattr(scan, column)]
    ends = [t for _, t in marks[1:]] + [utc(scan.finished) or until]
    return [(state, begun, end) for (state, begun), end in zip(marks, ends, strict=True)]


def report_outages(
    say, scans: list, outages: list[Outage], ended: dict[str, datetime], stuck_after: float, read: datetime
) -> None:
    """Per PostgreSQL outage: what it stopped, how soon the queue moved again, what stayed stuck."""
    say("")
    slowest, stuck_ids = 0.0, set()
    moved, unmoved, unjudged = [], [], []
    for i, o in enumerate(outages):
        if o.back is None or o.stopped is None:
            say(f"PostgreSQL outage {o.number}: began {o.began:%H:%M:%S} and never ended (see above)", failure=True)
            unmoved.append(o.number)
            continue
        # What follows the outage is judged until the next one begins (or the report).
        until = outages[i + 1].began if i + 1 < len(outages) else read
        window = (until - o.back).total_seconds()
        judged = window >= stuck_after  # a shorter look proves nothing about what is stuck
        say(f"PostgreSQL outage {o.number}: stopped {o.stopped:%H:%M:%S}, back {o.back:%H:%M:%S} "
            f"({(o.back - o.stopped).total_seconds():.0f} s down); watched {window:.0f} s after it")  # fmt: skip
        ended_in = [s for s in scans if s.state == "Error" and s.finished and o.began <= utc(s.finished) < until]
        for s in ended_in:
            why = last_line(s.error)[:160] or "(no reason recorded)"
            say(f"  scan {s.id} ({s.trigger}) {how_it_ended(s)}, at {utc(s.finished):%H:%M:%S}: {why}")
        if not ended_in:
            say("  no scan ended in Error meanwhile")
        moves = [m for m in moves_of(scans) if o.back <= m[0] < until]
        done = [m for m in moves if m[2] == "Finished"]
        if moves:
            took = (moves[0][0] - o.back).total_seconds()
            first_done = (
                f"the first scan Finished {(done[0][0] - o.back).total_seconds():.0f} s after it (scan {done[0][1]})"
                if done
                else "no scan Finished before the next outage or the end"
            )
            say(f"  the queue moved {took:.0f} s after it was back (scan {moves[0][1]} {moves[0][2]}); {first_done}")
            slowest = max(slowest, took)
            moved.append(o.number)
        else:
            say(f"  the queue did not move in the {window:.0f} s after it was back", failure=judged)
            (unmoved if judged else unjudged).append(o.number)
        stuck = stuck_after_outage(scans, o.back, until, stuck_after, read)
        stuck_ids.update(scan_id for scan_id, _ in stuck)
        if stuck:
            say(
                f"  stuck over {stuck_after:g} s after it was back: {'; '.join(line for _, line in stuck)}",
                failure=True,
            )
        elif judged:
            say(f"  stuck over {stuck_after:g} s after it was back: none")
        else:
            say(f"  stuck over {stuck_after:g} s after it was back: not judged, only {window:.0f} s watched")
            unjudged.append(o.number)
        gone = [name for name, alive in o.alive_when_back.items() if not alive]
        gone += [name for name, t in ended.items() if o.began <= t < until and name not in gone]
        say(f"  processes that ended by then: {gone or 'none'} (the soak restarts none)", failure=bool(gone))
    unjudged_note = f" (not judged, watched too briefly: outage {sorted(set(unjudged))})" if unjudged else ""
    slowest_note = f" (slowest: {slowest:.0f} s after the server was back)" if moved else ""
    say(f"PostgreSQL outages: {len(outages)}; the queue moved again after {len(moved)}{slowest_note}, "
        f"did not after {len(unmoved)} {unmoved}; scans stuck over {stuck_after:g} s "
        f"after one: {len(stuck_ids)} {sorted(stuck_ids)}{unjudged_note}; worker or scheduler ended: "
        f"{[n for n in ended if n != 'web'] or 'none'}", failure=bool(unmoved or stuck_ids))  # fmt: skip


def last_line(error: str | None) -> str:
    lines = (error or "").strip().splitlines()
    return lines[-1] if lines else ""


def is_stop(scan) -> bool:
    """Stopped (and queued again) rather than failed, by the scan's end_reason."""
    return bool(scan.end_reason) and EndReason(scan.end_reason).is_stop


def how_it_ended(scan) -> str:
    """A scan in Error: stopped by the database outage (and queued again), stopped otherwise, or failed."""
    if is_stop(scan):
        lost = EndReason(scan.end_reason).lost_database
        return "stopped by a database outage and queued again" if lost else "stopped and queued again"
    return f"Error ({scan.end_reason or 'no end reason'})"


def moves_of(scans: list) -> list[tuple[datetime, int, str]]:
    """(when, scan id, phase or Finished) for every phase a scan began and every scan that Finished, in order."""
    began = [(utc(getattr(s, c)), s.id, state) for s in scans for state, c in PHASE_COLUMNS if getattr(s, c)]
    return sorted(began + [(utc(s.finished), s.id, "Finished") for s in scans if s.state == "Finished" and s.finished])


def stuck_after_outage(
    scans: list, back: datetime, until: datetime, stuck_after: float, read: datetime
) -> list[tuple[int, str]]:
    """(scan id, what) for each scan that stayed in one state (Created or a phase) over stuck_after
    seconds between back and until."""
    stuck = []
    for s in scans:
        for state, begun, end in phases_of(s, read):
            if (min(end, until) - max(begun, back)).total_seconds() > stuck_after:
                held = f"{(end - begun).total_seconds():.0f} s" + ("" if s.finished else ", not ended")
                stuck.append((s.id, f"scan {s.id} in {state} from {begun:%H:%M:%S} for {held}"))
    return stuck


if __name__ == "__main__":
    sys.exit(main())
