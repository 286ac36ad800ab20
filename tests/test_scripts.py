"""Scripts and Jobs runs argument lists without a shell: no sample name is ever read as code."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from tests.conftest import make_run

PROJECT = Path(__file__).resolve().parents[1]

NASTY = ("a$(touch PWNED)b", "c`touch PWNED`d", "e;touch PWNED;f", "g'$(touch PWNED)'h", "i|touch PWNED")


def test_a_placeholder_stays_inside_its_own_argument():
    from seqscan.scanner.scripts import render_command

    args = render_command('echo "re-run {path}" {sample}', {"path": "/x/a$(touch PWNED)b.bam", "sample": "s p;ace"})
    assert args == ["echo", "re-run /x/a$(touch PWNED)b.bam", "s p;ace"]


def test_the_nastiest_sample_names_run_nothing_but_the_command(app, root, scan, tmp_path):
    run_dir = make_run(root, samples=NASTY, skip={f"0_fastq/{s}_R2.fastq.gz" for s in NASTY})
    app.config["SCRIPTS_AND_JOBS"] = True
    app.config["SCRIPT_TEMPLATES"] = {
        "fastq_r2": "touch {path}",  # creates exactly the missing file, whatever its name
        "fastq_r1": 'echo "re-run {path}"',  # the case: a placeholder inside double quotes
        "bai": 'sh -c \'test "$SEQSCAN_SAMPLE" = "$1"\' - {sample}',  # the environment carries the values too
    }
    for s in NASTY:  # the R1 and BAI are missing too, so their commands run
        (run_dir / f"0_fastq/{s}_R1.fastq.gz").unlink()
        (run_dir / f"1_BAM/{s}.hg38.bam.bai").unlink()
    done = scan()
    assert done.state == "Finished" and done.scripts_and_jobs_start is not None
    assert not list(tmp_path.rglob("PWNED")) and not (Path.cwd() / "PWNED").exists()
    for s in NASTY:
        assert (run_dir / f"0_fastq/{s}_R2.fastq.gz").exists()
    assert not [w.message for w in done.warnings if "failed" in w.message]


HOSTILE_SHEET = (
    "[Header]\nFileFormatVersion,2\nRunName,HOSTILE\n[BCLConvert_Data]\n"
    "Sample_ID,Sample_Name,Sample_Project,Lane,index,index2\n"
    "okid,ok,p,1/../../../../../outside/PWNED,A,C\n"  # issue 15, item 4: the row as reported
    "good1,good1,p,1,ACGTACGT,TTGGTTGG\n"
    "good2,good2,p,2,CCGTACGT,TAGGTTGG\n"
)
BCL_RUN = "240108_VH00123_0001_AAAHTESTM5"


def test_a_lane_that_climbs_out_of_the_run_folder_writes_nothing_outside_the_root(
    app, root, scan, files, get_run, tmp_path
):
    run_dir = root / "nextseq" / BCL_RUN
    (run_dir / "Fastq" / "ok_S1_L001").mkdir(parents=True)  # what the row's path climbs out of
    (run_dir / "RTAComplete.txt").write_text("done")
    (run_dir / "SampleSheet.csv").write_text(HOSTILE_SHEET)
    for name in ("good1_S1_L001_R1_001.fastq.gz", "good1_S1_L001_R2_001.fastq.gz", "good2_S2_L002_R1_001.fastq.gz"):
        (run_dir / "Fastq" / name).write_text("@r\nACGT\n+\nIIII\n")
    outside = tmp_path / "outside"  # where the row's path leads: next to the scan root
    outside.mkdir()
    app.config.update(
        LAYOUT="bclconvert",
        SCRIPTS_AND_JOBS=True,
        SCRIPT_TEMPLATES={"fastq_r1": "touch -- {path}", "fastq_r2": "sh -c ': > \"$1\"' - {path}"},
    )
    done = scan()
    assert done.state == "Finished"
    assert not list(outside.iterdir()) and not list(tmp_path.rglob("PWNED*"))
    # Besides: "no RunInfo.xml and no [Reads] in the sample sheet: R1 and R2 FASTQs expected".
    [warning] = [w.message for w in done.warnings if w.run_name == BCL_RUN and "data row" in w.message]
    assert warning.startswith("SampleSheet.csv: data row 2 (sample 'okid'): Lane '1/../../../../../outside/PWNED'")
    assert warning.endswith("; row ignored")
    # The other rows still count: their files are expected, and the one missing was made by its command.
    [sheet] = get_run(BCL_RUN).sheets
    assert [(s.sample_id, s.number) for s in sheet.samples] == [("good1", 1), ("good2", 2)]
    assert files(BCL_RUN)["Fastq/good2_S2_L002_R2_001.fastq.gz"] == "Non-existent"
    assert (run_dir / "Fastq" / "good2_S2_L002_R2_001.fastq.gz").exists()
    assert not [p for p in files(BCL_RUN) if ".." in p]


def test_no_command_is_run_for_a_path_that_a_symlink_leads_outside_the_roots(app, root, scan, files, tmp_path):
    bams = {"1_BAM/S1.hg38.bam", "1_BAM/S2.hg38.bam", "1_BAM/S1.hg38.bam.bai", "1_BAM/S2.hg38.bam.bai"}
    run_dir = make_run(root, skip=bams)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run_dir / "1_BAM").symlink_to(elsewhere, target_is_directory=True)  # not followed by the walk
    app.config.update(SCRIPTS_AND_JOBS=True, SCRIPT_TEMPLATES={"bam": "touch -- {path}"})
    done = scan()
    assert files()["1_BAM/S1.hg38.bam"] == "Non-existent"
    assert not list(elsewhere.iterdir())
    refused = [w.message for w in done.warnings if "not run" in w.message]
    assert len(refused) == 2 and all("outside the scan root and SEQSCAN_SYMLINK_ROOTS" in m for m in refused)
    app.config["SYMLINK_ROOTS"] = [str(elsewhere)]  # the lab says that volume is theirs: the command runs
    scan()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["S1.hg38.bam", "S2.hg38.bam"]


def test_a_path_is_inside_the_roots_only_when_normalised_and_resolved_it_stays_below_one(tmp_path):
    from seqscan.scanner.confine import inside

    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "run" / "out").symlink_to(tmp_path, target_is_directory=True)
    assert inside(f"{root}/run/x.bam", [str(root)])
    assert inside(f"{root}/run/new/x.bam", [str(root)])  # below a folder not made yet
    assert not inside(f"{root}/run/../../x.bam", [str(root)])
    assert not inside(f"{root}-twin/x.bam", [str(root)])  # a prefix of the name is not a parent folder
    assert not inside(f"{root}/run/out/x.bam", [str(root)])  # a symlink out
    assert inside(f"{root}/run/out/x.bam", [str(root), str(tmp_path)])
    assert not inside(str(root), [str(root)])  # the root itself is no file below it


def test_a_command_that_runs_seqscan_itself_is_not_refused_for_the_values_it_is_given(app, root, scan, tmp_path):
    """The SEQSCAN_PATH, SEQSCAN_RUN ... of a command's environment are not settings: a command that
    starts seqscan (here its settings loader, as `flask scans enqueue` would) starts."""
    run_dir = make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    loads = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); from seqscan.settings_load import from_environment; "
        "from_environment(os.environ); open(sys.argv[2], 'w').write(os.environ['SEQSCAN_PATH'])"
    )
    app.config["SCRIPTS_AND_JOBS"] = True
    app.config["SCRIPT_TEMPLATES"] = {"fastq_r2": f"{sys.executable} -c {shlex.quote(loads)} {PROJECT} {{path}}"}
    done = scan()
    assert not [w.message for w in done.warnings if "failed" in w.message]
    assert (run_dir / "0_fastq/S1_R2.fastq.gz").read_text() == str(run_dir / "0_fastq/S1_R2.fastq.gz")
