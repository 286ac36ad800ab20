"""Hostile sizes: a sheet listing more samples than allowed, and run pages that stay small
whatever the run (issue 10, item 8)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

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


# --- Memory guards that a line ending or one long line must not slip past (issue 15, item 6) ---

PEAK_MB = 150
# Run in a fresh interpreter: the parse's own peak (VmHWM), not the test process's memory.
MEASURE = """
import json, sys
from seqscan.scanner.runfolder import read_sheet
kwargs = json.loads(sys.argv[2])
sheet, error = read_sheet(sys.argv[1], "SampleSheet.csv", **kwargs)
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"samples": len(sheet.samples) if sheet else None, "error": error, "peak_mb": peak_kb / 1024}))
"""


def huge_sheet(run_dir, variant: str, size: int = 63 * 2**20) -> int:
    """A SampleSheet.csv of about `size` bytes: ~2.3 million sample rows ending in LF, CRLF or CR
    alone, or all of them on one line. Returns its size."""
    eol = {"lf": "\n", "crlf": "\r\n", "cr": "\r", "one_line": ","}[variant]
    head = HEADER if variant == "one_line" else HEADER.replace("\n", eol)
    row = "Sample_{0:07d},Sample_{0:07d},ACGTACGTAC" + eol
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "SampleSheet.csv", "w", newline="") as f:
        f.write(head)
        written, i = len(head), 0
        while written < size:
            chunk = "".join(row.format(n) for n in range(i, i + 10_000))
            f.write(chunk)
            written, i = written + len(chunk), i + 10_000
    return written


def measure(run_dir, **kwargs) -> dict:
    """Read run_dir's sheet as a scan does, in a fresh interpreter; what it said and its peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(run_dir), json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("variant", ["lf", "crlf", "cr", "one_line"])
def test_a_63_mb_sheet_is_refused_under_150_mb_whatever_its_line_endings(tmp_path, variant):
    size = huge_sheet(tmp_path / "run", variant)
    result = measure(tmp_path / "run")
    print(f"{variant}: {size / 2**20:.0f} MiB sheet, peak {result['peak_mb']:.0f} MB: {result['error']}")
    assert result["samples"] is None and "SEQSCAN_MAX_SHEET_BYTES" in result["error"]
    assert result["peak_mb"] < PEAK_MB, result


@pytest.mark.parametrize("variant", ["lf", "crlf", "cr", "one_line"])
def test_with_the_byte_limit_lifted_the_parser_still_refuses_a_63_mb_sheet_under_150_mb(tmp_path, variant):
    size = huge_sheet(tmp_path / "run", variant)
    result = measure(tmp_path / "run", max_bytes=128 * 2**20)
    print(f"{variant}: {size / 2**20:.0f} MiB sheet, limit lifted, peak {result['peak_mb']:.0f} MB: {result['error']}")
    assert result["samples"] is None and "cannot be parsed" in result["error"]
    assert result["peak_mb"] < PEAK_MB, result


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_the_line_limit_counts_every_line_ending(eol):
    rows = "".join(f"Sample_{i:07d},Sample_{i:07d},ACGTACGTAC{eol}" for i in range(20_000))
    data = (HEADER.replace("\n", eol) + rows).encode()
    with pytest.raises(SampleSheetError, match=r"^20,005 lines: more than the 10,000 samples a sheet may list"):
        parse_samplesheet(data)


def test_one_overlong_line_is_refused_with_its_number():
    data = (HEADER + "S1,S1,ACGT\n" + "x," * 100_000 + "\n").encode()
    with pytest.raises(SampleSheetError, match=r"^line 7 is longer than 131,072 characters"):
        parse_samplesheet(data)


def test_a_sheet_over_the_byte_limit_makes_its_run_error_with_size_limit_and_setting(app, root, scan, get_run, files):
    app.config["MAX_SHEET_BYTES"] = 100
    make_run(root)
    done = scan()
    assert done.state == "Finished"
    size = (root / "idt_exome" / RUN / "SampleSheet.csv").stat().st_size
    [warning] = [w.message for w in done.warnings if w.run_name == RUN]
    assert warning == (
        f"SampleSheet.csv cannot be read: it is {size:,} bytes, more than the 100 bytes allowed "
        "(SEQSCAN_MAX_SHEET_BYTES)"
    )
    assert get_run().verdict == RunVerdict.ERROR and files()["SampleSheet.csv"] == "Error"


@pytest.mark.parametrize("where", ["", "4_QC/sequencing_stats"])
@pytest.mark.parametrize("filename", ["RunInfo.xml", "RunParameters.xml"])
def test_a_run_xml_over_the_byte_limit_makes_its_run_error_not_a_failed_scan(app, root, scan, get_run, where, filename):
    app.config["MAX_SHEET_BYTES"] = 2**20
    run_dir = make_run(root)
    (run_dir / where / filename).write_bytes(b"<RunInfo>" + b" " * 2**20 + b"</RunInfo>")
    done = scan()
    assert done.state == "Finished"
    rel = f"{where}/{filename}".lstrip("/")
    assert f"{rel} cannot be read: it is 1.0 MiB, more than the 1.0 MiB allowed (SEQSCAN_MAX_SHEET_BYTES)" in [
        w.message for w in done.warnings if w.run_name == RUN
    ]
    assert get_run().verdict == RunVerdict.ERROR
    (run_dir / where / filename).unlink()  # gone again: the run is judged as before
    assert scan().state == "Finished" and get_run().verdict == RunVerdict.COMPLETE
