"""Operators act from the pages (issue 20): cancel a waiting scan, accept the runs a refused scan
found gone, acknowledge an incomplete run or a missing file with a reason. Each needs the operator
role and the CSRF token, and is kept as an operator action with who, when and why."""

from __future__ import annotations

import re
import shutil

from rq.job import Job
from sqlalchemy import select

from seqscan.enums import DataState, EndReason, RunVerdict, ScanState
from seqscan.extensions import db
from seqscan.jobs.operator import cancel_waiting
from seqscan.jobs.run import run_queued_scan
from seqscan.jobs.scanqueue import get_queue, get_redis
from seqscan.models import OperatorAction, ScanRun, SequencingFile, SequencingRun
from tests.conftest import RUN, csrf, make_run, rows
from tests.queue_support import Lab

NAMES = [f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHACCEPT{i:02d}X" for i in range(3)]
MISSING = ("0_fastq/S2_R1.fastq.gz", "0_fastq/S2_R2.fastq.gz")


def actions(app) -> list[tuple]:
    return rows(
        app, select(OperatorAction.who, OperatorAction.action, OperatorAction.reason).order_by(OperatorAction.id)
    )


def needing_attention(client) -> str:
    """The home page's table of runs needing attention ("" when none is listed)."""
    found = re.search(r'<table class="attention">.*?</table>', client.get("/").text, re.S)
    return found.group(0) if found else ""


def the_run(app, name: str = RUN) -> SequencingRun:
    with app.app_context():
        run = db.session.scalar(select(SequencingRun).where(SequencingRun.name == name))
        _ = run.verdict_text  # loaded (its acknowledgement) for use outside the context
        db.session.expunge_all()
        return run


# --- Cancel a waiting scan ---


def test_an_operator_cancels_a_waiting_scan_and_its_job_leaves_the_queue(operator, viewer, app, lab_redis):
    page = operator.get("/scans")
    operator.post("/scans", data={"csrf_token": csrf(page.text)})
    shown = operator.get("/scans/1").text
    assert "Cancel this scan" in shown
    seen = viewer.get("/scans/1").text
    assert "Cancel this scan" not in seen
    assert viewer.post("/scans/1/cancel", data={"csrf_token": csrf(seen)}).status_code == 403
    done = operator.post("/scans/1/cancel", data={"csrf_token": csrf(shown), "reason": "pressed by mistake"})
    assert done.headers["Location"] == "/scans/1"
    after = operator.get("/scans/1").text
    assert "Scan #1 cancelled." in after and "Cancel this scan" not in after
    with app.app_context():
        scan = db.session.get(ScanRun, 1)
        assert (scan.state, scan.end_reason) == (ScanState.ERROR, EndReason.CANCELLED)
        assert scan.error == "cancelled by olga: pressed by mistake while it waited"
        assert get_queue().count == 0  # no worker will pick it up
        assert Job.fetch(scan.task_id, connection=get_redis()).get_status() == "canceled"
    assert "cancelled by olga: pressed by mistake while it waited" in after  # the error, and the history:
    assert actions(app)[-1] == ("olga", "cancelled scan #1 while it waited", "pressed by mistake")
    again = operator.post("/scans/1/cancel", data={"csrf_token": csrf(after)})
    assert "Scan #1 was not cancelled: it is Error now" in operator.get(again.headers["Location"]).text
    pressed = operator.post("/scans", data={"csrf_token": csrf(after)})  # the root is free for a new scan
    assert "Scan #2 queued." in operator.get(pressed.headers["Location"]).text


def test_flask_scans_cancel_cancels_a_waiting_scan_and_says_when_it_cannot(app, runner, lab_redis, monkeypatch):
    monkeypatch.setenv("USER", "lab-it")
    assert runner.invoke(args=["scans", "enqueue"]).output == "scan 1 of root queued\n"
    done = runner.invoke(args=["scans", "cancel", "1", "--reason", "wrong root"])
    assert (done.exit_code, done.output) == (0, "scan 1 cancelled\n")
    assert actions(app)[-1] == ("lab-it", "cancelled scan #1 while it waited", "wrong root")
    again = runner.invoke(args=["scans", "cancel", "1"])
    assert again.exit_code == 1 and "scan 1 is Error; only a waiting scan can be cancelled" in again.output
    assert runner.invoke(args=["scans", "cancel", "9"]).exit_code == 2  # no such scan


def test_a_scan_cancelled_while_a_worker_waits_for_the_scan_lock_stays_cancelled(tmp_path):
    lab = Lab(tmp_path)
    try:
        lab.runs(6)  # a command-line scan of 6 runs at 0.3 s each holds the lock for a few seconds
        cli = lab.start("flask", "scan")
        lab.wait_state(1, ScanState.SCANNING_FILES, ScanState.CREATE_MODELS, timeout=30)
        lab.start("worker.py")
        queued = lab.enqueue()
        log = tmp_path / "worker.log"
        lab.wait_for(lambda: log.exists() and f"scan {queued} waits for scan 1" in log.read_text(), 30, "the wait")
        with lab.app.app_context():
            assert cancel_waiting(db.session.get(ScanRun, queued), "olga", "not tonight")
        assert cli.wait(timeout=60) == 0
        job = Job.fetch(lab.scan(queued).task_id, connection=lab.redis)
        lab.wait_for(lambda: job.get_status() in ("finished", "failed"), 60, "the worker to end the job")
        ended = lab.scan(queued)
        assert (ended.state, ended.end_reason, ended.scan_start) == (ScanState.ERROR, EndReason.CANCELLED, None)
        assert f"scan {queued} was cancelled while it waited" in log.read_text()
        # Not a failure: the worker drops it with that line, not a traceback, and RQ counts its job done.
        assert job.get_status() == "finished" and "Traceback" not in log.read_text()
        next_one = lab.enqueue()  # the worker is free, and the lock too
        assert lab.wait_end(next_one, timeout=60).state == ScanState.FINISHED
    finally:
        lab.close()


# --- Accept the runs a refused scan found gone ---


def test_the_runs_a_refused_scan_found_gone_are_accepted_from_its_page(
    app, root, scan, operator, viewer, lab_redis, tmp_path
):
    for name in NAMES:
        make_run(root, name=name)
    scan()
    shutil.move(root, tmp_path / "elsewhere")  # every run gone at once: a lost mount, or a real removal?
    root.mkdir()
    refused = scan(ok=False)
    assert refused.end_reason == EndReason.TOO_MANY_VANISHED
    assert "accept on this scan's page" in refused.error
    page = operator.get(f"/scans/{refused.id}").text
    seen = viewer.get(f"/scans/{refused.id}").text
    assert "Accept: mark them Deleted" in page and "Accept: mark them Deleted" not in seen
    assert (
        viewer.post(f"/scans/{refused.id}/accept-vanished", data={"csrf_token": csrf(seen), "reason": "x"}).status_code
        == 403
    )
    no_reason = operator.post(f"/scans/{refused.id}/accept-vanished", data={"csrf_token": csrf(page), "reason": " "})
    assert "Not accepted: say why the runs really are gone" in operator.get(no_reason.headers["Location"]).text
    accepted = operator.post(
        f"/scans/{refused.id}/accept-vanished",
        data={"csrf_token": csrf(page), "reason": "archived to tape, ticket 881"},
    )
    new_id = refused.id + 1
    assert accepted.headers["Location"] == f"/scans/{new_id}"
    assert f"Accepted: scan #{new_id} queued" in operator.get(accepted.headers["Location"]).text
    with app.app_context():
        assert db.session.get(ScanRun, new_id).accept_vanished
        run_queued_scan(new_id)  # what the worker does with its job
        done = db.session.get(ScanRun, new_id)
        assert (done.state, done.files_deleted) == (ScanState.FINISHED, 3 * 20)
        assert any("accepted as Deleted by olga" in w.message for w in done.warnings)
    assert set(dict(rows(app, select(SequencingRun.name, SequencingRun.data_state))).values()) == {DataState.DELETED}
    said = actions(app)
    assert (
        "olga",
        f"accepted the runs that scan #{refused.id} found gone as removed: scan #{new_id} marks them Deleted",
        "archived to tape, ticket 881",
    ) in said
    assert ("olga", f"accepted 3 of 3 known runs gone from {root} as Deleted", "") in said  # what the scan did
    assert any(who == "olga" and "accepting runs gone from disk as Deleted" in what for who, what, _ in said)
    old_page = operator.get(f"/scans/{refused.id}").text
    assert "Accept: mark them Deleted" not in old_page and "olga" in old_page  # its history shows who accepted
    again = operator.post(f"/scans/{refused.id}/accept-vanished", data={"csrf_token": csrf(page), "reason": "again"})
    assert f"scan #{new_id} of this root has run since" in operator.get(again.headers["Location"]).text


def test_only_a_scan_the_mass_deletion_guard_stopped_can_be_accepted(app, root, scan, operator, lab_redis):
    make_run(root)
    finished = scan()
    page = operator.get(f"/scans/{finished.id}").text
    assert "Accept: mark them Deleted" not in page
    tried = operator.post(f"/scans/{finished.id}/accept-vanished", data={"csrf_token": csrf(page), "reason": "why"})
    assert "was not stopped by the mass-deletion guard" in operator.get(tried.headers["Location"]).text
    with app.app_context():
        assert db.session.query(ScanRun).count() == 1


# --- Acknowledge an incomplete run, or a missing file ---


def test_an_incomplete_run_acknowledged_leaves_the_attention_list_until_a_file_changes(
    app, root, scan, operator, viewer
):
    run_dir = make_run(root, skip=set(MISSING))
    scan()
    run = the_run(app)
    assert run.verdict == RunVerdict.INCOMPLETE
    page = operator.get(f"/runs/{RUN}").text
    seen = viewer.get(f"/runs/{RUN}").text
    assert "Acknowledge that it is incomplete" in page and "Acknowledge that it" not in seen
    assert viewer.post(f"/runs/{run.id}/acknowledge", data={"csrf_token": csrf(seen), "reason": "x"}).status_code == 403
    empty = operator.post(f"/runs/{run.id}/acknowledge", data={"csrf_token": csrf(page), "reason": ""})
    assert "Not acknowledged: say why" in operator.get(empty.headers["Location"]).text
    assert RUN in needing_attention(operator)
    done = operator.post(f"/runs/{run.id}/acknowledge", data={"csrf_token": csrf(page), "reason": "S2 failed QC"})
    shown = operator.get(done.headers["Location"]).text
    assert "Incomplete: 2 missing — acknowledged by olga: S2 failed QC" in shown
    assert actions(app)[-1] == ("olga", f"acknowledged {RUN} as incomplete (2 missing)", "S2 failed QC")
    assert the_run(app).verdict == RunVerdict.ACKNOWLEDGED
    assert needing_attention(operator) == "" and "1 acknowledged (2 files missing)" in operator.get("/").text
    assert viewer.get("/api/runs").json["runs"][0]["verdict"] == "acknowledged"
    scan("--full")  # re-read, nothing changed: it stays acknowledged
    assert the_run(app).verdict == RunVerdict.ACKNOWLEDGED
    (run_dir / MISSING[0]).write_text("data")  # one of them turns up: not what was acknowledged
    scan()
    run = the_run(app)
    assert (run.verdict, run.verdict_text) == (RunVerdict.INCOMPLETE, "Incomplete: 1 missing")
    assert RUN in needing_attention(operator)
    # A complete run is not acknowledged.
    (run_dir / MISSING[1]).write_text("data")
    scan()
    page = operator.get(f"/runs/{RUN}").text
    tried = operator.post(f"/runs/{run.id}/acknowledge", data={"csrf_token": csrf(page), "reason": "why"})
    assert f"Not acknowledged: {RUN} is complete, not incomplete" in operator.get(tried.headers["Location"]).text


def test_acknowledging_every_missing_file_of_a_run_acknowledges_the_run(app, root, scan, operator, viewer):
    make_run(root, skip=set(MISSING))
    scan()
    missing_page = operator.get(f"/missing?run={RUN}").text
    assert missing_page.count("acknowledge…") == 2 and "acknowledge…" not in viewer.get("/missing").text
    with app.app_context():
        ids = db.session.scalars(
            select(SequencingFile.id).where(SequencingFile.path.in_(MISSING)).order_by(SequencingFile.path)
        ).all()
    form = operator.get(f"/files/{ids[0]}/acknowledge?next=/missing").text
    assert MISSING[0] in form and "Why" in form
    assert viewer.get(f"/files/{ids[0]}/acknowledge").status_code == 403
    first = operator.post(
        f"/files/{ids[0]}/acknowledge", data={"csrf_token": csrf(form), "reason": "lane 2 lost", "next": "/missing"}
    )
    assert first.headers["Location"] == "/missing"
    assert f"{RUN}: {MISSING[0]} acknowledged as missing." in operator.get("/missing").text
    assert the_run(app).verdict == RunVerdict.INCOMPLETE  # one of two: the run still needs attention
    offsite = operator.post(
        f"/files/{ids[1]}/acknowledge",
        data={"csrf_token": csrf(form), "reason": "lane 2 lost", "next": "//evil.example/"},
    )
    assert offsite.headers["Location"] == f"/missing?run={RUN}"  # never a redirect off the site
    run = the_run(app)
    assert (run.verdict, run.verdict_text) == (
        RunVerdict.ACKNOWLEDGED,
        "Incomplete: 2 missing — acknowledged by olga: lane 2 lost",
    )
    listed = operator.get(f"/missing?run={RUN}").text
    assert listed.count("acknowledged by olga: lane 2 lost") == 2 and "acknowledge…" not in listed
    twice = operator.post(f"/files/{ids[1]}/acknowledge", data={"csrf_token": csrf(form), "reason": "again"})
    assert twice.status_code == 200 and "is acknowledged already" in twice.text  # the form again, saying why
    assert [a[1] for a in actions(app)][-2:] == [f"acknowledged {RUN}: {p} as missing (Non-existent)" for p in MISSING]


def test_an_acknowledged_run_under_postgresql_and_sqlite_alike_reads_acknowledged_in_sql(app, root, scan):
    """The verdict in SQL (the home list, the filters) agrees with the verdict in Python."""
    make_run(root, skip=set(MISSING))
    scan()
    with app.app_context():
        from seqscan import acknowledge

        run = db.session.scalar(select(SequencingRun))
        acknowledge.acknowledge_run(run, "olga", "known")
        assert db.session.scalar(select(SequencingRun.verdict)) == RunVerdict.ACKNOWLEDGED.value == run.verdict
        assert db.session.scalar(select(SequencingRun.needs_attention)) is False
