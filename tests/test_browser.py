"""The pages in a real browser (Debian's Chromium driven by Playwright), served by a real `flask run`,
with a real worker process and real Redis. Screenshots land in tests/artifacts/ (not committed); the
page-width test's, at 1280 and 390 px, are the README's (`make screenshots` writes them to docs/screenshots/)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from seqscan.extensions import db
from seqscan.models import SequencingFile
from tests.conftest import add_users, make_run
from tests.queue_support import free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parent / "artifacts"
XSS_NAME = "<img src=x onerror=alert(1)>.fastq.gz"
# The pages poll this often here (production: 2, 5, 10 and 30 s), so that a test waits a moment for
# what an open page learns, not its production timers; each test still sees each poll happen.
POLLS = {"SCAN_POLL_SECONDS": 0.5, "STATUS_POLL_SECONDS": 0.5, "HEALTH_POLL_SECONDS": 1.0, "HOME_POLL_SECONDS": 1.0}


@pytest.fixture
def site(lab):
    """A running seqscan: web app on a free port and an operator user; the worker is started by the test."""
    lab.settings.update(POLLS)
    lab.settings["PAUSE_PER_RUN_SECONDS"] = 0.4  # about 2.4 s per phase for 6 runs: each is seen by a 0.5 s poll
    lab.runs(6)
    run_dir = next(lab.root.glob("*/*"))
    (run_dir / "0_fastq" / XSS_NAME).write_text("x")
    add_users(lab.app)  # in this process: a `flask users create` would cost a process start a test
    port = free_port()
    lab.start("flask", "run", "--host", "127.0.0.1", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    lab.wait_for(lambda: _answers(port), timeout=30, what="the web app")
    lab.url = url
    return lab


def _answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def page(site):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.dialogs = []  # any alert() would land here
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        yield page
        browser.close()


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/scans")
    assert "/sign-in" in page.url
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", "olga-pw")
    page.click('button:has-text("Sign in")')
    page.wait_for_url(f"{url}/scans")


def test_press_the_button_and_watch_the_scan_finish_without_reloading(site, page):
    sign_in(page, site.url)
    page.click("text=Scan disk for sequencing data")
    page.wait_for_selector("#scan-1[data-state=Created]")
    assert "Scan #1 queued." in page.inner_text("main")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    site.start("worker.py")
    seen = ["Created"]
    deadline = time.monotonic() + 90
    while seen[-1] != "Finished" and time.monotonic() < deadline:
        state = page.get_attribute("#scan-1", "data-state")
        if state != seen[-1]:
            seen.append(state)
        time.sleep(0.1)
    assert seen == ["Created", "Scanning Files", "Create Models", "Finished"], seen
    assert page.evaluate("window.notReloaded") is True
    row = page.inner_text("#scan-1")
    assert "6" in row  # 6 runs
    assert "Scripts and Jobs: skipped" in page.get_attribute("#scan-1 .phasebar", "title")
    page.screenshot(path=ARTIFACTS / "scans.png", full_page=True)

    page.click("#scan-1 >> text=1")  # the scan's id links to its detail
    page.wait_for_selector("#scan-body[data-state=Finished]")
    assert "scan 1 finished: 6 runs" in page.inner_text("pre.log")
    page.screenshot(path=ARTIFACTS / "scan_detail.png", full_page=True)

    page.click("nav >> text=Runs")
    page.wait_for_url("**/runs")  # not a link of the scan page's tables, still shown while Runs loads
    page.click("table >> a >> nth=0")
    page.wait_for_selector("table.grid")
    assert page.locator("table.grid td.st-complete").count() > 0
    page.screenshot(path=ARTIFACTS / "run_detail.png", full_page=True)
    assert page.dialogs == []


def test_a_hostile_file_name_shows_as_text_and_runs_no_script(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    run_dirs = sorted(site.root.glob("*/*"))
    (run_dirs[1] / "0_fastq/S1_R2.fastq.gz").unlink()  # something for the missing-data page
    (run_dirs[2] / "1_BAM/S1.hg38.bam").unlink()
    assert site.run("flask", "scan").returncode == 0
    site.start("worker.py")
    site.start("flask", "scheduler")  # the status page then shows both alive and the next scans
    sign_in(page, site.url)
    run_name = next(site.root.glob("*/*")).name
    page.goto(f"{site.url}/runs/{run_name}")
    unexpected = page.inner_text("main").split("Unexpected files")[1]
    assert f"0_fastq/{XSS_NAME}" in unexpected
    assert page.locator("img").count() == 0  # the name never became an element
    page.goto(f"{site.url}/scans/1")
    page.click("text=newly found")
    assert f"0_fastq/{XSS_NAME}" in page.inner_text("#scan-body")
    assert page.locator("img").count() == 0
    page.goto(f"{site.url}/missing")
    assert "2 files in all" in page.inner_text("main")
    page.screenshot(path=ARTIFACTS / "missing.png", full_page=True)
    page.goto(f"{site.url}/runs")
    page.screenshot(path=ARTIFACTS / "runs.png", full_page=True)
    site.wait_for(lambda: site.redis.exists(f"seqscan:worker-of:{site.settings['SCAN_QUEUE']}"), what="the worker")
    page.goto(f"{site.url}/status")
    # The fragment polls (STATUS_POLL_SECONDS): wait for the one that has seen the worker (its claim,
    # then its registration with RQ, a moment later) and the schedule.
    page.wait_for_function(
        "(t => !t.includes('FAIL') && t.includes('idle') && !t.includes('Next scheduled scans: none'))"
        "(document.querySelector('#status').innerText)",
        timeout=30_000,
    )
    status = page.inner_text("#status")
    assert "Next scheduled scans: none" not in status and "idle" in status
    page.screenshot(path=ARTIFACTS / "status.png", full_page=True)
    assert page.dialogs == []


def test_the_health_strip_turns_red_when_the_worker_dies_and_an_open_home_page_learns_of_new_scans(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    worker = site.start("worker.py")
    site.start("flask", "scheduler")
    sign_in(page, site.url)
    page.goto(f"{site.url}/")
    page.wait_for_selector("#health.up", timeout=60_000)  # loaded after the page, then refreshed
    assert "No scan yet" in page.inner_text("#summary")
    page.evaluate("window.notReloaded = true")
    # A scan started elsewhere (the command line) shows up on the open page at its next check.
    assert site.run("flask", "scan").returncode == 0
    page.wait_for_selector("#summary >> text=command line scan #1", timeout=45_000)
    # Files go missing; the next scan's answer names them, by run, on the same open page.
    run_dir = next(site.root.glob("*/*"))
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    (run_dir / "1_BAM/S1.hg38.bam").unlink()
    assert site.run("flask", "scan").returncode == 0
    # The page may have caught scan #2 while it ran: its next poll shows it finished.
    page.wait_for_selector("#summary >> text=2 newly missing or deleted", timeout=45_000)
    summary = page.inner_text("#summary")
    assert (
        "2 newly missing or deleted" in summary
        and "2 deleted" in summary
        and "0_fastq/S1_R2.fastq.gz" in summary
        and "1_BAM/S1.hg38.bam" in summary
    )
    assert run_dir.name in summary.split("Runs needing attention")[1]
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=ARTIFACTS / "home.png", full_page=True)
    worker.kill()
    worker.wait()
    started = time.monotonic()
    page.wait_for_selector("#health.down >> text=start worker.py", timeout=15_000)
    assert time.monotonic() - started < POLLS["HEALTH_POLL_SECONDS"] + 2  # at its next refresh (and a round trip)
    page.goto(f"{site.url}/runs")  # red on every page
    page.wait_for_selector("#health.down >> text=start worker.py", timeout=5_000)
    page.screenshot(path=ARTIFACTS / "health_down.png", full_page=True)
    assert page.dialogs == []


PHONE_PAGES = ("/", "/scans", "/runs", "/missing", "/status", "/scans/1")


# A NovaSeq run id behind a long project name (this lab's layout puts the id last), a sample named
# as long as sheets have them, and so file names of over 100 characters: what a page must wrap
# rather than widen for.
LONG_RUN = "Exome_Very_Long_Project_Name_For_Clinical_Panel_Validation_v2_241231_A01234_0123_BHXXXXXDSXY"
LONG_SAMPLE = "PATIENT-2024-000123_Tumour_FFPE_Block_A3_Replicate_2_Library_Prep_KAPA_HyperPlus_v1"
# The README's screenshots: `make screenshots` writes them to docs/screenshots/; `make test` to the
# artifacts, so that a test run leaves the checkout as it was.
SHOTS = Path(os.environ.get("SEQSCAN_TEST_SCREENSHOTS") or ARTIFACTS)


def test_every_page_fits_a_1280_window_and_a_phone_with_long_names(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    long_dir = make_run(site.root, name=LONG_RUN, samples=("S1", LONG_SAMPLE))
    (long_dir / f"0_fastq/{LONG_SAMPLE}_R2.fastq.gz").unlink()  # long names on /missing too
    (long_dir / f"4_QC/bam_stats/samples/{LONG_SAMPLE}.per_gene_coverage.tsv.gz").unlink()
    assert site.run("flask", "scan").returncode == 0
    site.start("worker.py")
    site.start("flask", "scheduler")  # the screenshots' health strip green, as in a lab
    sign_in(page, site.url)
    page.goto(f"{site.url}/runs")
    assert page.locator(f"a:text-is('{LONG_RUN}')").count() == 1  # the scanner took it for a run
    site.wait_for(lambda: site.redis.exists(f"seqscan:worker-of:{site.settings['SCAN_QUEUE']}"), what="the worker")
    run_name = min(d.name for d in site.root.glob("*/*") if d != long_dir)
    long_page = f"/runs/{LONG_RUN}"
    with site.app.app_context():  # the operator's form for one of its missing files
        file_id = db.session.scalar(
            select(SequencingFile.id).where(SequencingFile.path == f"0_fastq/{LONG_SAMPLE}_R2.fastq.gz")
        )
    acknowledge_page = f"/files/{file_id}/acknowledge"
    shots = {"/": "home", "/scans": "scans", long_page: "run", "/missing": "missing"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []  # every page at every width, then one failure naming them all
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for path in (*PHONE_PAGES, f"/runs/{run_name}", long_page, acknowledge_page):
            page.goto(f"{site.url}{path}")
            page.wait_for_selector("#health", state="attached")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            # Wide tables may scroll inside their own box; the page itself never sideways.
            if scroll_width > width:
                too_wide.append(f"{path} {scroll_width} px at {width}")
            if path == "/runs":  # on a phone too, a run's verdict is seen without scrolling sideways
                box = page.locator("tbody tr").first.locator("[data-verdict]").bounding_box()
                if box["x"] + box["width"] > width:
                    too_wide.append(f"/runs' first verdict ends at {box['x'] + box['width']:.0f} px at {width}")
            if path in shots:
                page.screenshot(path=SHOTS / f"{shots[path]}-{width}.png", full_page=True)
    assert not too_wide, "wider than the window: " + ", ".join(too_wide)
    assert page.dialogs == []
