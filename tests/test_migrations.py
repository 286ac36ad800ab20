"""Upgrades keep the data: the migrations build the models' schema, and carry a first-release
database, rows and all, to the newest one. On SQLite, and on PostgreSQL in a database of its own."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from seqscan import create_app
from seqscan.enums import EndReason
from seqscan.extensions import db
from seqscan.schema import FIRST_RELEASE, upgrade_database
from tests.conftest import TEST_DATABASE_URL


@contextmanager
def fresh_database(tmp_path):
    """The URL of an empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"seqscan_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty_app(tmp_path):
    with fresh_database(tmp_path) as url:
        app = create_app({"TESTING": True, "DATABASE_URL": url, "DATA_DIR": str(tmp_path)})
        yield app
        with app.app_context():
            db.engine.dispose()


def test_the_migrations_build_exactly_the_models_schema(empty_app):
    with empty_app.app_context():
        upgrade_database()
    checked = empty_app.test_cli_runner().invoke(args=["db", "check"])
    assert checked.exit_code == 0, checked.output  # alembic finds nothing to add, drop or alter
    with empty_app.app_context():
        # A queue's lock row is made the first time the queue is scanned (seqscan.jobs.lock): none yet.
        assert db.session.execute(sa.text("SELECT name FROM scan_lock")).scalars().all() == []


# Rows as the first release wrote them: plain SQL against its schema, not today's models.
FIRST_RELEASE_ROWS = [
    """INSERT INTO scan_run (id, state, trigger, requested_by, root, layout, created, scan_start,
       create_models_start, finished, error, runs_count, files_found, files_missing, files_new, files_deleted,
       warnings_count, dirs_walked, files_seen, runs_total, runs_done, runs_reparsed, log)
       VALUES (1, 'Finished', 'scheduled', 'scheduler', '/tau/data', 'tau', '2026-11-20 06:00:00.000000',
       '2026-11-20 06:00:01.000000', '2026-11-20 06:00:05.000000', '2026-11-20 06:00:09.000000', '', 1, 2, 1, 2,
       0, 1, 7, 3, 1, 1, 1, 'scan 1 finished')""",
    "INSERT INTO scan_warning (id, scan_id, run_name, path, message) VALUES (1, 1, 'RUN1', '', 'a warning')",
    """INSERT INTO sequencing_run (id, name, root, path, kit, run_id, date, instrument, run_number, flowcell,
       experiment, sequencer_model, data_state, skipped, warnings, fingerprint, first_seen_at, last_seen_at,
       first_seen_scan_id, last_seen_scan_id, expected_count, complete_count, missing_count, unexpected_count)
       VALUES (1, 'RUN1', '/tau/data', 'idt_exome/RUN1', 'idt_exome', '240108_NB501009_0001_AHTESTBGXY',
       '2024-01-08', 'NB501009', 1, 'AHTESTBGXY', 'EXOME', 'NextSeq 500', 'Complete', FALSE, '', 'f1',
       '2026-11-20 06:00:06.000000', '2026-11-20 06:00:06.000000', 1, 1, 2, 1, 1, 0)""",
    """INSERT INTO sample_sheet (id, run_pk, sha256, format, experiment, is_current, first_seen_at,
       first_seen_scan_id) VALUES (1, 1, 'abc', 'iem', 'EXOME', TRUE, '2026-11-20 06:00:06.000000', 1)""",
    """INSERT INTO sample (id, sheet_pk, sample_id, name, project, lane, "index", index2, number)
       VALUES (1, 1, 'S1', 'S1', 'Proj', '', 'ACGT', 'TGCA', 1)""",
    """INSERT INTO sequencing_file (id, run_pk, sample_pk, file_type, path, data_state, expected, size, mtime,
       message, first_seen_scan_id, last_seen_scan_id, state_changed_scan_id) VALUES
       (1, 1, 1, 'fastq_r1', '0_fastq/S1_R1.fastq.gz', 'Complete', TRUE, 1234, '2026-11-19 10:00:00.000000',
        '', 1, 1, 1),
       (2, 1, 1, 'fastq_r2', '0_fastq/S1_R2.fastq.gz', 'Non-existent', TRUE, NULL, NULL, '', NULL, NULL, 1),
       (3, 1, 1, 'bam', '1_BAM/S1.hg38.bam', 'Error', TRUE, NULL, NULL, 'broken symlink', 1, 1, 1)""",
    """INSERT INTO "user" (id, username, password_hash, role, api_token_sha256, created)
       VALUES (1, 'olga', 'scrypt:hash', 'operator', '', '2026-11-01 09:00:00.000000')""",
]
TABLES = ("scan_run", "scan_warning", "sequencing_run", "sample_sheet", "sample", "sequencing_file", "user")


