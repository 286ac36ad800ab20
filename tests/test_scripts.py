"""Scripts and Jobs runs argument lists without a shell: no sample name is ever read as code."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_run

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
