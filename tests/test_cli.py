import csv
import io
import json
import re

import pytest

from seqscan import create_app
from tests.conftest import RUN, make_run


def test_scan_prints_the_id_summary_and_phase_durations(root, runner):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    result = runner.invoke(args=["scan"])
    assert result.exit_code == 0
    assert "scan 1 started" in result.output
    assert "scan 1: Finished" in result.output
    assert "runs 1 (1 re-parsed)  files found 19  missing in the root 1  new 19  deleted 0  warnings 0" in result.output
    assert "Scanning Files" in result.output and "Create Models" in result.output and "total" in result.output


def test_scan_without_a_root_is_a_usage_error(app, runner):
    app.config["SCAN_ROOT"] = None
    result = runner.invoke(args=["scan"])
    assert result.exit_code == 2 and "no scan root" in result.output


def test_scan_of_a_missing_root_exits_non_zero(runner, tmp_path):
    result = runner.invoke(args=["scan", "--root", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_scans_list_and_show_print_tables(root, runner, scan):
    make_run(root, sheet="garbage\n")
    scan()
    listing = runner.invoke(args=["scans", "list"]).output
    assert listing.splitlines()[0].split() == [
        "id",
        "state",
        "trigger",
        "created",
        "total",
        "runs",
        "found",
        "root-missing",
        "new",
        "deleted",
        "warnings",
    ]
    assert "Finished" in listing.splitlines()[2] and "command line" in listing
    shown = runner.invoke(args=["scans", "show", "1"]).output
    assert "warnings:" in shown and "cannot be parsed" in shown
    assert runner.invoke(args=["scans", "show", "99"]).exit_code == 2  # no such thing: 2, as runs show


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["scans", "show", "99"], "no scan 99"),
        (["runs", "show", "No_Such_Run"], "No_Such_Run"),
        (["users", "set-role", "nobody", "viewer"], "no user 'nobody'"),
        (["scans", "enqueue", "--root", "nowhere"], "no root is named nowhere"),
        (["scan", "--root", "nowhere"], "nowhere"),
    ],
)
def test_no_such_thing_exits_2_saying_so_in_one_line(runner, args, said):
    done = runner.invoke(args=args)
    assert done.exit_code == 2, done.output
    assert said in done.output and "Traceback" not in done.output


def test_runs_list_shows_completeness(root, runner, scan):
    make_run(root, skip={"1_BAM/S1.hg38.bam"})
    scan()
    out = runner.invoke(args=["runs", "list"]).output
    assert RUN in out and "19/20" in out and "NextSeq 500/550" in out


def test_files_export_tsv_has_header_and_paths_relative_to_the_root(root, runner, scan):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    scan()
    out = runner.invoke(args=["files", "export", "--state", "Non-existent"]).output
    rows = list(csv.DictReader(io.StringIO(out), delimiter="\t"))
    assert rows == [
        {
            **rows[0],
            "run": RUN,
            "sample": "S1",
            "file_type": "fastq_r2",
            "data_state": "Non-existent",
            "path": f"idt_exome/{RUN}/0_fastq/S1_R2.fastq.gz",
        }
    ]


def test_files_export_json_filters_by_run(root, runner, scan):
    make_run(root)
    make_run(root, name="Exome_24_002_240110_NB501009_0002_AHOTHERBGXY")
    scan()
    rows = json.loads(runner.invoke(args=["files", "export", "--run", RUN, "--format", "json"]).output)
    assert len(rows) == 20 and {r["run"] for r in rows} == {RUN}
    assert all(r["first_seen_scan"] == 1 and r["last_seen_scan"] == 1 for r in rows)
    scan()
    rows = json.loads(runner.invoke(args=["files", "export", "--run", RUN, "--format", "json"]).output)
    assert all(r["first_seen_scan"] == 1 and r["last_seen_scan"] == 2 for r in rows)


