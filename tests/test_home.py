"""The home page answers the 6 am question; the health strip on every page (issue 11, item 1)."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from seqscan.display import localtime
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import ScanRun, utcnow
from seqscan.views.home import last_slot, overdue_since
from tests.conftest import OTHER, RUN, csrf, make_run

ADELAIDE = ZoneInfo("Australia/Adelaide")
TWICE_A_DAY = ["0 6 * * *", "0 19 * * *"]
# 2024 in Adelaide: clocks go forward an hour at 02:00 on Sunday 6 October, back at 03:00 on Sunday 7 April.
SPRING_FORWARD_MORNING = datetime(2024, 10, 6, 5, 0, tzinfo=ADELAIDE)
FALL_BACK_MORNING = datetime(2024, 4, 7, 5, 0, tzinfo=ADELAIDE)


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
    queue = app.config["SCAN_QUEUE"]
    assert (
        f"no worker serves queue {queue}: start worker.py<" in strip and "start <code>flask scheduler</code>" in strip
    )
    assert 'hx-get="/status/strip"' in viewer.get("/runs").text  # on every page


def test_pressing_the_button_with_no_worker_says_so_every_time_and_the_waiting_scan_says_so_everywhere(
    app, operator, lab_redis
):
    page = operator.get("/scans")
    queue = app.config["SCAN_QUEUE"]
    no_worker = f"no worker is running on queue {queue}: start it: <code>worker.py</code>."
    done = operator.post("/scans", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "Scan #1 queued." in done.text and f"Scan #1 is waiting for the worker — {no_worker}" in done.text
    again = operator.post("/scans", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert (
        "Scan #1 is already waiting" in again.text and f"Scan #1 is waiting for the worker — {no_worker}" in again.text
    )
    waiting = "waiting for the worker — no worker is running: start it: <code>worker.py</code>"
    for url in ("/", "/scans", "/scans/1", "/scans/1/row"):
        shown = operator.get(url).text
        assert waiting in shown and "so far" not in shown, url
    assert "</span> waiting</td>" in operator.get("/scans/1/row").text  # Took: not "running"


def scheduled_scan_at(app, when: datetime) -> None:
    with app.app_context():
        db.session.add(ScanRun(root="/r", trigger=Trigger.SCHEDULED, state=ScanState.FINISHED,
                               created=when.astimezone(UTC)))  # fmt: skip
        db.session.commit()


@pytest.mark.parametrize("morning", [SPRING_FORWARD_MORNING, FALL_BACK_MORNING], ids=["spring-forward", "fall-back"])
def test_the_last_slot_seen_on_a_daylight_saving_morning_is_the_19_00_before_the_change(morning):
    slot = last_slot(TWICE_A_DAY, ADELAIDE, morning.astimezone(UTC), timedelta(minutes=30))
    evening_before = datetime(morning.year, morning.month, morning.day - 1, 19, 0, tzinfo=ADELAIDE)
    assert slot == evening_before, slot.astimezone(ADELAIDE)


def test_on_adelaides_spring_forward_day_the_19_00_scan_that_ran_is_not_overdue(app):
    app.config.update(SCHEDULE=TWICE_A_DAY, TIMEZONE="Australia/Adelaide", SCHEDULE_GRACE_MINUTES=30)
    scheduled_scan_at(app, datetime(2024, 10, 5, 6, 0, 3, tzinfo=ADELAIDE))
    scheduled_scan_at(app, datetime(2024, 10, 5, 19, 0, 3, tzinfo=ADELAIDE))  # the last slot before the change: ran
    with app.app_context():
        assert overdue_since(now=SPRING_FORWARD_MORNING.astimezone(UTC)) is None


def test_on_adelaides_fall_back_day_a_missed_19_00_scan_is_named_19_00(app):
    app.config.update(SCHEDULE=TWICE_A_DAY, TIMEZONE="Australia/Adelaide", SCHEDULE_GRACE_MINUTES=30)
    scheduled_scan_at(app, datetime(2024, 4, 6, 6, 0, 3, tzinfo=ADELAIDE))  # 06:00 ran, 19:00 did not
    scheduled_scan_at(app, datetime(2024, 4, 6, 18, 30, tzinfo=ADELAIDE))  # a scan before 19:00 is not the 19:00 one
    with app.app_context():
        since = overdue_since(now=FALL_BACK_MORNING.astimezone(UTC))
        assert since is not None and localtime(since, "%Y-%m-%d %H:%M") == "2024-04-06 19:00"


def tau_run(i: int, flowcell: str) -> str:
    return f"Exome_24_00{i}_24010{i}_NB501009_000{i}_A{flowcell}BGXY"


def test_home_totals_count_every_verdict_link_to_the_runs_and_list_the_worst_runs_first(root, scan, viewer, app):
    names = {verdict: tau_run(i, verdict.upper()[:5]) for i, verdict in enumerate(
        ["complete", "two", "one", "error", "skip", "gone"], start=1)}  # fmt: skip
    for name in names.values():
        make_run(root, name=name)
    scan()
    run_dir = root / "idt_exome"
    for path in ("0_fastq/S1_R1.fastq.gz", "0_fastq/S1_R2.fastq.gz"):
        (run_dir / names["two"] / path).unlink()
    (run_dir / names["one"] / "0_fastq/S2_R1.fastq.gz").unlink()
    (run_dir / names["error"] / "1_BAM/S2.hg38.bam").unlink()
    (run_dir / names["error"] / "1_BAM/S2.hg38.bam").write_bytes(b"")  # empty: Error
    (run_dir / names["skip"] / ".variantgrid_skip_flowcell").write_text("")
    shutil.rmtree(run_dir / names["gone"])
    scan()
    page = viewer.get("/").text
    totals = page.split('aria-label="runs by verdict"')[1].split("</ul>")[0]
    name = root.name  # a single SCAN_ROOT is named after its folder
    assert f'<b>{name}</b>: <a href="/runs?root={name}">6 runs</a>' in totals
    said = re.findall(r'<a class="tally" data-verdict="[^"]+" href="([^"]+)">([^<]+)</a>', totals)
    assert [text for _, text in said] == [
        "1 complete", "2 incomplete (3 files missing)", "1 error", "1 deleted", "1 skipped"]  # fmt: skip
    for href, text in said:  # each a link to the runs it counts
        listed = viewer.get(href.replace("&amp;", "&")).text
        assert listed.count('<tr><td class="name">') == int(text.split()[0]), href
    attention = page.split("Runs needing attention (4)")[1]
    order = re.findall(r">(Exome_[^<]+)</a>", attention)
    assert order == [names["error"], names["gone"], names["two"], names["one"]]  # worst first; skipped not listed
    assert "<th>Missing</th>" not in attention and "Incomplete: 2 missing" in attention  # the count in the verdict
    assert viewer.get("/runs?verdict=bogus").status_code == 400


def test_home_shows_the_last_scheduled_scan_beside_the_latest_and_an_operator_gets_the_scan_button(
    app, viewer, operator
):
    with app.app_context():
        db.session.add(ScanRun(root="/r", trigger=Trigger.SCHEDULED, state=ScanState.ERROR, error="the disk is `gone`",
                               created=utcnow() - timedelta(hours=3)))  # fmt: skip
        db.session.add(ScanRun(root="/r", trigger=Trigger.MANUAL, state=ScanState.FINISHED, created=utcnow()))
        db.session.commit()
    page = viewer.get("/").text
    assert "manual scan #2</a>" in page and "Last scheduled scan: <a" in page and "#1 at " in page
    assert "the disk is <code>gone</code>" in page.split("Last scheduled scan:")[1]
    assert 'action="/scans"' not in page.split('id="summary"')[1]  # a viewer may not scan
    assert 'action="/scans"' in operator.get("/").text.split('id="summary"')[1]
