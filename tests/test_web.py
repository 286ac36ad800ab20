"""Every page and fragment through Flask's test client, on real scans of real trees."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seqscan.auth import new_api_token
from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.lock import try_acquire
from seqscan.models import ScanRun, User, utcnow
from tests.conftest import OTHER, RUN, csrf, make_run

POLL = 'hx-trigger="every 2s'


def add_scan(app, state=ScanState.FINISHED, **values) -> int:
    with app.app_context():
        scan = ScanRun(root=app.config["SCAN_ROOT"], trigger=Trigger.MANUAL, state=state, **values)
        db.session.add(scan)
        db.session.commit()
        return scan.id


def test_anonymous_users_are_sent_to_sign_in_and_the_api_answers_401(app, users):
    client = app.test_client()
    response = client.get("/runs?q=x")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in?next=/runs?q%3Dx"
    assert client.get("/api/scans").status_code == 401
    polled = client.get("/scans/1/row", headers={"HX-Request": "true"})
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/sign-in")


def test_wrong_password_is_refused_and_next_goes_back_to_the_page(app, users):
    client = app.test_client()
    page = client.get("/sign-in")
    bad = client.post("/sign-in", data={"username": "olga", "password": "nope", "csrf_token": csrf(page.text)})
    assert bad.status_code == 401 and "wrong password" in bad.text
    good = client.post(
        "/sign-in?next=/missing", data={"username": "olga", "password": "olga-pw", "csrf_token": csrf(page.text)}
    )
    assert good.headers["Location"] == "/missing"
    page = client.get("/sign-in")  # signing in issued a new CSRF token
    offsite = client.post(
        "/sign-in?next=//evil.example/", data={"username": "olga", "password": "olga-pw", "csrf_token": csrf(page.text)}
    )
    assert offsite.headers["Location"] == "/"  # home, never another site


def test_post_without_the_csrf_token_is_rejected(operator, app):
    assert operator.post("/scans").status_code == 400
    assert operator.post("/scans", data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.query(ScanRun).count() == 0


def test_viewer_cannot_start_a_scan_and_sees_no_button(viewer, app):
    page = viewer.get("/scans")
    assert "Scan disk for sequencing data" not in page.text
    assert viewer.post("/scans", data={"csrf_token": csrf(page.text)}).status_code == 403
    assert viewer.post("/api/scans", headers={"X-CSRF-Token": csrf(page.text)}).status_code == 403


def test_the_button_queues_a_scan_shows_it_as_created_and_returns_the_waiting_one(operator, app, lab_redis):
    page = operator.get("/scans")
    assert "Scan disk for sequencing data" in page.text
    pressed = operator.post("/scans", data={"csrf_token": csrf(page.text)})
    assert pressed.status_code == 302 and pressed.headers["Location"] == "/scans"  # post/redirect/get
    shown = operator.get("/scans")
    assert "Scan #1 queued." in shown.text
    assert re.search(r'<tr id="scan-1" data-state="Created" hx-get="/scans/1/row" ' + POLL, shown.text)
    again = operator.post("/scans", data={"csrf_token": csrf(shown.text)})
    assert "Scan #1 is already waiting" in operator.get(again.headers["Location"]).text
    with app.app_context():
        assert db.session.query(ScanRun).count() == 1


def test_a_pressed_scan_waits_behind_the_running_one(operator, app, lab_redis):
    running = add_scan(app, ScanState.SCANNING_FILES)
    with app.app_context():
        assert try_acquire(running)  # this process is the (live) scanning process
    page = operator.get("/scans")
    operator.post("/scans", data={"csrf_token": csrf(page.text)})
    shown = operator.get("/scans").text
    assert f"waiting behind scan #{running}" in shown


def test_active_rows_poll_and_finished_rows_do_not(operator, app):
    active = add_scan(app, ScanState.CREATE_MODELS)
    with app.app_context():
        try_acquire(active)
    done = add_scan(app, ScanState.FINISHED)
    page = operator.get("/scans").text
    assert f'hx-get="/scans/{active}/row" {POLL}' in page
    assert f'hx-get="/scans/{done}/row"' not in page
    polled = operator.get(f"/scans/{active}/row", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and POLL in polled.text
    finished = operator.get(f"/scans/{done}/row", headers={"HX-Request": "true"})
    assert finished.status_code == 286 and "hx-trigger" not in finished.text  # stops on any htmx
    assert operator.get(f"/scans/{done}/row").status_code == 200  # not htmx: a plain 200


def main_of(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def test_each_polling_element_asks_again_as_often_as_its_setting_says(operator, app, lab_redis):
    active = add_scan(app, ScanState.CREATE_MODELS)
    with app.app_context():
        try_acquire(active)

    def every() -> dict[str, str]:
        """{element id: its polling interval}, from the pages and fragments that carry them."""
        pages = ["/status/strip", "/", "/status/fragment", f"/scans/{active}/row", f"/scans/{active}"]
        html = "".join(operator.get(path, headers={"HX-Request": "true"}).text for path in pages)
        return dict(re.findall(r'<\w+ id="([\w-]+)"[^>]*? hx-trigger="every (\S+) \[', html))

    defaults = {"health": "10s", "summary": "30s", "status": "5s", f"scan-{active}": "2s", "scan-body": "2s"}
    assert every() == defaults
    app.config.update(HEALTH_POLL_SECONDS=0.5, HOME_POLL_SECONDS=1.5, STATUS_POLL_SECONDS=0.25, SCAN_POLL_SECONDS=3)
    shorter = {"health": "0.5s", "summary": "1.5s", "status": "0.25s", f"scan-{active}": "3s", "scan-body": "3s"}
    assert every() == shorter


def test_no_scan_polls_on_the_scans_page_when_none_is_active_only_the_check_for_a_newer_one(operator, app):
    add_scan(app, ScanState.FINISHED)
    add_scan(app, ScanState.ERROR, error="boom")
    main = main_of(operator.get("/scans").text)  # (the health strip polls on every page)
    assert main.count('hx-trigger="every') == 1 and 'id="scans-head"' in main and "/scans/head?after=2" in main
    assert 'hx-trigger="every 30s [' in main  # HOME_POLL_SECONDS: the cheap check, not a scan's 2 s
    assert operator.get("/scans/head?after=2", headers={"HX-Request": "true"}).status_code == 204  # nothing new
    assert 'id="scans-head"' not in main_of(operator.get("/scans?page=2").text)  # older pages get no new scans


def test_the_scans_list_head_brings_new_scans_of_its_filter_and_takes_away_the_no_scans_row(operator, app):
    assert 'id="no-scans"' in operator.get("/scans").text
    failed = add_scan(app, ScanState.ERROR, error="the sentinel `.seqscan_root` is missing")
    head = operator.get("/scans/head?after=0", headers={"HX-Request": "true"}).text
    assert f'id="scan-{failed}"' in head and f"/scans/head?after={failed}" in head
    assert 'id="no-scans" hx-swap-oob="delete"' in head
    assert "the sentinel <code>.seqscan_root</code> is missing" in head  # an Error row says why
    assert operator.get("/scans/head?after=0&state=Finished").status_code == 204  # not of the filter
    assert operator.get("/scans/head?after=0&state=Bogus").status_code == 400


def test_a_dead_scan_is_shown_interrupted_on_the_page_and_left_as_it_is(operator, app):
    dead = add_scan(app, ScanState.SCANNING_FILES)  # no process holds the lock
    row = operator.get(f"/scans/{dead}/row", headers={"HX-Request": "true"})
    assert row.status_code == 286 and "hx-trigger" not in row.text  # shown ended: polling stops
    assert "data-interrupted" in row.text and ">interrupted<" in row.text
    assert "interrupted during Scanning Files" in operator.get(f"/scans/{dead}").text
    with app.app_context():
        assert (
            db.session.get(ScanRun, dead).state == ScanState.SCANNING_FILES
        )  # recorded only by the worker, scheduler or a trigger


def test_scans_are_paginated_newest_first(operator, app):
    for _ in range(30):
        add_scan(app)
    first = operator.get("/scans").text
    assert 'id="scan-30"' in first and 'id="scan-5"' not in first and "page 1 of 2" in first
    second = operator.get("/scans?page=2").text
    assert 'id="scan-5"' in second and 'id="scan-30"' not in second


def test_scan_detail_shows_phases_changes_warnings_log_and_an_escaped_error(operator, app, root, scan):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    first = scan()
    (root / "idt_exome" / RUN / "0_fastq/S2_R1.fastq.gz").unlink()
    (root / "idt_exome" / RUN / "0_fastq/S9_R1.fastq.gz").write_text("x")
    second = scan()
    page = operator.get(f"/scans/{first.id}").text
    assert "Scanning Files" in page and "Create Models" in page and "skipped" in page  # Scripts and Jobs
    assert f">{RUN}</a>" in page  # a new run
    assert "1 newly missing" in page and "0_fastq/S1_R2.fastq.gz" in page
    assert 'hx-trigger="every' not in main_of(page) and "Task id" in page and "none (command line)" in page
    later = operator.get(f"/scans/{second.id}").text
    assert "1 deleted" in later and "1 newly found" in later and "0_fastq/S9_R1.fastq.gz" in later
    assert f"scan {second.id} finished" in later  # its log
    failed = add_scan(app, ScanState.ERROR, error="Traceback (most recent call last):\n  ...\nValueError: <b>bad</b>")
    shown = operator.get(f"/scans/{failed}").text
    assert "ValueError: &lt;b&gt;bad&lt;/b&gt;" in shown and "<b>bad</b>" not in shown
    assert "<details><summary>Traceback</summary>" in shown


def test_scan_detail_of_an_active_scan_polls_its_live_body(operator, app):
    active = add_scan(app, ScanState.SCANNING_FILES, dirs_walked=42, runs_total=3)
    with app.app_context():
        try_acquire(active)
    page = operator.get(f"/scans/{active}").text
    assert f'hx-get="/scans/{active}/live" {POLL}' in page and "42 folders walked" in page
    live = operator.get(f"/scans/{active}/live", headers={"HX-Request": "true"})
    assert live.status_code == 200 and POLL in live.text
    assert operator.get("/scans/999").status_code == 404


def test_runs_are_searchable_and_paginated(operator, app, root, scan):
    make_run(root)
    make_run(root, name="Haem_24_002_240110_M02027_0002_000000000-ABCDE", kit="idt_haem")
    scan()
    listing = operator.get("/runs").text
    assert RUN in listing and "Haem_24_002" in listing
    assert "Haem_24_002" not in operator.get("/runs?q=exome").text
    assert RUN not in operator.get("/runs?q=M02027").text  # by instrument
    assert "No run matches." in operator.get("/runs?q=nothing").text


def test_a_search_for_a_like_wildcard_matches_only_runs_with_that_character(operator, root, scan):
    names = ("A_1", "B%2", "C\\3", "plain")
    for name in names:
        make_run(root, name=name, kit="exome")
    scan()
    for q, only in (("%", ["B%2"]), ("_", ["A_1"]), ("\\", ["C\\3"]), ("%2", ["B%2"]), ("/", []), ("LAI", ["plain"])):
        found = operator.get("/api/runs", query_string={"q": q}).json["runs"]
        assert [r["name"] for r in found] == only, q
        page = operator.get("/runs", query_string={"q": q}).text
        assert [n for n in names if f">{n}</a>" in page] == only, q


def test_run_grid_shows_each_data_state_with_a_legend(operator, app, root, scan):
    run_dir = make_run(root, samples=("S1", "S2"), skip={"0_fastq/S1_R2.fastq.gz"})
    make_run(root, name="Exome_24_002_240110_NB501009_0002_AHOTHERBGXY", samples=("S1",))
    scan()
    (run_dir / "1_BAM/S2.hg38.bam").unlink()
    (run_dir / "0_fastq/S2_R2.fastq.gz").unlink()
    (run_dir / "0_fastq/S2_R2.fastq.gz").symlink_to("/nowhere/S2_R2.fastq.gz")  # there, but unreadable
    (run_dir / "1_BAM/S7.hg38.bam").write_text("not in the sheet")
    (run_dir / "SampleSheet.csv").write_text("garbage\x00")  # the last good sheet stays current
    (root / "idt_exome/Exome_24_002_240110_NB501009_0002_AHOTHERBGXY/.variantgrid_skip_flowcell").touch()
    scan()
    page = operator.get(f"/runs/{RUN}").text
    legend = page.split('class="legend"')[1].split("</p>")[0]
    for state in ("Complete", "Non-existent", "Deleted", "Skipped", "Error", "Unexpected"):
        assert f'class="cell st-{state.lower()}">{state}' in legend
    grid = page.split('class="grid"')[1].split("</table>")[0]
    assert 'class="cell st-complete"' in grid and 'class="cell st-non-existent"' in grid
    assert 'class="cell st-deleted"' in grid and "first seen in scan 1" in grid
    assert (
        '<td class="cell st-error"><details><summary>Error</summary><small><code>0_fastq/S2_R2.fastq.gz</code>' in grid
    )
    assert "broken symlink" in grid
    assert "1_BAM/S7.hg38.bam" in page.split("Unexpected files")[1]
    assert 'class="badge st-error">Error</span></td>' in page.split("Run files")[1]  # the broken sheet
    assert "<h2>Joint files</h2>\n<ul>" in page and f"2_variants/{RUN}.gatk.hg38.vcf.gz" in page
    skipped = operator.get("/runs/Exome_24_002_240110_NB501009_0002_AHOTHERBGXY").text
    assert 'class="badge st-skipped">Skipped' in skipped
    assert operator.get("/runs/nope").status_code == 404


def test_missing_data_lists_and_filters_with_counts(operator, app, root, scan):
    run_dir = make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    make_run(root, name="Haem_24_002_240110_M02027_0002_000000000-ABCDE", kit="idt_haem", skip={"1_BAM/S2.hg38.bam"})
    scan()
    (run_dir / "0_goi" / f"{RUN}_S2.txt").unlink()
    scan()
    page = operator.get("/missing").text
    assert "3 files in all" in page and "0_fastq/S1_R2.fastq.gz" in page and "1_BAM/S2.hg38.bam" in page
    by_kit = operator.get("/missing?kit=idt_haem").text
    assert "1 file in all" in by_kit and "0_fastq/S1_R2.fastq.gz" not in by_kit
    deleted = operator.get("/missing?state=Deleted").text
    assert "1 file in all" in deleted and f"0_goi/{RUN}_S2.txt" in deleted
    assert "1 file in all" in operator.get("/missing?file_type=bam").text


def test_status_page_and_fragment_report_services_and_settings(operator, app, lab_redis):
    add_scan(app, ScanState.FINISHED, finished=None)
    page = operator.get("/status").text
    assert "Database" in page and "Redis" in page and "No worker serves the scan queue" in page
    assert "Scheduler" in page and "not running" in page and "TIMEZONE" in page
    fragment = operator.get("/status/fragment", headers={"HX-Request": "true"})
    assert (
        fragment.status_code == 200
        and "hx-trigger=\"every 5s [document.visibilityState === 'visible']\"" in fragment.text
    )
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    down = operator.get("/status").text
    assert "FAIL" in down and "127.0.0.1:1" in down


def test_api_with_a_token_lists_and_triggers_scans_and_shows_runs(app, users, root, scan, lab_redis):
    make_run(root)
    scan()
    with app.app_context():
        olga = db.session.scalar(select(User).where(User.username == "olga"))
        token = new_api_token(olga)
        db.session.commit()
    client = app.test_client()
    headers = {"X-Seqscan-Token": token}
    scans = client.get("/api/scans", headers=headers).json
    assert scans["total"] == 1 and scans["scans"][0]["state"] == "Finished"
    one = client.get("/api/scans/1", headers=headers).json
    assert one["counts"]["runs_count"] == 1 and one["phases"][0]["phase"] == "Scanning Files"
    queued = client.post("/api/scans", headers=headers)  # a token needs no CSRF token: no cookie
    assert queued.status_code == 202 and queued.json["state"] == "Created" and queued.json["created"]
    assert client.post("/api/scans", headers=headers).json["created"] is False
    runs = client.get("/api/runs?q=exome", headers={"Authorization": f"Bearer {token}"}).json
    assert [r["name"] for r in runs["runs"]] == [RUN]
    run = client.get(f"/api/runs/{RUN}", headers=headers).json
    assert run["counts"]["complete_count"] == 20 and len(run["files"]) == 20  # 2 x 9 + sheet + joint VCF
    status = client.get("/api/status", headers=headers).json
    assert status["database"]["ok"] and status["redis"]["ok"] and status["waiting"] == [2]
    assert client.get("/api/scans", headers={"X-Seqscan-Token": "wrong"}).status_code == 401


def test_a_trusted_proxy_header_signs_in_an_existing_user(app, users):
    app.config["TRUSTED_USER_HEADER"] = "X-Remote-User"
    client = app.test_client()
    assert client.get("/scans", headers={"X-Remote-User": "vic"}).status_code == 200
    assert client.get("/scans", headers={"X-Remote-User": "mallory"}).status_code == 302
    app.config["TRUSTED_USER_HEADER"] = None
    assert client.get("/scans", headers={"X-Remote-User": "vic"}).status_code == 302


def test_times_show_in_the_lab_time_zone(operator, app):
    add_scan(app, created=datetime(2026, 7, 1, 4, 30, tzinfo=UTC))
    app.config["TIMEZONE"] = "Australia/Adelaide"
    page = operator.get("/scans").text
    assert "2026-07-01 14:00" in page and "Times in Australia/Adelaide" in page


def test_a_running_scan_shows_its_run_progress_elapsed_time_and_an_estimate(operator, app):
    now = datetime.now(UTC)
    add_scan(
        app,
        ScanState.FINISHED,
        created=now - timedelta(hours=1),
        scan_start=now - timedelta(hours=1),
        finished=now - timedelta(minutes=50),
    )  # fmt: skip  (the last scan of this root took 10 min)
    active = add_scan(app, ScanState.CREATE_MODELS, scan_start=now - timedelta(minutes=4), runs_total=10, runs_done=3,
                      current_run="Exome_24_009", runs_reparsed=2, root_files_missing=1)  # fmt: skip
    with app.app_context():
        try_acquire(active)  # a live scan: this process holds its lock
    live = operator.get(f"/scans/{active}/live", headers={"HX-Request": "true"}).text
    assert "Create Models: 3 of 10 runs · now <code>Exome_24_009</code>" in live
    assert "4 min 00 s elapsed" in live or "4 min 01 s elapsed" in live
    assert "about 6 min" in live and "left (from the last scan of this root)" in live
    assert "Counts so far" in live and "2 runs recorded" in live and "files found" not in live


def test_the_scan_history_is_one_line_a_scan_and_filters_by_trigger_and_state(operator, app):
    now = datetime.now(UTC)
    add_scan(app, ScanState.FINISHED, created=now, scan_start=now, create_models_start=now + timedelta(seconds=1),
             finished=now + timedelta(seconds=4))  # fmt: skip
    add_scan(app, ScanState.ERROR, error="boom")
    page = operator.get("/scans").text
    assert 'title="Scanning Files: 1.0 s · Create Models: 3.0 s · Scripts and Jobs: skipped"' in page
    assert 'class="ph1 w25"' in page and 'class="ph2 w75"' in page  # the bar: a quarter, three quarters
    errors = operator.get("/scans?state=Error").text
    assert 'id="scan-2"' in errors and 'id="scan-1"' not in errors
    assert 'id="scan-1"' in operator.get("/scans?trigger=manual&state=Finished").text
    assert "No scans for this filter" in operator.get("/scans?trigger=scheduled").text


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/scans?state=Bogus", "Created, Scanning Files"),
        ("/scans?trigger=often", "manual, scheduled, command line"),
        ("/scans?root=nowhere", "it is one of "),
        ("/runs?root=nowhere", "it is one of "),
        ("/missing?state=Complete", "Deleted, Error, Non-existent"),
        ("/missing.csv?state=Bogus", "Deleted, Error, Non-existent"),
        ("/api/missing?state=Bogus", "Deleted, Error, Non-existent"),
        ("/api/scans?state=Bogus", "Created, Scanning Files"),
        ("/api/runs?root=nowhere", "it is one of "),
    ],
)
def test_an_unknown_filter_value_is_refused_naming_the_allowed_ones(viewer, url, allowed):
    """Not a list silently unfiltered: a 400, a page in the site's layout or JSON under /api/."""
    answer = viewer.get(url)
    assert answer.status_code == 400, url
    value = url.rpartition("=")[2]
    text = answer.json["error"] if url.startswith("/api/") else answer.text
    assert f"unknown {url.split('?')[1].split('=')[0]} '{value}'" in text.replace("&#39;", "'")
    assert allowed in text, text


