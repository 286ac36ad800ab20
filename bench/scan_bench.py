"""Scan benchmark: first scan, unchanged rescan and 1%-changed rescan against `find` on the same tree.

    .venv/bin/python bench/scan_bench.py [--runs 200] [--samples 48] [--bcl-cycles 151] [--bcl-tiles 16] [--keep DIR]
                                         [--database URL]
    .venv/bin/python bench/scan_bench.py --latency-ms 1 [--threads 8] [--runs 50] ...   (serial vs pooled only)
    .venv/bin/python bench/scan_bench.py --first-only --runs 2320 --bcl-cycles 1 --bcl-tiles 1   (1M expected files)

Everything runs in this one process (find as a child), on a tree written by `flask demo-tree`'s code,
into a new SQLite file, or into the PostgreSQL database --database names (the bench's own: its seqscan
tables are dropped first). Ratios are what count; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from seqscan import create_app as _create_app  # noqa: E402
from seqscan import roots, scans  # noqa: E402
from seqscan.demo import make_demo_tree  # noqa: E402
from seqscan.enums import Trigger  # noqa: E402
from seqscan.extensions import db  # noqa: E402
from seqscan.jobs.run import run_scan  # noqa: E402
from seqscan.models import ScanRun, SequencingFile  # noqa: E402
from seqscan.schema import upgrade_database  # noqa: E402


def create_app(settings: dict):
    """The app on a database of the bench's own, made as `flask init-db` makes it: a PostgreSQL one
    is emptied first (a SQLite one is a new file)."""
    app = _create_app(settings)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        upgrade_database()
    return app


def database_url(database: str | None, work: Path, name: str) -> str:
    """--database, or a new SQLite file in the bench's folder."""
    return database or f"sqlite:///{work / name}.sqlite"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_find(root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(f"find '{root}' -type f | wc -l", shell=True, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(out.stdout)


def timed_scan(app, root: Path) -> ScanRun:
    with app.app_context():
        scan = run_scan(scans.create(roots.find(str(root), "tau"), Trigger.COMMAND_LINE, "bench"))
        assert scan.state == "Finished", scan.error
        db.session.expunge(scan)
        return scan


def phase_line(label: str, scan: ScanRun) -> str:
    phases = {str(p): d.total_seconds() for p, _, d in scan.phases() if d is not None}
    walk, models = phases.get("Scanning Files", 0.0), phases.get("Create Models", 0.0)
    return (
        f"{label:<22} total {scan.duration.total_seconds():8.3f} s   Scanning Files {walk:7.3f} s   "
        f"Create Models {models:7.3f} s   re-parsed {scan.runs_reparsed:>4} of {scan.runs_count} runs   "
        f"peak RSS {peak_rss_mb():6.1f} MB"
    )


def bgzf_read(scan: ScanRun) -> int:
    found = re.search(r"(\d+) new or changed \.gz/\.bam files read", scan.log)
    return int(found.group(1)) if found else 0


def bgzf_cost(
    root: Path, work: Path, database: str | None, first: ScanRun, unchanged: ScanRun, touched: ScanRun
) -> str:
    """What the BGZF end-of-file check costs: a first scan again, into a new (or emptied) database, without it."""
    app = create_app(
        {
            "DATABASE_URL": database_url(database, work, "nocheck"),
            "DATA_DIR": str(work / "nocheck"),
            "CHECK_BGZF_EOF": False,
        }
    )
    without = timed_scan(app, root)
    models = first.phases()[1][2].total_seconds()
    models_without = without.phases()[1][2].total_seconds()
    return (
        f"BGZF end-of-file check       files read: first scan {bgzf_read(first)}, unchanged rescan "
        f"{bgzf_read(unchanged)}, 1%-touched rescan {bgzf_read(touched)}; Create Models of a first scan "
        f"with / without it {models / models_without:6.3f} ({models:.2f} s / {models_without:.2f} s)"
    )


def insert_ab(app, rounds: int = 5) -> str:
    """Every file row of the first scan inserted again, in a transaction rolled back after each try:
    seqscan's bulk insert (scanner/bulk.py: COPY on PostgreSQL, the driver's executemany on SQLite)
    against SQLAlchemy's `execute(insert(table), rows)`."""
    from statistics import median

    from seqscan.scanner.bulk import insert_rows
    from seqscan.scanner.store import FILES, INSERT_COLUMNS

    with app.app_context():
        rows = [dict(r._mapping) for r in db.session.execute(select(*(FILES.c[c] for c in INSERT_COLUMNS)))]
        for row in rows:
            row["data_state"] = row["data_state"].value  # as the reconcile loop hands them over
        times: dict[str, list[float]] = {"bulk.py": [], "insert()": []}
        for _ in range(rounds):
            for method in times:
                with db.engine.connect() as conn:
                    conn.execute(FILES.delete())
                    lists = [[row[c] for c in INSERT_COLUMNS] for row in rows]
                    start = time.perf_counter()
                    if method == "bulk.py":
                        from sqlalchemy.orm import Session

                        insert_rows(Session(bind=conn), FILES, INSERT_COLUMNS, lists)
                    else:
                        conn.execute(FILES.insert(), rows)
                    times[method].append(time.perf_counter() - start)
                    conn.rollback()
    bulk, core = median(times["bulk.py"]), median(times["insert()"])
    return (
        f"file-row insert ({len(rows)} rows, median of {rounds}): bulk.py {bulk:.3f} s, "
        f"insert() {core:.3f} s; bulk.py / insert() {bulk / core:6.3f}"
    )


def latency_bench(root: Path, work: Path, latency_ms: float, threads: int) -> None:
    """Serial vs pooled on a simulated network disk: a first scan of the same tree with SCAN_THREADS 1,
    then with `threads`, each into a new database, every listing and stat delayed by latency_ms."""
    from seqscan.scanner.disk import Disk
    from seqscan.scanner.pipeline import DISK

    phases = {}
    for n in (1, threads):
        data = {"DATABASE_URL": f"sqlite:///{work / f'latency{n}.sqlite'}", "DATA_DIR": str(work / f"latency{n}")}
        app = create_app({**data, "SCAN_THREADS": n})
        disk = app.extensions[DISK] = Disk(delay_s=latency_ms / 1000)
        scan = timed_scan(app, root)
        walk_s, models_s = phases[n] = [d.total_seconds() for _, _, d in scan.phases()[:2]]
        print(
            f"{latency_ms:g} ms latency, {n:>2} thread(s)   Scanning Files {walk_s:8.3f} s   Create Models "
            f"{models_s:8.3f} s   ({disk.calls['list']} listings, {disk.calls['stat']} stats)"
        )
    (walk1, models1), (walkn, modelsn) = phases[1], phases[threads]
    print(
        f"pooled ({threads} threads) vs serial at {latency_ms:g} ms: Scanning Files {walk1 / walkn:5.2f}x faster, "
        f"Create Models {models1 / modelsn:5.2f}x faster (target >= 6)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=48)
    # 4 lanes x 151 cycles x 16 tiles = 9,664 .bcl files per run: fewer than a real MiSeq run
    # folder holds (~300 cycles x 28 tiles of .bcl and .stats, plus thumbnails).
    parser.add_argument("--bcl-cycles", type=int, default=151, help="cycles in each run's BCL-like tree")
    parser.add_argument("--bcl-tiles", type=int, default=16, help="tiles per lane and cycle (4 lanes)")
    parser.add_argument("--keep", type=Path, help="build (or re-use) the tree here and keep it")
    parser.add_argument(
        "--database", help="scan into this PostgreSQL database (its seqscan tables are dropped first); default: SQLite"
    )
    parser.add_argument("--latency-ms", type=float, help="only serial vs pooled, every listing and stat delayed so")
    parser.add_argument("--threads", type=int, default=8, help="SCAN_THREADS of the pooled scans (--latency-ms)")
    parser.add_argument("--first-only", action="store_true", help="only a first scan: its phases, records, peak RSS")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="seqscan-bench-"))
    root = args.keep or work / "root"
    try:
        if not root.exists():
            start = time.perf_counter()
            make_demo_tree(
                root, runs=args.runs, samples=args.samples, bcl_cycles=args.bcl_cycles, bcl_tiles=args.bcl_tiles
            )
            print(
                f"tree: {args.runs} runs x {args.samples} samples; BCL-like tree of 4 lanes x {args.bcl_cycles} "
                f"cycles x {args.bcl_tiles} tiles per run; written in {time.perf_counter() - start:.1f} s"
            )
        time_find(root)  # warm the cache for both contenders alike
        if args.latency_ms is not None:
            latency_bench(root, work, args.latency_ms, args.threads)
            return
        find_s, find_files = time_find(root)
        print(f"{'find -type f | wc -l':<22} total {find_s:8.3f} s   {find_files} files")

        app = create_app({"DATABASE_URL": database_url(args.database, work, "bench"), "DATA_DIR": str(work / "data")})
        with app.app_context():
            backend = db.engine.dialect.name
        print(f"database: {backend}")
        first = timed_scan(app, root)
        assert first.runs_reparsed == first.runs_count == args.runs, "some runs were not recorded: see the log"
        print(phase_line("first scan", first))
        if args.first_only:
            with app.app_context():
                expected = db.session.scalar(select(func.count()).where(SequencingFile.expected))
            print(f"expected records {expected}, files found {first.files_found}; peak RSS {peak_rss_mb():.1f} MB")
            return
        unchanged = timed_scan(app, root)
        print(phase_line("unchanged rescan", unchanged))
        changed = sorted(p for p in root.glob("*/*") if (p / "0_fastq").is_dir())[::100]  # 1% of runs
        for i, run_dir in enumerate(changed):  # a re-run pipeline: one output replaced, one new file
            bam = next((run_dir / "1_BAM").glob("*.bam"))
            (run_dir / "1_BAM" / "tmp").write_text("re-aligned\n")
            (run_dir / "1_BAM" / "tmp").replace(bam)
            (run_dir / "4_QC" / "exec_stats" / f"bench_{time.time_ns()}_{i}.txt").write_text("new\n")
        touched = timed_scan(app, root)
        print(phase_line(f"rescan, {len(changed)} runs touched", touched))

        with app.app_context():
            expected = db.session.scalar(select(func.count()).where(SequencingFile.expected))
        walk_s = first.phases()[0][2].total_seconds()
        models_s = first.phases()[1][2].total_seconds()
        print()
        print(f"Scanning Files / find          {walk_s / find_s:6.3f}   (target <= 0.25)")
        print(f"unchanged rescan / first scan  {unchanged.duration / first.duration:6.3f}   (target <= 0.1)")
        print(f"1%-touched rescan / first scan {touched.duration / first.duration:6.3f}")
        print(
            f"expected records / s           {expected / models_s:8.0f}   ({expected} records in "
            f"{models_s:.2f} s of Create Models of the first scan, {backend}; target >= 20000)"
        )
        print(f"peak RSS                       {peak_rss_mb():6.1f} MB (target <= 300)")
        inserts = insert_ab(app)  # first: on PostgreSQL, bgzf_cost empties the database
        print(bgzf_cost(root, work, args.database, first, unchanged, touched))
        print(inserts)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
