"""SCAN_THREADS: folders listed and files stat'ed by a pool of threads give the records a serial scan
gives, in the same order; the simulated network disk (bench, tests) delays every listing and stat."""

from __future__ import annotations

import dataclasses
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from seqscan import create_app
from seqscan.extensions import db
from seqscan.models import ScanRun, ScanWarning, SequencingFile, SequencingRun
from seqscan.scanner import disk as disk_module
from seqscan.scanner.ahead import read_now
from seqscan.scanner.disk import Disk
from seqscan.scanner.pipeline import DISK
from seqscan.scanner.sync import run_reads
from seqscan.scanner.walk import WalkOptions, walk
from tests.conftest import OTHER, RUN, TAU, TEST_REDIS_URL, make_run

HAEM = [f"Haem_24_01{i}_24020{i}_NB501009_001{i}_AHHAEM{i}BGXY" for i in range(4)]


class RefusingDisk(Disk):
    """A disk on which one folder cannot be listed, as a folder without read permission (the suite
    runs as root, which reads every folder)."""

    def __init__(self, refused: str, delay_s: float = 0.0) -> None:
        super().__init__(delay_s, slow_call_s=0.0)  # taken for slow: the pool reads from the start
        self.refused = refused

    def scandir(self, path: str) -> list[os.DirEntry]:
        if path.endswith(self.refused):
            raise PermissionError(13, "Permission denied", path)
        return super().scandir(path)


def build_tree(root: Path, tmp_path: Path, links: bool = True) -> None:
    """Several runs in three kits, a missing file, an unexpected one, a run and a kit skipped by a
    marker; with links: a kit linked inside the root (a second link to a folder), a loop, a link out."""
    make_run(root, skip={"0_fastq/S2_R2.fastq.gz"})
    make_run(root, name=OTHER).joinpath(".variantgrid_skip_flowcell").write_text("")
    for i, name in enumerate(HAEM):
        run_dir = make_run(root, name=name, kit="idt_haem", samples=[f"H{i}", f"H{i}b", "H9"])
        (run_dir / "1_BAM" / f"extra{i}.hg38.bam").write_text("not in the sheet")
    make_run(root, name="Skip_24_001_240301_NB501009_0031_AHSKIPXBGXY", kit="idt_old")
    (root / "idt_old" / ".variantgrid_skip_flowcell").write_text("")
    if links:
        (root / "idt_alias").symlink_to(
            "idt_haem", target_is_directory=True
        )  # walked first: idt_haem is the second link
        (root / "idt_exome" / RUN / "4_QC" / "loop").symlink_to("..", target_is_directory=True)
        (tmp_path / "outside").mkdir()
        (tmp_path / "outside" / "S1.hg38.bam").write_text("not the lab's")
        (root / "idt_haem" / HAEM[1] / "1_BAM" / "out").symlink_to(tmp_path / "outside", target_is_directory=True)


def options(threads: int) -> WalkOptions:
    return WalkOptions(profile=TAU, threads=threads, mtime_margin_ns=0)


def findings(result) -> dict:
    """A walk's outcome, all of it but when it started."""
    return {k: v for k, v in dataclasses.asdict(result).items() if k != "started_ns"}


def test_a_walk_with_eight_threads_finds_what_a_serial_walk_finds_in_the_same_order(root, tmp_path):
    build_tree(root, tmp_path)
    serial = walk(str(root), options(1), disk=RefusingDisk(f"{HAEM[2]}/1_BAM"))
    pooled = walk(str(root), options(8), disk=RefusingDisk(f"{HAEM[2]}/1_BAM"))
    assert findings(pooled) == findings(serial)
    messages = {w.message for w in serial.warnings}
    assert {
        "cannot read folder: Permission denied",
        "symlink to a folder outside the scan root: not followed",
        "symlink loop or second link to a folder already walked; not followed",
    } <= messages, messages
    assert "idt_old" in serial.skipped_folders and any(r.skipped for r in serial.runs)
    assert [r.path for r in serial.runs][:2] == [f"idt_alias/{HAEM[0]}", f"idt_alias/{HAEM[1]}"]
    # Rescans re-use the unchanged listings: the same again.
    from seqscan.scanner.found import Snapshot

    again = [walk(str(root), options(n), snapshot=Snapshot(serial), disk=RefusingDisk("/none")) for n in (1, 8)]
    assert findings(again[1]) == findings(again[0]) and again[0].dirs_reused > 0


def test_a_walk_stopped_by_its_progress_check_stops_with_the_pool(root, tmp_path):
    build_tree(root, tmp_path)

    class Stop(Exception):
        pass

    def progress(result):
        if result.runs:
            raise Stop

    with pytest.raises(Stop):
        walk(str(root), options(8), progress)


def _app(tmp_path: Path, name: str, threads: int, disk: Disk):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.sqlite'}",  # one each: compared side by side
            "DATA_DIR": str(tmp_path / f"data-{name}"),
            "SCAN_ROOT": str(tmp_path / "root"),
            "MTIME_MARGIN_SECONDS": 0,
            "REDIS_URL": TEST_REDIS_URL,
            "SCAN_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
            "SCAN_THREADS": threads,
        },
        instance_path=str(tmp_path / f"instance-{name}"),
    )
    app.extensions[DISK] = disk
    with app.app_context():
        db.create_all()
    return app


