"""One bad run, folder or file name is a warning on that run and the scan; the scan still finishes."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from seqscan import roots, scans
from seqscan.enums import Trigger
from seqscan.jobs.run import run_scan
from tests.conftest import OTHER, RUN, make_run


def test_garbage_sheet_is_a_warning_and_the_sheet_file_is_in_error(root, scan, files, get_run):
    make_run(root, sheet=b"\x00\xff\xfe garbage \x00")
    make_run(root, name=OTHER)
    result = scan()
    assert result.state == "Finished" and result.runs_count == 2
    assert any(w.run_name == RUN and "cannot be parsed" in w.message for w in result.warnings)
    assert files()["SampleSheet.csv"] == "Error"
    assert get_run().data_state == "Error"
    assert get_run(OTHER).complete_count == 20


def test_sheet_broken_later_keeps_expecting_what_the_last_good_sheet_said(root, scan, files):
    run_dir = make_run(root)
    scan()
    (run_dir / "SampleSheet.csv").write_text("this is not a sample sheet\n")
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    scan()
    assert files()["0_fastq/S1_R2.fastq.gz"] == "Deleted"
    assert files()["0_fastq/S2_R2.fastq.gz"] == "Complete"


def test_missing_sheet_is_a_warning(root, scan, files):
    make_run(root, skip={"SampleSheet.csv"})
    result = scan()
    assert any("no SampleSheet.csv" in w.message for w in result.warnings)
    assert files()["SampleSheet.csv"] == "Non-existent"


def test_symlink_loop_is_a_warning_and_the_scan_finishes(root, scan, files):
    run_dir = make_run(root)
    os.symlink("..", run_dir / "1_BAM" / "loop")  # 1_BAM/loop -> the run folder itself
    os.symlink("self", run_dir / "0_fastq" / "self")  # a link to itself: ELOOP on stat
    result = scan()
    assert result.state == "Finished"
    messages = " | ".join(w.message for w in result.warnings)
    assert "symlink loop" in messages and "Too many levels of symbolic links" in messages
    assert files()["0_fastq/self"] == "Error"
    assert files()["0_fastq/S1_R1.fastq.gz"] == "Complete"


def test_file_name_with_a_newline_is_a_warning_and_nothing_else_breaks(root, scan, files):
    run_dir = make_run(root)
    (run_dir / "0_fastq" / "S1_R1.fastq.gz\nrm -rf").write_text("x")
    (run_dir / "0_fastq").joinpath(os.fsdecode(b"bad\xffbyte.fastq.gz")).write_text("x")
    result = scan()
    assert result.state == "Finished"
    odd = [w for w in result.warnings if "unprintable name" in w.message]
    assert len(odd) == 2 and all(w.run_name == RUN for w in odd)
    assert "'S1_R1.fastq.gz\\nrm -rf'" in odd[0].message + odd[1].message
    assert set(files().values()) == {"Complete"}
    assert scan().state == "Finished"  # the lists it wrote read back cleanly


def test_broken_symlink_for_an_expected_file_is_error(root, scan, files):
    run_dir = make_run(root)
    (run_dir / "1_BAM/S1.hg38.bam").unlink()
    os.symlink("/nonexistent/S1.hg38.bam", run_dir / "1_BAM/S1.hg38.bam")
    result = scan()
    assert files()["1_BAM/S1.hg38.bam"] == "Error"
    assert any("broken symlink" in w.message for w in result.warnings)


def test_unreadable_scan_root_is_an_error_that_deletes_nothing(app, root, scan, get_run, tmp_path):
    make_run(root)
    scan()
    moved = tmp_path / "unmounted"
    root.rename(moved)
    with app.app_context():  # as the worker runs a queued scan (`flask scan` refuses before recording one)
        failed = run_scan(scans.create(roots.find(str(root), "tau"), Trigger.SCHEDULED))
        assert failed.state == "Error" and "cannot be read" in failed.error
        assert "Traceback" not in failed.error
    assert get_run().data_state == "Complete"


def _unprivileged_scan(app_dir: Path, root: Path) -> subprocess.CompletedProcess:
    """Run `flask scan` without the power to ignore file permissions, even when the tests run as root.

    As root, it drops the capabilities that bypass permissions rather than becoming another user:
    another user may not reach this Python (a pyenv under /root) and would run a different one.
    """
    env = {
        **os.environ,
        "SEQSCAN_DATABASE_URL": f"sqlite:///{app_dir / 'db.sqlite'}",
        "SEQSCAN_DATA_DIR": str(app_dir / "data"),
        "SEQSCAN_SCAN_ROOT": str(root),
        "SEQSCAN_UPGRADE_ON_START": "true",  # a fresh database, made by the first scan
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "scan"]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1]
    )


@pytest.mark.skipif(
    shutil.which("setpriv") is None and os.geteuid() == 0, reason="needs setpriv to drop root's permission bypass"
)
def test_permission_denied_folder_is_a_warning_and_its_runs_are_not_deleted():
    base = Path(tempfile.mkdtemp(prefix="seqscan-perm-"))
    try:
        root = base / "root"
        make_run(root)
        make_run(root, name=OTHER, kit="idt_haem")
        first = _unprivileged_scan(base, root)
        assert first.returncode == 0, first.stderr
        (root / "idt_exome").chmod(0o000)  # the whole kit becomes unreadable
        (root / "idt_haem" / OTHER / "1_BAM").chmod(0o000)
        second = _unprivileged_scan(base, root)
        assert second.returncode == 0, second.stderr
        assert "Finished" in second.stdout and "runs 1" in second.stdout
        assert "cannot read folder: Permission denied" in second.stderr

        def flask(*args: str) -> str:
            return subprocess.run(
                [sys.executable, "-m", "flask", "--app", "app", *args],
                capture_output=True,
                text=True,
                env={
                    **os.environ,
                    "SEQSCAN_DATABASE_URL": f"sqlite:///{base / 'db.sqlite'}",
                    "SEQSCAN_UPGRADE_ON_START": "true",
                },
                cwd=Path(__file__).resolve().parents[1],
                check=True,
            ).stdout

        lines = {line.split()[0]: line for line in flask("runs", "list").splitlines()[2:]}
        assert "Complete" in lines[RUN]  # unreadable is not gone
        header, *exported = flask("files", "export", "--run", OTHER).splitlines()
        state = header.split("\t").index("data_state")
        bam_states = {row.split("\t")[state] for row in exported if "/1_BAM/" in row}
        assert bam_states == {"Error"}  # unknowable, never "Deleted"
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                path.chmod(0o777)
        shutil.rmtree(base)