def test_every_page_has_an_icon_and_favicon_ico_is_no_404(app, viewer):
    assert 'rel="icon" href="/static/favicon.svg"' in viewer.get("/").text
    assert 'rel="icon"' in app.test_client().get("/sign-in").text  # before signing in, too
    with app.test_client().get("/favicon.ico") as icon:  # a file sent: closed when read
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_counts_read_in_the_singular_when_there_is_one(app):
    from seqscan.display import count

    assert [count(1, "run"), count(0, "run"), count(2, "run"), count(None, "warning")] == [
        "1 run", "0 runs", "2 runs", "0 warnings",
    ]  # fmt: skip
    assert count(12345, "file") == "12,345 files" and count(1, "analysis", "analyses") == "1 analysis"
    with app.app_context():
        rendered = app.jinja_env.from_string("{{ 1|count('run') }} so far; {{ 2|count('run') }}").render()
    assert rendered == "1 run so far; 2 runs"


def test_sizes_read_in_human_units_with_the_exact_bytes_on_hover(operator, root, scan):
    from seqscan.display import size

    assert [size(None), size(1), size(999), size(1234), size(99_950), size(999_500), size(1_234_567_890)] == [
        "", "1 byte", "999 bytes", "1.2 kB", "100 kB", "1.0 MB", "1.2 GB",
    ]  # fmt: skip
    run_dir = make_run(root)
    (run_dir / "1_BAM" / "extra.hg38.bam").write_bytes(b"x" * 123_456)  # unexpected: listed with its size
    scan()
    page = operator.get(f"/runs/{RUN}").text
    assert '<td class="nowrap" title="123,456 bytes">123 kB</td>' in page