def _rows(table: str) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY 1')).all()]


@pytest.mark.parametrize("made_by", ["migrations at the first release", "the first release's create_all"])
def test_a_first_release_database_keeps_every_row_through_the_upgrade(empty_app, made_by):
    with empty_app.app_context():
        upgrade(revision=FIRST_RELEASE)
        if made_by == "the first release's create_all":
            db.session.execute(sa.text("DROP TABLE alembic_version"))  # it knew nothing of migrations
        for statement in FIRST_RELEASE_ROWS:
            db.session.execute(sa.text(statement))
        db.session.commit()
        before = {table: _rows(table) for table in TABLES}
        assert all(before.values())
        upgrade_database()
        assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() is not None
        after = {table: _rows(table) for table in TABLES}
    for table in TABLES:  # every row, every column it had (a later migration may add columns)
        assert [row[: len(before[table][0])] for row in after[table]] == before[table], table
    # And today's code reads them.
    with empty_app.app_context():
        from seqscan.models import ScanRun, SequencingFile, SequencingRun

        scan = db.session.get(ScanRun, 1)
        assert scan.state == "Finished" and scan.duration.total_seconds() == 8
        assert {f.data_state for f in db.session.scalars(sa.select(SequencingFile))} == {
            "Complete",
            "Non-existent",
            "Error",
        }
        run = db.session.get(SequencingRun, 1)  # 0002 counted its Error file: the verdict is right at once
        assert (run.error_count, run.verdict, run.skip_reason) == (1, "error", "")


# Errors as the releases before end_reason wrote them, and the reason 0009 gives each.
OLD_ENDS = [
    ("Finished", "", "finished"),
    ("Error", "Traceback (most recent call last):\n  ...\nValueError: no-such-layout", "failed"),
    ("Error", "refused: scanning is disabled (SEQSCAN_ENABLED=false)", "refused"),
    ("Error", "scan 3 is running (host:42); only one scan runs at a time", "refused"),
    ("Error", "interrupted during Create Models: its process stopped (no heartbeat for over 60 s)", "interrupted"),
    ("Error", "never started: its queue job is gone from Redis", "never_started"),
    ("Error", "could not be queued: Connection refused", "not_queued"),
    ("Error", "the database's disk is full: database or disk is full (during Create Models; free ...)", "disk_full"),
    ("Error", "scan 7 stopped: it lost the scan lock (its process was silent for over 60 s ...)", "lost_lock"),
    ("Error", "stopped: the worker was shut down during Scanning Files", "shut_down"),
    ("Error", "stopped: interrupted (Ctrl-C) during Create Models", "killed"),
    ("Error", "stopped: the database connection was lost during Create Models: terminating", "database_lost"),
    (
        "Error",
        "stopped: the database was unreachable for 12 s during Create Models: connection refused",
        "database_away",
    ),
    ("Error", "sentinel .seqscan_root missing in /tau/data: root not mounted?", "root_unreadable"),
    ("Error", "scan root /tau/data cannot be read: Permission denied", "root_unreadable"),
    (
        "Error",
        "3 of 3 known runs are gone from /tau/data — is the disk mounted? Nothing was marked ...",
        "too_many_vanished",
    ),
    (
        "Error",
        "11 of 20 files of run R are gone at once — is the disk mounted? Nothing of them ...",
        "too_many_vanished",
    ),
    ("Created", "", None),
]


def test_old_scans_get_their_end_reason_from_their_error_text_once(empty_app):
    with empty_app.app_context():
        upgrade(revision="0008")
        for i, (state, error, _) in enumerate(OLD_ENDS, start=1):
            db.session.execute(
                sa.text(
                    "INSERT INTO scan_run (id, state, trigger, requested_by, root, layout, created, error, runs_count,"
                    " files_found, files_missing, files_new, files_deleted, warnings_count, dirs_walked, files_seen,"
                    " runs_total, runs_done, runs_reparsed, log, current_run) VALUES (:id, :state, 'manual', '',"
                    " '/tau/data', '', '2026-11-20 06:00:00.000000', :error, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', '')"
                ),
                {"id": i, "state": state, "error": error},
            )
        db.session.commit()
        upgrade_database()
        got = db.session.execute(sa.text("SELECT end_reason FROM scan_run ORDER BY id")).scalars().all()
    assert got == [reason for *_, reason in OLD_ENDS]
    assert {EndReason(r) for r in got if r}  # each one a value today's code reads
