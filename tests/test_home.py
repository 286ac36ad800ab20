"""The home page answers the 6 am question; the health strip on every page (issue 11, item 1)."""

from __future__ import annotations

from datetime import timedelta

from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import ScanRun, utcnow
from tests.conftest import RUN, csrf, make_run

OTHER = "Exome_24_002_240110_NB501009_0002_AHOTHERBGXY"


def test_home_says_how_the_last_scan_went_what_changed_and_which_runs_need_attention(root, scan, viewer):
    run_dir = make_run(root)
    make_run(root, name=OTHER)
    scan()
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    (run_dir / "1_BAM/S2.hg38.bam").write_bytes(b"")  # empty: Error
    last = scan()
    page = viewer.get("/").text
    assert f"scan #{last.id}</a>" in page and "Finished" in page and "2 runs" in page
    assert "1 deleted" in page and "0_fastq/S1_R2.fastq.gz" in page  # what changed, by run
    assert "1 newly in error" in page and "1_BAM/S2.hg38.bam" in page
    attention = page.split("Runs needing attention (1)")[1]
    assert f">{RUN}</a>" in attention and OTHER not in attention  # the complete run is not listed


def test_home_shows_an_error_scan_with_its_reason(app, scan, viewer):
    app.config["ROOT_SENTINEL"] = ".seqscan_root"
    failed = scan(ok=False)
    page = viewer.get("/").text
    assert f"scan #{failed.id}</a>" in page and "Error" in page and ".seqscan_root" in page


def test_home_says_when_a_scheduled_scan_is_overdue(app, viewer):
    app.config.update(SCHEDULE=["0 * * * *"], SCHEDULE_GRACE_MINUTES=0)  # every hour: one is always due
    assert "No scheduled scan since" not in viewer.get("/").text  # a new installation has missed nothing
    with app.app_context():  # it scanned before the last slot, and nothing since
        db.session.add(ScanRun(root="/r", trigger=Trigger.SCHEDULED, state=ScanState.FINISHED,
                               created=utcnow() - timedelta(hours=2)))  # fmt: skip
        db.session.commit()
    assert "No scheduled scan since" in viewer.get("/").text
    with app.app_context():
        db.session.add(ScanRun(root="/r", trigger=Trigger.SCHEDULED, state=ScanState.FINISHED, created=utcnow()))
        db.session.commit()
    assert "No scheduled scan since" not in viewer.get("/").text


def test_an_open_home_page_swaps_in_a_new_summary_only_when_there_is_a_new_scan(root, scan, viewer):
    make_run(root)
    first = scan()
    page = viewer.get("/").text
    check = page.split('id="summary"')[1].split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert viewer.get(check, headers={"HX-Request": "true"}).status_code == 204  # nothing new: nothing swapped
    second = scan()
    fresh = viewer.get(check, headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and f"scan #{second.id}</a>" in fresh.text and first.id != second.id


def test_the_health_strip_says_what_is_down_and_what_to_do(app, viewer, lab_redis):
    strip = viewer.get("/status/strip").text
    assert 'class="health down"' in strip
    assert "no worker serves the queue: start worker.py" in strip and "start `flask scheduler`" in strip
    assert 'hx-get="/status/strip"' in viewer.get("/runs").text  # on every page


def test_pressing_the_button_with_no_worker_says_so(app, operator, lab_redis):
    page = operator.get("/scans")
    done = operator.post("/scans", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "queued, but no worker is running: start worker.py" in done.text
