"""Bulk writes (seqscan/scanner/bulk.py: COPY on PostgreSQL, executemany on SQLite) store what
SQLAlchemy's own INSERT stores, and the same tree scanned into either database gives the same records."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, text

from seqscan import create_app
from seqscan.enums import DataState
from seqscan.extensions import db
from seqscan.models import FileEvent, Sample, SampleSheet, ScanRun, SequencingFile, SequencingRun
from seqscan.scanner.bulk import insert_rows
from seqscan.scanner.store import EVENT_COLUMNS, EVENTS
from tests.conftest import OTHER, RUN, TEST_DATABASE_URL, TEST_REDIS_URL, make_run

# Names the COPY text format must escape (backslash, its NULL marker \N, its end marker \.) and
# others a driver could mangle; the walk skips names with tabs or newlines (a warning), a sheet's
# index column keeps them.
ODD_NAMES = ["back\\slash.txt", "\\N", "\\.", 'it\'s "quoted", too.txt', "données_é文件.txt", " lead and trail "]
ODD_INDEX = "AC\tGT\\CA\\N"
FAR_FUTURE_NS = 13_569_465_600 * 10**9 + 123_456_789  # 2400-01-01 00:00:00.123456789 (ext4 stops at 2446)


def test_bulk_insert_stores_what_sqlalchemys_insert_stores(app):
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    values = [
        [None, "a\tb\nc\\d\\N", "bam", 1, None, DataState.NON_EXISTENT, at],
        [None, "é文件 \\. \"'", "fastq", 1, DataState.COMPLETE, None, datetime(9999, 12, 31, tzinfo=UTC)],
    ]
    with app.app_context():
        scan = ScanRun(root="/r")
        run = SequencingRun(name=RUN, root="/r", path=f"idt_exome/{RUN}")
        db.session.add_all([scan, run])
        db.session.flush()
        for row in values:
            row[0], row[3] = run.id, scan.id
        db.session.execute(EVENTS.insert(), [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in values])
        insert_rows(db.session, EVENTS, EVENT_COLUMNS, [list(row) for row in values])
        db.session.commit()
        stored = db.session.execute(select(*(EVENTS.c[c] for c in EVENT_COLUMNS)).order_by(EVENTS.c.id)).all()
        ids = db.session.scalars(select(FileEvent.id).order_by(FileEvent.id)).all()
    assert stored[2:] == stored[:2]  # bulk.py's rows read back as SQLAlchemy's
    assert stored[0].path == "a\tb\nc\\d\\N" and stored[0].to_state is DataState.NON_EXISTENT
    assert stored[0].at == at and stored[0].at.tzinfo is UTC
    assert len(set(ids)) == 4  # ids from the sequence, as for an INSERT


def _app(tmp_path, name: str, root, url: str):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "DATA_DIR": str(tmp_path / name / "data"),
            "SCAN_ROOT": str(root),
            "MTIME_MARGIN_SECONDS": 0,
            "REDIS_URL": TEST_REDIS_URL,
            "SCAN_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
        },
        instance_path=str(tmp_path / name / "instance"),
    )
    with app.app_context():
        if not url.startswith("sqlite"):
            db.drop_all()
        db.create_all()
    return app


def _scan(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["scan", *args])
    assert result.exit_code == 0, result.output


def _records(app) -> dict[str, list]:
    """Every record a scan writes, without ids (each database numbers its own) or times of writing;
    scans by their order."""
    with app.app_context():
        scans = {sid: n for n, sid in enumerate(db.session.scalars(select(ScanRun.id).order_by(ScanRun.id)))}
        runs = {r.id: r.name for r in db.session.scalars(select(SequencingRun))}
        samples = {s.id: s.sample_id for s in db.session.scalars(select(Sample))}
        ids_and_times = {
            "id",
            "moved_from_pk",
            "first_seen_at",
            "last_seen_at",
            "first_seen_scan_id",
            "last_seen_scan_id",
        }
        run_columns = [c for c in SequencingRun.__table__.c.keys() if c not in ids_and_times]
        records = {
            "runs": sorted(
                (*(getattr(r, c) for c in run_columns), scans[r.first_seen_scan_id], scans[r.last_seen_scan_id])
                for r in db.session.scalars(select(SequencingRun))
            ),
            "sheets": sorted(
                (runs[s.run_pk], s.sha256, s.format, s.experiment, s.is_current, s.no_lane_splitting, s.reads)
                for s in db.session.scalars(select(SampleSheet))
            ),
            "samples": sorted(
                (s.sheet.run.name, s.sample_id, s.name, s.project, s.lane, s.index, s.index2, s.number)
                for s in db.session.scalars(select(Sample))
            ),
            "files": sorted(
                (
                    runs[f.run_pk],
                    f.path,
                    f.file_type,
                    f.expected,
                    samples.get(f.sample_pk),
                    f.data_state,
                    f.size,
                    f.mtime,
                    f.message,
                    *(scans.get(s) for s in (f.first_seen_scan_id, f.last_seen_scan_id, f.state_changed_scan_id)),
                )
                for f in db.session.scalars(select(SequencingFile))
            ),
            "events": sorted(
                (runs[e.run_pk], e.path, e.file_type, scans[e.scan_id], e.from_state or "", e.to_state or "")
                for e in db.session.scalars(select(FileEvent))
            ),
        }
    return records


@pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgres"),
    reason="compares SQLite with PostgreSQL: runs with the PostgreSQL tests (SEQSCAN_TEST_DATABASE_URL)",
)
def test_the_same_tree_gives_the_same_records_in_postgresql_and_sqlite(tmp_path):
    root = tmp_path / "root"
    run_dir = make_run(root, samples=("S1", "S2", "S3"), skip={"1_BAM/S3.hg38.bam"})  # one missing: no size
    make_run(root, name=OTHER, samples=("S1",))
    sheet = (run_dir / "SampleSheet.csv").read_text()
    (run_dir / "SampleSheet.csv").write_text(sheet.replace("ACGTACGT", f'"{ODD_INDEX}"', 1))
    for name in ODD_NAMES:
        (run_dir / "4_QC" / "exec_stats" / name).write_text("odd")
    os.utime(run_dir / "0_fastq" / "S1_R1.fastq.gz", ns=(FAR_FUTURE_NS, FAR_FUTURE_NS))
    (run_dir / "0_fastq" / "S2_R1.fastq.gz").write_bytes(b"")  # size 0, not None
    apps = [_app(tmp_path, "sqlite", root, f"sqlite:///{tmp_path / 'seqscan.sqlite'}")]
    apps.append(_app(tmp_path, "postgresql", root, TEST_DATABASE_URL))

    for app in apps:  # a first scan
        _scan(app)
    sqlite, postgresql = (_records(app) for app in apps)
    assert postgresql == sqlite
    files = {f[1]: f for f in sqlite["files"] if f[0] == RUN}
    assert {*ODD_NAMES, "1_BAM/S3.hg38.bam"} <= {p.rpartition("4_QC/exec_stats/")[2] for p in files}
    assert files["1_BAM/S3.hg38.bam"][5] == DataState.NON_EXISTENT and files["1_BAM/S3.hg38.bam"][6] is None
    assert files["0_fastq/S1_R1.fastq.gz"][7].year == 2400 and files["0_fastq/S1_R1.fastq.gz"][7].tzinfo is UTC
    assert files["0_fastq/S2_R1.fastq.gz"][6] == 0
    assert ODD_INDEX in {s[5] for s in sqlite["samples"]} and sqlite["events"]

    # A rescan: a file deleted, one changed, one back; a run gone (its files Deleted, each an event).
    (run_dir / "0_fastq" / "S2_R2.fastq.gz").unlink()
    (run_dir / "0_fastq" / "S1_R2.fastq.gz").write_text("longer than before")
    (run_dir / "1_BAM" / "S3.hg38.bam").write_text("bam")
    shutil.rmtree(root / "idt_exome" / OTHER)
    for app in apps:
        _scan(app, "--accept-vanished")
    sqlite, postgresql = (_records(app) for app in apps)
    assert postgresql == sqlite
    assert {e[5] for e in sqlite["events"] if e[3] == 1} >= {DataState.DELETED, DataState.COMPLETE}


@pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgres"), reason="a PostgreSQL setting: runs with the PostgreSQL tests"
)
def test_each_runs_commit_on_postgresql_does_not_wait_for_the_disk_and_only_its_own(tmp_path):
    """Each run's transaction sets synchronous_commit off for itself (SET LOCAL): the connection the
    pool hands out next commits as usual."""
    root = tmp_path / "root"
    make_run(root, samples=("S1",))
    make_run(root, name=OTHER, samples=("S1",))
    app = _app(tmp_path, "postgresql", root, TEST_DATABASE_URL)
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    _scan(app)
    assert sum("synchronous_commit" in s for s in statements) == 2  # one a run
    assert all(s.startswith("SET LOCAL") for s in statements if "synchronous_commit" in s)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.scalar(text("SHOW synchronous_commit")) == "on"
    with app.app_context():
        db.engine.dispose()