def records(app) -> dict:
    """What the scans recorded that a user sees: runs, files and their data_state, warnings, counts."""
    with app.app_context():
        runs = db.session.execute(
            select(
                SequencingRun.path, SequencingRun.name, SequencingRun.data_state, SequencingRun.skipped,
                SequencingRun.skip_reason, SequencingRun.sequencing, SequencingRun.no_sheet,
                SequencingRun.warnings, SequencingRun.fingerprint, SequencingRun.expected_count,
                SequencingRun.complete_count, SequencingRun.missing_count, SequencingRun.unexpected_count,
                SequencingRun.error_count,
            ).order_by(SequencingRun.path)
        ).all()  # fmt: skip
        files = db.session.execute(
            select(
                SequencingRun.path, SequencingFile.path, SequencingFile.file_type, SequencingFile.data_state,
                SequencingFile.expected, SequencingFile.size, SequencingFile.mtime, SequencingFile.message,
            )
            .join(SequencingRun)
            .order_by(SequencingRun.path, SequencingFile.path)
        ).all()  # fmt: skip
        scans = db.session.execute(
            select(
                ScanRun.state, ScanRun.runs_count, ScanRun.runs_reparsed, ScanRun.files_found,
                ScanRun.root_files_missing, ScanRun.files_new, ScanRun.files_deleted, ScanRun.warnings_count,
            ).order_by(ScanRun.id)
        ).all()  # fmt: skip
        warnings = db.session.execute(
            select(ScanWarning.scan_id, ScanWarning.run_name, ScanWarning.path, ScanWarning.message).order_by(
                ScanWarning.id
            )
        ).all()
    return {"runs": runs, "files": files, "scans": scans, "warnings": warnings}


def test_scans_with_eight_threads_record_what_serial_scans_record(root, tmp_path):
    build_tree(root, tmp_path)
    refused = f"{HAEM[2]}/1_BAM"
    serial = _app(tmp_path, "serial", 1, RefusingDisk(refused))
    pooled = _app(tmp_path, "pooled", 8, RefusingDisk(refused))

    def scan_both() -> dict:
        for app in (serial, pooled):
            done = app.test_cli_runner().invoke(args=["scan"])
            assert done.exit_code == 0, done.output
        first, second = records(serial), records(pooled)
        assert second == first
        return first

    seen = scan_both()
    states = {state for *_, state, _expected, _size, _mtime, _message in seen["files"]}
    assert {"Complete", "Non-existent", "Error", "Unexpected"} <= {str(s) for s in states}, states
    assert any(skipped for _, _, _, skipped, *_ in seen["runs"])
    assert {"cannot read folder: Permission denied", "symlink to a folder outside the scan root: not followed"} <= {
        message for *_, message in seen["warnings"]
    }
    # A pipeline re-ran in one run, a file went in another: rescans (listings re-used) agree too.
    (root / "idt_haem" / HAEM[0] / "1_BAM" / "H0.hg38.bam").unlink()
    (root / "idt_haem" / HAEM[3] / "4_QC" / "exec_stats" / "new.txt").write_text("new")
    again = scan_both()
    assert "Deleted" in {str(f[3]) for f in again["files"]}
    for app in (serial, pooled):
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("threads", [1, 8])
def test_a_slow_disk_sleeps_before_every_listing_and_every_stat(root, tmp_path, monkeypatch, threads):
    build_tree(root, tmp_path, links=False)  # (resolving a link is not slowed down)
    made: list[str] = []  # every listing and stat the scanner made, from any thread
    for name in ("scandir", "listdir", "stat"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, _real=real, _name=name, **k: made.append(_name) or _real(*a, **k))
    slept: list[float] = []
    monkeypatch.setattr(disk_module.time, "sleep", slept.append)
    slow = Disk(delay_s=0.001)
    found = walk(str(root), options(threads), disk=slow)
    for run in found.runs:  # and Create Models' reads: sheets' folders, the stats of the files listed
        read_now(run_reads(run, str(root), TAU, disk=slow))
    assert len(slept) == len(made) == sum(slow.calls.values())
    assert set(slept) == {0.001}
    assert slow.calls["list"] >= found.dirs_walked and slow.calls["stat"] >= sum(len(r.files) for r in found.runs)


def _pool_threads(disk: Disk) -> set[str]:
    return {name for name in disk.callers if name.startswith(("seqscan-walk", "seqscan-read"))}


def test_the_pool_reads_only_while_the_disk_answers_slowly(root, tmp_path):
    """On a local disk (calls of microseconds) the scan's own thread makes every call, even with
    SCAN_THREADS 8: threads would only contend there. On a slow one (0.5 ms a call) the pool's threads
    make them, in Scanning Files and in Create Models, and the records are the same."""
    build_tree(root, tmp_path, links=False)
    fast, slow = Disk(), Disk(delay_s=0.0005)
    apps = {"fast": _app(tmp_path, "fast", 8, fast), "slow": _app(tmp_path, "slow", 8, slow)}
    for app in apps.values():
        done = app.test_cli_runner().invoke(args=["scan"])
        assert done.exit_code == 0, done.output
    assert fast.callers == {threading.current_thread().name} and not fast.slow()
    assert slow.slow()
    assert {name.rsplit("_", 1)[0] for name in _pool_threads(slow)} == {"seqscan-walk", "seqscan-read"}
    assert len(_pool_threads(slow)) > 2
    assert records(apps["fast"]) == records(apps["slow"])
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