def test_the_cli_and_the_api_give_the_same_json_for_a_scan_a_run_and_a_file(root, runner, scan, viewer):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    done = scan()
    shown = json.loads(runner.invoke(args=["scans", "show", str(done.id), "--format", "json"]).output)
    api = viewer.get(f"/api/scans/{done.id}").json
    assert shown == {k: v for k, v in api.items() if k != "url"} and api["url"] == f"/scans/{done.id}"
    assert (shown["state"], shown["end_reason"], shown["counts"]["root_files_missing"]) == ("Finished", "finished", 1)
    assert (
        json.loads(runner.invoke(args=["runs", "list", "--format", "json"]).output)
        == viewer.get("/api/runs").json["runs"]
    )
    exported = json.loads(runner.invoke(args=["files", "export", "--missing", "--format", "json"]).output)
    (missing,) = viewer.get("/api/missing").json["files"]
    assert (missing["path"], missing["root_path"]) == (
        "0_fastq/S1_R2.fastq.gz",
        f"idt_exome/{RUN}/0_fastq/S1_R2.fastq.gz",
    )
    assert [(f["run"], f["path"], f["data_state"]) for f in exported] == [(RUN, missing["root_path"], "Non-existent")]


def test_demo_tree_scans_with_missing_files_one_skipped_run_and_bcl_never_walked(runner, tmp_path, scan):
    demo = tmp_path / "demo"
    assert runner.invoke(args=["demo-tree", str(demo), "--runs", "6", "--samples", "4"]).exit_code == 0
    result = scan("--root", str(demo), "--layout", "tau")
    assert result.state == "Finished" and result.runs_count == 7 and result.warnings_count == 0
    assert result.root_files_missing > 0
    out = runner.invoke(args=["runs", "list"]).output
    assert out.count("Skipped") == 1
    assert re.search(r"Exome_24_007_240126_\S*.*Sequencing since 2024-01-26", out), out  # RunInfo.xml, no marker yet
    assert result.files_seen < 7 * (4 * 9 + 12)  # the 4 x 20 BCL files per run were never listed


def test_settings_come_from_seqscan_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQSCAN_SCAN_ROOT", "/tau/data/clinical_hg38")
    monkeypatch.setenv("SEQSCAN_ENABLED", "false")
    monkeypatch.setenv("SEQSCAN_SKIP_MARKERS", ".skip_a, .skip_b")
    monkeypatch.setenv("SEQSCAN_DATABASE_URL", "postgresql://u@localhost/x")
    monkeypatch.setenv("SEQSCAN_LAYOUT", "bclconvert")
    app = create_app({})
    assert app.config["SCAN_ROOT"] == "/tau/data/clinical_hg38"
    assert app.config["ENABLED"] is False
    assert app.config["SKIP_MARKERS"] == [".skip_a", ".skip_b"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/x"
    assert app.config["LAYOUT"] == "bclconvert"


def test_a_sqlite_file_in_a_folder_not_made_yet_just_works(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'folder' / 'seqscan.sqlite'}"})
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["scans", "list"]).exit_code == 0
    assert (tmp_path / "new" / "folder" / "seqscan.sqlite").exists()


def test_runs_show_and_files_export_filters(app, root, runner, scan):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    (root / "idt_exome" / RUN / "1_BAM" / "S2.hg38.bam").write_bytes(b"")  # empty: Error
    scan()
    shown = runner.invoke(args=["runs", "show", RUN])
    assert shown.exit_code == 0, shown.output
    assert f"{RUN}: Error: 1 file in error" in shown.output and "0_fastq/S1_R2.fastq.gz" in shown.output
    unknown = runner.invoke(args=["runs", "show", "no-such-run"])
    assert unknown.exit_code == 2 and "no run named 'no-such-run'" in unknown.output
    assert runner.invoke(args=["files", "export", "--run", "no-such-run"]).exit_code == 2
    two = runner.invoke(args=["files", "export", "--state", "Non-existent", "--state", "Error"]).output.splitlines()
    assert len(two) == 3 and {line.split("\t")[4] for line in two[1:]} == {"Non-existent", "Error"}
    assert runner.invoke(args=["files", "export", "--missing"]).output.splitlines()[1:] == two[1:]


def test_scan_times_are_in_the_lab_time_zone(app, root, runner, scan):
    app.config["TIMEZONE"] = "Australia/Adelaide"
    make_run(root)
    scan()
    listed = runner.invoke(args=["scans", "list"]).output
    assert "ACDT" in listed or "ACST" in listed
    assert "UTC" not in runner.invoke(args=["scans", "show", "1"]).output