def test_commands_in_messages_read_as_code_and_settings_as_the_settings_file_writes_them(operator):
    from seqscan.display import code_spans

    assert code_spans("Re-run with `flask scan --accept-vanished` <now>") == (
        "Re-run with <code>flask scan --accept-vanished</code> &lt;now&gt;"
    )
    assert code_spans("one ` alone") == "one ` alone" and code_spans(None) == ""
    status = operator.get("/status").text
    assert "<dt>ENABLED</dt><dd><code>true</code></dd>" in status
    assert "<dt>SCHEDULE</dt><dd><code>[&#34;0 6 * * *&#34;, &#34;0 19 * * *&#34;]</code></dd>" in status
    assert "True</" not in status and "[&#39;" not in status


def test_a_stopped_scan_links_the_scan_queued_again_and_says_it_recorded_no_changes(operator, app):
    with app.app_context():
        started = utcnow()
    stopped = add_scan(app, ScanState.ERROR, error="stopped: the worker was asked to shut down",
                       end_reason=EndReason.SHUT_DOWN, scan_start=started, finished=started)  # fmt: skip
    again = add_scan(app, ScanState.CREATED)
    page = operator.get(f"/scans/{stopped}").text
    assert f'Queued again as <a href="/scans/{again}">scan #{again}</a>' in page
    assert "No changes recorded (it stopped during Scanning Files)." in page and "New runs:" not in page
    failed = add_scan(app, ScanState.ERROR, error="boom", end_reason=EndReason.FAILED)  # not a stop: not queued again
    assert "Queued again" not in operator.get(f"/scans/{failed}").text
    assert "No changes recorded (it stopped before it started)." in operator.get(f"/scans/{failed}").text


