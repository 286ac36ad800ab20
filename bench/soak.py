"""Soak test: `make run`'s processes (worker, scheduler, web app) on a one-minute schedule while
Redis is restarted and PostgreSQL backends are terminated, then a count of what happened.

    .venv/bin/python bench/soak.py --minutes 32            # Redis every 5 min, PostgreSQL every 7

It uses a redis-server of its own on a free port (never the shared one) and a PostgreSQL database
of its own (created and dropped), a demo tree in a temporary folder, and polls /api/status every
10 s, comparing what it says with what the soak sees for itself (Redis answers, the processes
live, the cron job is in Redis). Not part of `make test`: it takes half an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, make_url, text

PROJECT = Path(__file__).resolve().parents[1]
PY = sys.executable


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=32)
    parser.add_argument("--redis-every", type=float, default=300, help="seconds between Redis restarts")
    parser.add_argument("--redis-down", type=float, default=3, help="seconds Redis stays down")
    parser.add_argument("--pg-every", type=float, default=420, help="seconds between backend terminations")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test", help="an existing database")
    parser.add_argument("--folder", help="where to keep logs (default: a new temporary folder)")
    args = parser.parse_args()

    folder = Path(args.folder or tempfile.mkdtemp(prefix="seqscan-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    say = Reporter(folder / "soak.txt")
    say(f"soak: {args.minutes} min, Redis restarted every {args.redis_every} s ({args.redis_down} s down), "
        f"PostgreSQL backends terminated every {args.pg_every} s; logs in {folder}")  # fmt: skip

    redis = OwnRedis(folder)
    database = f"seqscan_soak_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    db_url = make_url(args.pg_url).set(database=database).render_as_string(hide_password=False)
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
        truth = Truth(redis.port, queue, processes, f"http://127.0.0.1:{port}/api/status", token)
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
            if time.monotonic() >= next_pg:
                with admin.connect() as conn:
                    cut = conn.execute(
                        text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :d"),
                        {"d": database},
                    ).scalar()
                terminations += 1
                say(f"{now()} {cut} PostgreSQL backends terminated")
                next_pg += args.pg_every
            truth.poll(say)
            time.sleep(10)
        finished = datetime.now(UTC)
        time.sleep(20)  # let the last scan end
        say(f"\nsoak ran {finished - started}; {restarts} Redis restarts, {terminations} backend terminations")
        report(say, db_url, started, finished, truth, processes)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
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


class Reporter:
    def __init__(self, path: Path) -> None:
        self.path, self.failures = path, 0

    def __call__(self, line: str, failure: bool = False) -> None:
        self.failures += failure
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


class Truth:
    """What the status page says, next to what the soak sees for itself at the same moment."""

    def __init__(self, redis_port: int, queue: str, processes: dict, url: str, token: str) -> None:
        self.redis, self.queue, self.processes, self.url, self.token = (
            Redis(port=redis_port),
            queue,
            processes,
            url,
            token,
        )
        self.polls = self.agreed = self.unanswered = 0
        self.disagreements: list[str] = []

    def seen(self) -> dict:
        try:
            self.redis.ping()
            jobs = [j.decode() for j in self.redis.zrange("rq:scheduler:scheduled_jobs", 0, -1)]
            registered = any(j.startswith(f"seqscan-schedule-{self.queue}-") for j in jobs)
            redis_ok = True
        except RedisError:
            redis_ok, registered = False, False
        alive = {name: p.poll() is None for name, p in self.processes.items()}
        return {
            "redis": redis_ok,
            "worker": redis_ok and alive["worker"],
            "scheduler": redis_ok and alive["scheduler"] and registered,
        }

    def poll(self, say) -> None:
        before = self.seen()
        request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = json.load(answer)
        except Exception as e:  # the page did not answer: that is a finding too
            self.unanswered += 1
            say(f"{now()} /api/status did not answer: {e}", failure=True)
            return
        after = self.seen()
        said = {
            "redis": status["redis"]["ok"],
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


def report(say, db_url: str, started: datetime, finished: datetime, truth: Truth, processes: dict) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        scans = conn.execute(
            text("SELECT id, trigger, state, error, created, scan_start, finished FROM scan_run ORDER BY id")
        ).all()
    engine.dispose()
    utc = lambda t: t.replace(tzinfo=UTC) if t and t.tzinfo is None else t  # noqa: E731
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
        say(f"  no scheduled scan for {m:%H:%M}", failure=True)
    states: dict[str, int] = {}
    for s in scans:
        states[s.state] = states.get(s.state, 0) + 1
    say(f"scans: {len(scans)} ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))})")
    for s in scans:  # nothing in the soak should fail a scan; one stopped by a fault is queued again
        if s.state == "Error":
            stopped = (s.error or "").startswith("stopped: ")
            why = (s.error or "").strip().splitlines()[-1][:200]
            say(
                f"  scan {s.id} ({s.trigger}) {'stopped and queued again' if stopped else 'Error'}: {why}",
                failure=not stopped,
            )
    stuck = [s for s in scans if s.state not in ("Finished", "Error")]
    say(f"stuck (not ended 20 s after the soak): {len(stuck)} {[s.id for s in stuck]}", failure=bool(stuck))
    ran = sorted((utc(s.scan_start), utc(s.finished), s.id) for s in scans if s.scan_start and s.finished)
    overlaps = [(a[2], b[2]) for a, b in zip(ran, ran[1:], strict=False) if b[0] < a[1]]
    say(f"overlapping scans: {len(overlaps)} {overlaps}", failure=bool(overlaps))
    say(f"status polls: {truth.polls} answered, {truth.unanswered} unanswered; agreed with what the soak saw: "
        f"{truth.agreed}; disagreed: {len(truth.disagreements)}", failure=bool(truth.unanswered))  # fmt: skip
    down = [name for name, p in processes.items() if p.poll() is not None]
    say(f"processes that ended during the soak: {down or 'none'}", failure=bool(down))


if __name__ == "__main__":
    sys.exit(main())
