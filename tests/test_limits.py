"""Hostile sizes: a sheet listing more samples than allowed, and run pages that stay small
whatever the run (issue 10, item 8)."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from seqscan.enums import RunVerdict
from seqscan.scanner.samplesheet import SampleSheetError, parse_samplesheet
from tests.conftest import RUN, iem_sheet, make_run

HEADER = "[Header]\nIEMFileVersion,4\n\n[Data]\nSample_ID,Sample_Name,index\n"


def test_a_sheet_over_the_sample_limit_is_refused_with_its_count():
    sheet = iem_sheet([f"S{i}" for i in range(11)]).encode()
    assert len(parse_samplesheet(sheet, max_samples=11).samples) == 11
    with pytest.raises(SampleSheetError, match=r"^11 sample rows: more than the 10 samples a sheet may list"):
        parse_samplesheet(sheet, max_samples=10)


def test_a_huge_sheet_is_refused_before_its_rows_are_built():
    rows = "".join(f"Sample_{i:07d},Sample_{i:07d},ACGTACGTAC\n" for i in range(300_000))
    data = (HEADER + rows).encode()  # ~10 MB, 300,000 samples
    tracemalloc.start()
    try:
        with pytest.raises(SampleSheetError, match=r"^300,005 lines: more than the 10,000 samples"):
            parse_samplesheet(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The text of the sheet, and not its 300,000 rows of cells (over ten times that).
    assert peak < 3 * len(data), f"peak {peak / 2**20:.0f} MiB for a {len(data) / 2**20:.0f} MiB sheet"


def test_a_run_whose_sheet_lists_too_many_samples_is_error_with_the_count(app, root, scan, get_run):
    app.config["MAX_SAMPLES_PER_SHEET"] = 5
    make_run(root, samples=[f"S{i}" for i in range(6)])
    result = scan()
    assert result.state == "Finished"
    [warning] = [w.message for w in result.warnings if w.run_name == RUN]
    assert "6 sample rows: more than the 5 samples a sheet may list (SEQSCAN_MAX_SAMPLES_PER_SHEET)" in warning
    assert get_run().verdict == RunVerdict.ERROR


def test_the_run_page_shows_samples_a_page_at_a_time(root, scan, viewer):
    make_run(root, samples=[f"S{i:03d}" for i in range(450)])
    scan()
    first = viewer.get(f"/runs/{RUN}")
    assert first.status_code == 200
    assert len(re.findall(r"<tr><td>\d+</td>", grid(first.text))) == 200
    assert "page 1 of 3 (450)" in first.text and "next samples →" in first.text
    last = viewer.get(f"/runs/{RUN}?page=3")
    numbers = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", grid(last.text))]
    assert numbers == list(range(401, 451))  # the S<n> numbers of the last 50 samples
    # The columns are the same on every page.
    header = re.compile(r"<thead>.*?</thead>", re.S)
    assert header.search(first.text).group(0) == header.search(last.text).group(0)


def grid(html: str) -> str:
    return re.search(r'<table class="grid">.*?</table>', html, re.S).group(0)


def test_the_run_page_lists_at_most_500_unexpected_files_and_says_how_many(root, scan, viewer):
    run_dir = make_run(root)
    for i in range(620):
        (run_dir / "0_fastq" / f"stray_{i:04d}.txt").write_text("x")
    scan()
    page = viewer.get(f"/runs/{RUN}")
    assert "Unexpected files (620)" in page.text
    assert page.text.count("stray_") == 500
    assert f"flask files export --run {RUN} --state Unexpected" in page.text