def test_status_shows_an_idle_workers_check_in_and_never_a_dead_worker_as_busy(operator, app, lab_redis):
    from rq import Queue, Worker

    from seqscan.jobs.processes import worker_name

    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id nothing runs under now
    queue = Queue(app.config["SCAN_QUEUE"], connection=lab_redis)
    idle = Worker([queue], connection=lab_redis, name=worker_name())
    dead = Worker([queue], connection=lab_redis, name=worker_name().rsplit("-", 1)[0] + f"-{gone.pid}")
    for worker in (idle, dead):
        worker.register_birth()
        worker.heartbeat()
    idle.set_state("idle")
    dead.set_state("busy")  # as RQ leaves a worker killed mid-job
    page = operator.get("/status").text
    row = page.split(f"<td>{dead.name}</td>")[1].split("</tr>")[0]
    assert "dead: its process is gone" in row and "busy" not in row
    assert re.search(r"<td>idle, checked in [\d.]+ s ago</td>", page.split(f"<td>{idle.name}</td>")[1])


def test_api_runs_give_the_verdict_and_its_words_and_filter_by_it(root, scan, viewer):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz"})
    make_run(root, name=OTHER)
    scan()
    runs = viewer.get("/api/runs?verdict=incomplete").json["runs"]
    assert [(r["name"], r["verdict"], r["verdict_text"]) for r in runs] == [
        (RUN, "incomplete", "Incomplete: 1 missing")
    ]
    assert "data_state" not in runs[0]  # "Complete" beside "incomplete" read as a contradiction
    assert viewer.get("/api/runs?verdict=complete").json["total"] == 1
    refused = viewer.get("/api/runs?verdict=fine")
    assert refused.status_code == 400 and "it is one of moved, deleted" in refused.json["error"]


@pytest.mark.parametrize("url", ["/scans", "/runs", "/missing"])
def test_a_page_past_the_end_says_so_once(operator, app, url):
    past = main_of(operator.get(f"{url}?page=99").text)
    assert "There is no page 99" in past
    assert not re.search(r"No scans|No run|Nothing missing", past), past  # not also "no scans yet"
    assert re.search(r"No scans|No run|Nothing missing", main_of(operator.get(url).text))
