"""Fixtures: an app on a real SQLite file, and helpers that build real run trees in tmp_path."""

from __future__ import annotations

import os
import re
import uuid
import weakref
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from seqscan import create_app
from seqscan.enums import Role
from seqscan.extensions import db
from seqscan.layout import load_profile
from seqscan.layout.tree import expected_paths, write_files
from seqscan.models import ScanRun, SequencingFile, SequencingRun, User

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "variantgrid_clinical_hg38"
TAU = load_profile("tau")
RUN = "Exome_24_001_240108_NB501009_0001_AHTESTBGXY"
OTHER = "Exome_24_002_240110_NB501009_0002_AHOTHERBGXY"  # a second run, where a test needs two


def iem_sheet(samples: list[str]) -> str:
    rows = "".join(f"{s},{s},,,N701,ACGTACGT,S501,TGCATGCA,Proj,\r\n" for s in samples)
    return (
        "[Header]\r\nIEMFileVersion,4\r\nExperiment Name,EXOME_24_001\r\n\r\n[Reads]\r\n151\r\n\r\n"
        "[Data]\r\nSample_ID,Sample_Name,Sample_Plate,Sample_Well,I7_Index_ID,index,I5_Index_ID,index2,"
        "Sample_Project,Description\r\n" + rows
    )


def make_run(
    root: Path,
    name: str = RUN,
    kit: str = "idt_exome",
    samples=("S1", "S2"),
    skip: set[str] = frozenset(),
    marker: str = "4_QC/sequencing_stats/RTAComplete.txt",
    sheet: str | bytes | None = None,
) -> Path:
    """A complete tau-layout run folder, written from the tau profile (test_layout pins the profile's
    paths on their own); `skip` lists relative paths to leave out."""
    run_dir = root / kit / name
    files: dict[str, str | bytes] = {path: "data" for path in expected_paths(TAU, name, samples)}
    files[TAU.sample_sheet] = iem_sheet(list(samples)) if sheet is None else sheet
    files[marker] = ""
    write_files(run_dir, {rel: content for rel, content in files.items() if rel not in skip})
    return run_dir


# Set to a PostgreSQL URL (as `make test` does) to run the same tests against PostgreSQL.
TEST_DATABASE_URL = os.environ.get("SEQSCAN_TEST_DATABASE_URL")
# Redis database 15 is the tests' own (make test's PostgreSQL half: 14): tests that queue scans empty
# it before and after.
TEST_REDIS_URL = os.environ.get("SEQSCAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# Every engine a test's apps connected with (tests make apps of their own: create_app(...), a Lab's
# make_app()): disposed when the test ends, so no pooled connection is left for the garbage
# collector to find open during a later test (psycopg warns, and warnings are errors here).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()
event.listen(Engine, "engine_connect", lambda connection: _ENGINES.add(connection.engine))


@pytest.fixture(autouse=True)
def _close_every_engine():
    yield
    for engine in list(_ENGINES):
        engine.dispose()


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'seqscan.sqlite'}",
            "DATA_DIR": str(tmp_path / "data"),
            "SCAN_ROOT": str(tmp_path / "root"),
            # Trees here are milliseconds old: trust folder mtimes at once, so that every
            # rescan in the suite goes through the re-use of unchanged folder listings.
            "MTIME_MARGIN_SECONDS": 0,
            # Never the Redis database or queue of a seqscan running on this machine.
            "REDIS_URL": TEST_REDIS_URL,
            "SCAN_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
        },
        # An instance folder of the test's own: never the settings (seqscan.toml) `make run` wrote.
        instance_path=str(tmp_path / "instance"),
    )
    (tmp_path / "root").mkdir()
    with app.app_context():
        if TEST_DATABASE_URL:
            db.drop_all()  # a clean shared database for every test
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def scan(app, runner):
    """Run `flask scan` and return the finished ScanRun (detached, attributes loaded)."""

    def _scan(*args: str, ok: bool = True) -> ScanRun:
        result = runner.invoke(args=["scan", *args])
        assert (result.exit_code == 0) == ok, result.output
        with app.app_context():
            scan = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc())).first()
            _ = scan.warnings  # load for use outside the context
            db.session.expunge_all()
        return scan

    return _scan


# --- Reading the database between scans, each read in an app context of its own ---


def rows(app, statement) -> list:
    """The rows of a SELECT."""
    with app.app_context():
        return db.session.execute(statement).all()


def count(app, model, *where) -> int:
    """How many rows of model match every condition in where."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def detached(app, model, key):
    """The row of model with this primary key, detached (its loaded columns stay readable), or None."""
    with app.app_context():
        row = db.session.get(model, key)
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture
def files(app):
    """{relative path: data_state} of one run's file records."""

    def _files(run_name: str = RUN) -> dict[str, str]:
        statement = select(SequencingFile.path, SequencingFile.data_state).join(SequencingRun)
        return dict(rows(app, statement.where(SequencingRun.name == run_name)))

    return _files


@pytest.fixture
def get_run(app):
    def _get(name: str = RUN) -> SequencingRun | None:
        with app.app_context():
            run = db.session.scalar(select(SequencingRun).where(SequencingRun.name == name))
            if run is not None:
                [s.samples for s in run.sheets]
                db.session.expunge_all()
            return run

    return _get


@pytest.fixture
def lab(tmp_path):
    """A seqscan installation for the queue tests: real Redis, worker and scheduler processes."""
    from tests.queue_support import Lab

    lab = Lab(tmp_path)
    yield lab
    lab.close()


@pytest.fixture
def private_postgres(tmp_path):
    """A PostgreSQL cluster of the test's own, to stop and restart (with the PostgreSQL tests only)."""
    from tests.queue_support import PrivatePostgres

    if not TEST_DATABASE_URL:
        pytest.skip("runs with the PostgreSQL tests")
    try:
        server = PrivatePostgres(tmp_path)
    except RuntimeError as e:
        pytest.skip(str(e))
    yield server
    server.close()


@pytest.fixture
def lab_redis(app):
    """The test Redis database, emptied before and after the test."""
    from redis import Redis

    redis = Redis.from_url(TEST_REDIS_URL)
    redis.flushdb()
    yield redis
    redis.flushdb()


# --- Signed-in web clients (the Flask test client) ---


def add_users(app) -> None:
    """olga, an operator, and vic, a viewer; each one's password is "<name>-pw"."""
    from seqscan.auth import hash_password

    with app.app_context():
        for name, role in (("olga", Role.OPERATOR), ("vic", Role.VIEWER)):
            db.session.add(User(username=name, password_hash=hash_password(f"{name}-pw"), role=role))
        db.session.commit()


@pytest.fixture
def users(app):
    add_users(app)


def sign_in(client, name: str):
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"username": name, "password": f"{name}-pw", "csrf_token": csrf(page.text)})
    assert response.status_code == 302, response.text
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def operator(app, users):
    return sign_in(app.test_client(), "olga")


@pytest.fixture
def viewer(app, users):
    return sign_in(app.test_client(), "vic")
