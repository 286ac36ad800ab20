"""Exports a spreadsheet opens safely: no cell starts a formula, JSON stays exact (issue 15, item 5)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from seqscan.serialise import EXPORT
from seqscan.spreadsheet import safe_cell
from tests.conftest import make_run

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Formula payloads as a folder or sample name can carry them (no "/": that is a path separator).
KITS = ('=HYPERLINK("http:x","y")', "-2+3", "@SUM(1,1)")
RUNS = ("=cmd|' C calc'!A0", "+1+1", "-2+3")
# A sample name may not start with "-" (the sheet refuses it: it fills paths), so "-2+3" is a folder name only.
SAMPLES = ('=HYPERLINK("x","y")', "=cmd|' C calc'!A0", "+1+1", "@SUM(1,1)", "plain")


def payload_sheet(samples: tuple[str, ...]) -> str:
    """An IEM sheet whose cells are quoted as CSV wants, so that commas and quotes survive."""
    out = io.StringIO()
    out.write("[Header]\r\nIEMFileVersion,4\r\n\r\n[Reads]\r\n151\r\n\r\n[Data]\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Sample_ID", "Sample_Name", "index", "index2", "Sample_Project"])
    for i, s in enumerate(samples):
        writer.writerow([s, s, f"ACGTACG{'ACGT'[i % 4]}", "TGCATGCA", "Proj"])
    return out.getvalue()


@pytest.fixture
def formula_runs(root, scan):
    """Three runs whose kit, run and sample names are formula payloads, each missing every sample's R2."""
    for kit, run in zip(KITS, RUNS, strict=True):
        make_run(
            root, name=run, kit=kit, samples=SAMPLES, sheet=payload_sheet(SAMPLES),
            skip={f"0_fastq/{s}_R2.fastq.gz" for s in SAMPLES},
        )  # fmt: skip
    finished = scan()
    assert finished.runs_count == 3, finished.warnings


def parse(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def assert_neutralised(rows: list[list[str]], originals: list[list]) -> None:
    """Every cell is the original, or "'" + the original when that starts a formula; none starts one."""
    assert len(rows) == len(originals)
    for row, original in zip(rows, originals, strict=True):
        assert not [cell for cell in row if cell.startswith(TRIGGERS)], row
        for cell, value in zip(row, original, strict=True):
            text = "" if value is None else str(value)
            assert cell == ("'" + text if isinstance(value, str) and text.startswith(TRIGGERS) else text)


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_missing_downloads_neutralise_formula_cells_and_the_json_keeps_the_originals(
    formula_runs, viewer, fmt, delimiter
):
    rows = parse(viewer.get(f"/missing.{fmt}").text, delimiter)
    header, body = rows[0], rows[1:]
    exact = viewer.get("/api/missing?per_page=1000").json["files"]
    assert len(exact) == len(RUNS) * len(SAMPLES)
    assert {f["run"] for f in exact} == set(RUNS) and {f["kit"] for f in exact} == set(KITS)
    assert {f["sample"] for f in exact} == set(SAMPLES)
    assert header == list(EXPORT)  # flask files export's columns
    api = [{column: f[key] for column, key in EXPORT.items()} for f in exact]  # the export's path: root_path
    assert_neutralised(body, [[f[c] for c in header] for f in api])
    assert {r[header.index("sample")] for r in body} == {"'" + s if s != "plain" else s for s in SAMPLES}
    assert all(r[header.index("since_scan")].isdigit() for r in body)  # a number stays a number


def test_files_export_neutralises_formula_cells_and_its_json_keeps_the_originals(formula_runs, runner):
    result = runner.invoke(args=["files", "export"])
    assert result.exit_code == 0, result.output
    rows = parse(result.output, "\t")
    header, body = rows[0], rows[1:]
    exact = json.loads(runner.invoke(args=["files", "export", "--format", "json"]).output)
    assert {f["run"] for f in exact} == set(RUNS) and {f["sample"] for f in exact} - {""} == set(SAMPLES)
    assert any(f["path"].startswith("=HYPERLINK(") for f in exact)
    assert_neutralised(body, [[f[c] for c in header] for f in exact])
    sizes = [r[header.index("size")] for r in body if r[header.index("data_state")] == "Complete"]
    assert sizes and all(s.isdigit() for s in sizes)  # sizes are numbers, never "'"-prefixed


def test_the_missing_download_and_flask_files_export_have_the_same_columns_and_cells(formula_runs, runner, viewer):
    exported = parse(runner.invoke(args=["files", "export", "--missing"]).output, "\t")
    downloaded = parse(viewer.get("/missing.tsv").text, "\t")
    assert exported[0] == downloaded[0] == list(EXPORT)
    assert sorted(exported[1:]) == sorted(downloaded[1:])
    path = exported[0].index("path")
    assert all(row[path].count("/") >= 2 for row in exported[1:])  # relative to the root: kit/run/…


def test_files_export_of_one_formula_named_run_finds_it(formula_runs, runner):
    result = runner.invoke(args=["files", "export", "--run", "+1+1", "--missing"])
    assert result.exit_code == 0, result.output
    rows = parse(result.output, "\t")[1:]
    assert len(rows) == len(SAMPLES) and {r[0] for r in rows} == {"'+1+1"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(1,1)", "'@SUM(1,1)"), ("\tx", "'\tx"),
        ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-3, -3), (12, 12), (None, None),
    ],
)  # fmt: skip
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote_and_nothing_else_changes(value, cell):
    assert safe_cell(value) == cell


def test_users_list_neutralises_a_formula_username(runner):
    assert runner.invoke(args=["users", "create", "=1+1", "--role", "viewer", "--password", "pw"]).exit_code == 0
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert parse(result.output, "\t") == [["'=1+1", "viewer", ""]]
