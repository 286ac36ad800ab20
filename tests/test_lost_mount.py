"""A lost mount is not a deletion: a root that is suddenly empty, or missing its sentinel, fails the
scan and marks nothing Deleted; the operator accepts real removals with --accept-vanished."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from seqscan.enums import DataState
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun
from tests.conftest import make_run

NAMES = [f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHMOUNT{i:03d}X" for i in range(3)]


def states(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(SequencingRun.name, SequencingRun.data_state)).all())


def deleted_files(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(SequencingFile).where(SequencingFile.data_state == DataState.DELETED)
        )


def test_an_unmounted_root_fails_the_scan_and_deletes_nothing_until_accepted(app, root, scan, tmp_path):
    for name in NAMES:
        make_run(root, name=name)
    scan()
    before = states(app)
    shutil.move(root, tmp_path / "elsewhere")  # the disk is gone; the mount point stays, empty
    root.mkdir()
    failed = scan(ok=False)
    assert failed.state == "Error"
    assert failed.error == (
        f"3 of 3 known runs are gone from {root} — is the disk mounted? Nothing was marked Deleted. "
        "Re-run with `flask scan --accept-vanished` if they really were removed."
    )
    assert deleted_files(app) == 0 and states(app) == before == dict.fromkeys(NAMES, "Complete")
    accepted = scan("--accept-vanished")
    assert accepted.state == "Finished" and accepted.files_deleted == 3 * 20
    assert states(app) == dict.fromkeys(NAMES, "Deleted")
    assert any(
        w.message.startswith(f"3 of 3 known runs gone from {root}: accepted as Deleted") for w in accepted.warnings
    )


def test_more_than_the_run_limit_is_refused_even_when_a_small_fraction(app, root, scan):
    for i in range(30):
        make_run(root, name=f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHMANY{i:03d}XY", samples=("S1",))
    scan()
    for run_dir in sorted((root / "idt_exome").iterdir())[:6]:  # 6 of 30: 20%, but more than 5 runs
        shutil.rmtree(run_dir)
    assert scan(ok=False).error.startswith("6 of 30 known runs are gone")
    app.config["MAX_VANISHED_RUNS"] = 10
    assert scan().state == "Finished" and list(states(app).values()).count("Deleted") == 6


def test_a_missing_sentinel_fails_the_scan_at_once(app, root, scan):
    make_run(root, name=NAMES[0])
    (root / ".seqscan_root").touch()
    app.config["ROOT_SENTINEL"] = ".seqscan_root"
    assert scan().state == "Finished"
    (root / ".seqscan_root").unlink()
    failed = scan(ok=False)
    assert failed.error == f"sentinel .seqscan_root missing in {root}: root not mounted?"
    assert failed.scan_start is None and failed.runs_count == 0  # it never walked the disk
    assert states(app) == {NAMES[0]: "Complete"}
