"""A lost mount is not a deletion: a root that is suddenly empty, or missing its sentinel, fails the
scan and marks nothing Deleted; the operator accepts real removals with --accept-vanished."""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import select

from seqscan.enums import DataState, EndReason, ScanState
from seqscan.extensions import db
from seqscan.models import FileEvent, ScanRun, SequencingFile, SequencingRun
from seqscan.scanner.vanished import named
from tests.conftest import count, make_run, rows
from tests.queue_support import Lab

NAMES = [f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHMOUNT{i:03d}X" for i in range(3)]


def states(app) -> dict[str, str]:
    return dict(rows(app, select(SequencingRun.name, SequencingRun.data_state)))


def deleted_files(app) -> int:
    return count(app, SequencingFile, SequencingFile.data_state == DataState.DELETED)


def test_an_unmounted_root_fails_the_scan_and_deletes_nothing_until_accepted(app, root, scan, tmp_path):
    for name in NAMES:
        make_run(root, name=name)
    scan()
    before = states(app)
    shutil.move(root, tmp_path / "elsewhere")  # the disk is gone; the mount point stays, empty
    root.mkdir()
    failed = scan(ok=False)
    assert (failed.state, failed.end_reason) == ("Error", EndReason.TOO_MANY_VANISHED)
    assert failed.error == (
        f"3 of 3 known runs are gone from {root} — is the disk mounted? Nothing was marked Deleted. "
        f"If they really were removed, accept on this scan's page or re-run with `flask scan --accept-vanished`. "
        f"Gone: {', '.join(sorted(NAMES))}."
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
    assert failed.end_reason == EndReason.ROOT_UNREADABLE
    assert failed.scan_start is None and failed.runs_count == 0  # it never walked the disk
    assert states(app) == {NAMES[0]: "Complete"}


# --- A root that leaves during the scan (issue 15 §2) ---


def deleted_events(app) -> int:
    return count(app, FileEvent, FileEvent.to_state == DataState.DELETED)


@pytest.mark.parametrize("phase", [ScanState.SCANNING_FILES, ScanState.CREATE_MODELS])
def test_a_root_renamed_away_mid_scan_fails_the_scan_and_marks_nothing_deleted(tmp_path, phase):
    lab = Lab(tmp_path)
    try:
        lab.runs(8)
        assert lab.run("flask", "scan", PAUSE_PER_RUN_SECONDS=0).returncode == 0
        scanning = lab.start("flask", "scan", "--full")  # --full: Create Models re-reads every run
        two_runs_in = ScanRun.runs_done >= 2 if phase == ScanState.CREATE_MODELS else ScanRun.id == 2
        with lab.app.app_context():
            query = select(ScanRun.id).where(ScanRun.id == 2, ScanRun.state == phase, two_runs_in)
            lab.wait_for(lambda: db.session.scalar(query), timeout=30, what=f"scan 2 in {phase}")
        if phase == ScanState.SCANNING_FILES:
            time.sleep(0.8)  # 0.3 s a run: a few runs walked
        lab.root.rename(tmp_path / "gone")  # as a mount that drops
        assert scanning.wait(60) == 1
        failed = lab.scan(2)
        assert failed.state == ScanState.ERROR
        assert failed.error.startswith(f"the scan root went away during {phase}: "), failed.error
        assert "Nothing was marked Deleted" in failed.error
        assert failed.files_deleted == 0 and deleted_events(lab.app) == 0
        (tmp_path / "gone").rename(lab.root)
        again = lab.run("flask", "scan", PAUSE_PER_RUN_SECONDS=0)
        assert again.returncode == 0, again.stderr
        assert deleted_events(lab.app) == 0
        with lab.app.app_context():
            assert set(db.session.scalars(select(SequencingRun.data_state))) == {DataState.COMPLETE}
    finally:
        lab.close()


def test_most_of_a_runs_files_gone_at_once_is_refused_until_accepted(app, root, scan):
    for name in NAMES:
        make_run(root, name=name)
    scan()
    run_dir = root / "idt_exome" / NAMES[1]
    for folder in ("0_fastq", "1_BAM", "2_variants"):  # 11 of its 20 files
        shutil.rmtree(run_dir / folder)
    failed = scan(ok=False)
    assert failed.state == "Error"
    assert failed.error.startswith(f"11 of 20 files of run {NAMES[1]} are gone at once"), failed.error
    assert "Nothing of them was marked Deleted" in failed.error
    assert deleted_files(app) == 0 and deleted_events(app) == 0
    assert states(app) == dict.fromkeys(NAMES, "Complete")
    accepted = scan("--accept-vanished")
    assert accepted.state == "Finished" and accepted.files_deleted == 11
    assert any(w.message.startswith("11 of 20 files gone at once: accepted as Deleted") for w in accepted.warnings)


def test_a_few_files_gone_from_a_run_are_deleted_as_usual(app, root, scan):
    make_run(root, name=NAMES[0])
    scan()
    (root / "idt_exome" / NAMES[0] / "1_BAM" / "S1.hg38.bam").unlink()
    done = scan()
    assert done.state == "Finished" and done.files_deleted == 1


def test_the_lost_mount_error_names_the_first_20_runs_gone_and_counts_the_rest():
    names = [f"run{i:02}" for i in range(23)]
    assert named(names) == ", ".join(names[:20]) + " and 3 more"
    assert named(names[:20]) == ", ".join(names[:20])
