"""Symlinks: a linked folder is walked only when it points inside the scan root (or a folder of
SEQSCAN_SYMLINK_ROOTS); a linked file is judged by what it points to. Nothing outside reaches the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from seqscan.extensions import db
from seqscan.models import SequencingFile
from tests.conftest import RUN, make_run, rows


def outside_tree(tmp_path: Path) -> Path:
    """A folder outside the scan root holding files that look like run output."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    for name in ("S1.hg38.bam", "secret.txt", "deep/passwd"):
        (outside / name).write_text("not the lab's data")
    return outside


def recorded_paths(app) -> set[str]:
    return {path for (path,) in rows(app, select(SequencingFile.path))}


def test_a_folder_symlink_out_of_the_root_is_a_warning_and_nothing_below_it_is_recorded(app, root, scan, tmp_path):
    run_dir = make_run(root)
    outside = outside_tree(tmp_path)
    (run_dir / "1_BAM" / "escape").symlink_to(outside, target_is_directory=True)
    (run_dir / "4_QC" / "etc").symlink_to("/etc", target_is_directory=True)
    done = scan()
    assert done.state == "Finished"
    paths = recorded_paths(app)
    assert not {p for p in paths if p.startswith(("1_BAM/escape", "4_QC/etc"))}, paths
    for each in (done, scan()):  # the rescan re-uses unchanged listings: the warnings stay all the same
        messages = [(w.run_name, w.message) for w in each.warnings]
        assert (RUN, "symlink to a folder outside the scan root: not followed") in messages
        assert sum(m == "symlink to a folder outside the scan root: not followed" for _, m in messages) == 2


def test_a_linked_output_folder_out_of_the_root_is_not_walked(app, root, scan, files, tmp_path):
    bams = {"1_BAM/S1.hg38.bam", "1_BAM/S1.hg38.bam.bai", "1_BAM/S2.hg38.bam", "1_BAM/S2.hg38.bam.bai"}
    run_dir = make_run(root, skip=bams)
    outside = outside_tree(tmp_path)  # holds an S1.hg38.bam: it must not count as the run's
    (run_dir / "1_BAM").symlink_to(outside, target_is_directory=True)
    done = scan()
    assert not any(p.startswith("1_BAM/") and p not in bams for p in recorded_paths(app))
    assert files()["1_BAM/S1.hg38.bam"] == "Non-existent"
    assert any("symlink to a folder outside the scan root" in w.message for w in done.warnings)


def test_a_folder_symlink_inside_the_root_or_an_allowed_root_is_walked(app, root, scan, tmp_path):
    run_dir = make_run(root)
    elsewhere = tmp_path / "second_volume" / "bams"
    elsewhere.mkdir(parents=True)
    (elsewhere / "S9.hg38.bam").write_text("data")
    (root / "shared_qc").mkdir()
    (root / "shared_qc" / "extra.txt").write_text("data")
    (run_dir / "1_BAM" / "more").symlink_to(elsewhere, target_is_directory=True)
    (run_dir / "4_QC" / "shared").symlink_to(root / "shared_qc", target_is_directory=True)
    app.config["SYMLINK_ROOTS"] = [str(tmp_path / "second_volume")]
    done = scan()
    paths = recorded_paths(app)
    assert "1_BAM/more/S9.hg38.bam" in paths and "4_QC/shared/extra.txt" in paths
    assert not any("outside the scan root" in w.message for w in done.warnings)


def test_a_file_symlink_is_judged_by_its_target_wherever_it_points(app, root, scan, files, tmp_path):
    run_dir = make_run(root)
    target = tmp_path / "archive" / "S1_R1.fastq.gz"
    target.parent.mkdir()
    target.write_bytes(b"reads" * 10)
    (run_dir / "0_fastq/S1_R1.fastq.gz").unlink()
    (run_dir / "0_fastq/S1_R1.fastq.gz").symlink_to(target)
    (run_dir / "0_fastq/S2_R1.fastq.gz").unlink()
    (run_dir / "0_fastq/S2_R1.fastq.gz").symlink_to(tmp_path / "archive" / "gone.fastq.gz")
    scan()
    states = files()
    assert states["0_fastq/S1_R1.fastq.gz"] == "Complete" and states["0_fastq/S2_R1.fastq.gz"] == "Error"
    with app.app_context():
        size = db.session.scalar(select(SequencingFile.size).where(SequencingFile.path == "0_fastq/S1_R1.fastq.gz"))
        assert size == 50  # the target's size, not the link's
        assert db.session.scalar(select(func.count()).select_from(SequencingFile)) == len(states)
