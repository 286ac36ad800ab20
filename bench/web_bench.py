"""Web benchmark: server time of the pages with 10,000 scans, 1,000 runs and a 96-sample run in the database.

    .venv/bin/python bench/web_bench.py [--scans 10000] [--runs 1000] [--samples 96] [--requests 300]

Builds a real run folder (`demo-tree` code) of one 96-sample run, scans it into a new SQLite file,
adds 10,000 historical scans and 1,000 more runs (one in five incomplete, with ten missing files
each), signs in, and times requests through the WSGI app in this process
(Flask's test client: the time includes routing, queries and rendering, not the network).
Needs Redis (for the status fragment and dead-scan checks); uses its own queue name.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqscan import create_app as _create_app  # noqa: E402
from seqscan import roots, scans  # noqa: E402
from seqscan.auth import hash_password  # noqa: E402
from seqscan.demo import make_demo_tree  # noqa: E402
from seqscan.enums import (  # noqa: E402
    DataState,  # noqa: E402
    Role,
    ScanState,
    Trigger,
)
from seqscan.extensions import db  # noqa: E402
from seqscan.jobs.run import run_scan  # noqa: E402
from seqscan.models import ScanRun, SequencingFile, SequencingRun, User  # noqa: E402
from seqscan.schema import upgrade_database  # noqa: E402


def create_app(settings: dict):
    """The app on a database of the bench's own, made as `flask init-db` makes it."""
    app = _create_app(settings)
    with app.app_context():
        upgrade_database()
    return app


def add_history(n: int, root: str) -> None:
    """n finished (and a few failed) scans, one every 12 hours back in time."""
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        created = now - timedelta(hours=12 * (n - i))
        state = ScanState.ERROR if i % 97 == 0 else ScanState.FINISHED
        rows.append(
            {
                "state": state, "trigger": Trigger.SCHEDULED, "requested_by": "scheduler", "root": root,
                "layout": "tau", "created": created, "scan_start": created + timedelta(seconds=1),
                "create_models_start": created + timedelta(seconds=40), "finished": created + timedelta(seconds=95),
                "error": "Traceback (most recent call last):\nOSError: disk gone" if state == ScanState.ERROR else "",
                "runs_count": 200, "files_found": 86000, "root_files_missing": 12, "files_new": 40, "warnings_count": 3,
                "log": "",
            }
        )  # fmt: skip
    db.session.execute(ScanRun.__table__.insert(), rows)
    db.session.commit()


def add_runs(n: int, root: str, scan_id: int) -> None:
    """n recorded runs: four in five complete, the others with ten expected files missing."""
    runs = []
    for i in range(n):
        missing = 10 if i % 5 == 0 else 0
        runs.append(
            {
                "name": f"Exome_{i:04d}_240101_NB501009_{i:04d}_AHBENCH{i:04d}", "root": root, "path": f"kit/run{i:04d}",
                "kit": "kit", "data_state": DataState.COMPLETE, "skipped": False, "expected_count": 480,
                "complete_count": 480 - missing, "missing_count": missing, "unexpected_count": 0, "error_count": 0,
                "first_seen_scan_id": scan_id, "last_seen_scan_id": scan_id, "fingerprint": "x", "warnings": "",
            }
        )  # fmt: skip
    db.session.execute(SequencingRun.__table__.insert(), runs)
    ids = dict(db.session.execute(db.select(SequencingRun.name, SequencingRun.id)).all())
    files = [
        {"run_pk": ids[r["name"]], "path": f"0_fastq/S{j}_R1.fastq.gz", "file_type": "fastq_r1",
         "data_state": DataState.NON_EXISTENT, "expected": True, "message": "", "state_changed_scan_id": scan_id}
        for r in runs if r["missing_count"] for j in range(r["missing_count"])
    ]  # fmt: skip
    db.session.execute(SequencingFile.__table__.insert(), files)
    db.session.commit()


def timed(client, url: str, n: int, headers=None) -> list[float]:
    client.get(url, headers=headers)  # warm caches and templates
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 286), (url, response.status_code)
    return times


def report(label: str, times: list[float], target: float) -> None:
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    verdict = "ok" if p95 <= target else "OVER"
    print(f"{label:<34} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (target p95 <= {target:g} ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seqscan-web-bench-"))
    try:
        root = work / "root"
        make_demo_tree(root, runs=3, samples=args.samples, bcl_cycles=1, bcl_tiles=1, missing=0.02)
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
                "DATA_DIR": str(work / "data"),
                "SCAN_ROOT": str(root),
                "SCAN_QUEUE": f"web-bench-{uuid.uuid4().hex[:8]}",
            }
        )
        with app.app_context():
            add_history(args.scans, str(root))
            scan = run_scan(scans.create(roots.configured()[0], Trigger.COMMAND_LINE, "bench"))
            assert scan.state == ScanState.FINISHED, scan.error
            scan_id = scan.id
            add_runs(args.runs, str(root), scan_id)
            run = db.session.query(SequencingRun).order_by(SequencingRun.expected_count.desc()).first()
            run_name, expected = run.name, run.expected_count
            db.session.add(User(username="bench", password_hash=hash_password("bench"), role=Role.OPERATOR))
            db.session.commit()
            total = db.session.query(ScanRun).count()
            run_count = db.session.query(SequencingRun).count()
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
        client.post("/sign-in", data={"username": "bench", "password": "bench", "csrf_token": token})
        print(
            f"database: {total} scans, {run_count} runs; run {run_name}: {args.samples} samples, {expected} expected files"
        )
        print(f"{args.requests} requests each, Flask test client, SQLite, in one process\n")
        htmx = {"HX-Request": "true"}
        report("/ (today)", timed(client, "/", args.requests), 50)
        report("/scans", timed(client, "/scans", args.requests), 50)
        report(f"/runs/<name> ({args.samples} samples)", timed(client, f"/runs/{run_name}", args.requests), 50)
        report("scan status fragment (row poll)", timed(client, f"/scans/{scan_id}/row", args.requests, htmx), 10)
        report("scan detail live fragment", timed(client, f"/scans/{scan_id}/live", args.requests, htmx), 50)
        report("server status fragment", timed(client, "/status/fragment", args.requests, htmx), 10)
        report("/missing (grouped by run)", timed(client, "/missing", args.requests), 50)
        report("health strip (every page)", timed(client, "/status/strip", args.requests, htmx), 10)
        report("/metrics", timed(client, "/metrics", args.requests), 50)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
