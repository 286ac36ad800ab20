"""A run judged under an error is parsed again on the next scan, whatever its fingerprint."""

from __future__ import annotations

import os

from tests.conftest import RUN, make_run


def test_files_that_vanished_mid_scan_and_came_back_are_complete_on_the_next_scan(root, scan, files, monkeypatch):
    make_run(root)
    scan()
    from seqscan.scanner import sync

    real = sync.stat_files

    gone = "0_fastq/S1_R1.fastq.gz"

    def one_file_moved_away_meanwhile(run_dir, paths, *disk):  # listed by the walk, gone when stat'ed
        stats, vanished = real(run_dir, paths, *disk)  # (of one chunk of the run's files)
        if gone not in stats:
            return stats, vanished
        return {p: st for p, st in stats.items() if p != gone}, [*vanished, gone]

    monkeypatch.setattr(sync, "stat_files", one_file_moved_away_meanwhile)
    scan("--full")
    assert list(files().values()).count("Deleted") == 1  # (most of a run's files gone would be refused)
    monkeypatch.setattr(sync, "stat_files", real)  # the folder is back; no mtime in it moved
    again = scan()
    assert again.runs_reparsed == 1
    assert set(files().values()) == {"Complete"}


def test_a_sheet_unreadable_then_readable_with_the_same_size_and_mtime_is_parsed_again(root, scan, get_run):
    run_dir = make_run(root)
    sheet = run_dir / "SampleSheet.csv"
    good = sheet.read_bytes()
    stamp = sheet.stat().st_mtime_ns
    sheet.write_bytes(b"\x00" * len(good))  # a half-copied sheet
    os.utime(sheet, ns=(stamp, stamp))
    scan()
    assert get_run().verdict == "error"
    sheet.write_bytes(good)  # the copy finished: same size, same mtime
    os.utime(sheet, ns=(stamp, stamp))
    scan()
    assert get_run().verdict == "complete" and RUN == get_run().name
