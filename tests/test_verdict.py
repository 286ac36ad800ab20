"""A run's verdict, by precedence, the same on every page, in the CLI and in the API."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from seqscan.enums import DataState, RunVerdict
from seqscan.extensions import db
from seqscan.models import OperatorAction, SequencingRun
from tests.conftest import RUN, make_run

D, S, E, INC, C = (RunVerdict.DELETED, RunVerdict.SKIPPED, RunVerdict.ERROR, RunVerdict.INCOMPLETE, RunVerdict.COMPLETE)
SEQ, FAILED, NO_SHEET = RunVerdict.SEQUENCING, RunVerdict.RUN_FAILED, RunVerdict.NO_SHEET
FLAGS = ("skipped", "sequencing", "run_failed", "no_sheet", "moved_away")
MOVED, ACK = RunVerdict.MOVED, RunVerdict.ACKNOWLEDGED
CALM = (C, SEQ, MOVED, S, ACK)  # need nobody


@pytest.mark.parametrize(
    ("data_state", "flag", "missing", "errors", "verdict"),
    [
        (DataState.DELETED, "moved_away", 3, 1, MOVED),  # gone from here, recorded elsewhere: not a loss
        (DataState.DELETED, "", 3, 1, D),  # the folder is gone: nothing else matters
        (DataState.SKIPPED, "skipped", 3, 1, S),
        (DataState.COMPLETE, "sequencing", 3, 1, SEQ),  # not judged while it is written
        (DataState.COMPLETE, "run_failed", 3, 1, FAILED),  # the instrument's word outranks the files'
        (DataState.ERROR, "", 0, 0, E),  # the sheet cannot be read
        (DataState.COMPLETE, "", 2, 1, E),  # a file in Error outranks missing files
        (DataState.COMPLETE, "no_sheet", 2, 0, NO_SHEET),  # its own files missing too: the sheet comes first
        (DataState.COMPLETE, "acknowledged", 2, 1, E),  # an acknowledgement is of missing files only
        (DataState.COMPLETE, "acknowledged", 2, 0, ACK),  # an operator said why it is incomplete
        (DataState.COMPLETE, "", 2, 0, INC),
        (DataState.COMPLETE, "", 0, 0, C),
    ],
)
def test_the_verdict_takes_the_first_that_applies(data_state, flag, missing, errors, verdict):
    flags = dict.fromkeys(FLAGS, False) | ({flag: True} if flag in FLAGS else {})
    acknowledged = 1 if flag == "acknowledged" else None  # the operator action that says who and why
    run = SequencingRun(
        data_state=data_state, missing_count=missing, error_count=errors, acknowledged_action_id=acknowledged, **flags
    )
    assert run.verdict == verdict
    assert run.needs_attention == (verdict not in CALM)


def test_the_database_gives_every_run_the_verdict_python_gives_it(app):
    """The home page and the metrics ask SQL for the verdict; pages, CLI and API ask Python."""
    cases = [(state, flag, missing, errors) for state in DataState for flag in ("", "acknowledged", *FLAGS)
             for missing in (0, 2) for errors in (0, 1)]  # fmt: skip
    with app.app_context():
        said = OperatorAction(who="olga", action="acknowledged", reason="known")
        db.session.add(said)
        db.session.flush()
        for i, (state, flag, missing, errors) in enumerate(cases):
            flags = dict.fromkeys(FLAGS, False) | ({flag: True} if flag in FLAGS else {})
            acknowledged = said.id if flag == "acknowledged" else None
            db.session.add(SequencingRun(name=f"R{i}", root="/r", path=f"R{i}", data_state=state,
                                         missing_count=missing, error_count=errors,
                                         acknowledged_action_id=acknowledged, **flags))  # fmt: skip
        db.session.commit()
        in_sql = dict(db.session.execute(select(SequencingRun.name, SequencingRun.verdict)).all())
        attention = set(db.session.scalars(select(SequencingRun.name).where(SequencingRun.needs_attention)))
        in_python = {run.name: run.verdict for run in db.session.scalars(select(SequencingRun))}
    assert in_sql == in_python and len(set(in_python.values())) == len(RunVerdict)
    assert attention == {name for name, verdict in in_python.items() if verdict not in CALM}


OK = "Exome_24_002_240110_NB501009_0002_AHOTHERBGXY"


@pytest.fixture
def two_runs(root, scan):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz", "1_BAM/S2.hg38.bam"})  # 2 of 20 missing
    make_run(root, name=OK)
    for i in range(3, 7):  # more runs, so that removing one later is a deletion, not a lost mount
        make_run(root, name=f"Exome_24_00{i}_240110_NB501009_000{i}_AHOTHERBGXY", samples=("S1",))
    scan()


def test_a_run_with_missing_files_is_incomplete_everywhere_never_a_green_complete(
    two_runs,
    app,
    runner,
    operator,
):
    listing = operator.get("/runs").text
    assert 'data-verdict="incomplete" class="badge st-incomplete">Incomplete: 2 missing</span>' in listing
    assert 'data-verdict="complete" class="badge st-complete">Complete</span>' in listing
    page = operator.get(f"/runs/{RUN}").text
    assert 'class="badge st-incomplete">Incomplete: 2 missing' in page and 'st-complete">Complete</span> 18' not in page
    cli = {line.split()[0]: line for line in runner.invoke(args=["runs", "list"]).output.splitlines()[2:]}
    assert "Incomplete: 2 missing" in cli[RUN] and "Complete" in cli[OK]
    as_json = {r["name"]: r for r in json.loads(runner.invoke(args=["runs", "list", "--format", "json"]).output)}
    assert (as_json[RUN]["verdict"], as_json[RUN]["missing"]) == ("incomplete", 2)
    assert (as_json[OK]["verdict"], as_json[OK]["missing"]) == ("complete", 0)
    api = {r["name"]: r for r in operator.get("/api/runs").json["runs"]}
    assert (api[RUN]["verdict"], api[RUN]["missing"]) == ("incomplete", 2)
    assert operator.get(f"/api/runs/{RUN}").json["verdict"] == "incomplete"


def test_error_skipped_and_deleted_runs_say_so(two_runs, root, scan, runner, operator):
    (root / "idt_exome" / RUN / "SampleSheet.csv").write_text("garbage\x00")
    (root / "idt_exome" / OK / ".variantgrid_skip_flowcell").touch()
    shutil.rmtree(root / "idt_exome" / "Exome_24_003_240110_NB501009_0003_AHOTHERBGXY")
    scan()
    as_json = {r["name"]: r for r in json.loads(runner.invoke(args=["runs", "list", "--format", "json"]).output)}
    assert as_json[RUN]["verdict"] == "error"
    assert as_json[OK]["verdict"] == "skipped" and as_json[OK]["skip_reason"] == (
        "marker .variantgrid_skip_flowcell in the run folder"
    )
    assert as_json["Exome_24_003_240110_NB501009_0003_AHOTHERBGXY"]["verdict"] == "deleted"
    skipped = operator.get(f"/runs/{OK}").text
    assert "Skipped: marker .variantgrid_skip_flowcell in the run folder" in skipped
    assert "No readable sample sheet" not in skipped and "no readable sample sheet" not in skipped
