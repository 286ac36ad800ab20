# ruff: noqa: F811  (the browser fixtures, site and page, are imported from test_browser)
"""Operators act from the pages, in a real browser (Debian's Chromium, a real `flask run`, real Redis,
a real worker; issue 20): cancel a waiting scan, acknowledge a run and a missing file, accept the runs
a refused scan found gone. Each is shown in the history with the user who did it and why."""

from __future__ import annotations

import shutil

from tests.test_browser import page, sign_in, site  # noqa: F401  (fixtures)


def test_cancel_a_waiting_scan_and_acknowledge_a_run_and_a_file_from_the_pages(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    runs = sorted(site.root.glob("*/*"))
    (runs[0] / "0_fastq" / "S1_R1.fastq.gz").unlink()  # two runs incomplete, one file each
    (runs[1] / "0_fastq" / "S1_R2.fastq.gz").unlink()
    assert site.run("flask", "scan").returncode == 0
    sign_in(page, site.url)

    page.click("text=Scan disk for sequencing data")  # no worker runs: it waits
    page.wait_for_selector("#scan-2[data-state=Created]")
    page.goto(f"{site.url}/scans/2")
    page.fill("form.action input[name=reason]", "pressed by mistake")
    page.click("text=Cancel this scan")
    page.wait_for_selector("text=Scan #2 cancelled.")
    assert page.get_attribute("#scan-body", "data-state") == "Error"
    history = page.inner_text("table.actions")
    assert "olga\tcancelled scan #2 while it waited\tpressed by mistake" in history, history

    page.goto(f"{site.url}/runs/{runs[0].name}")
    page.fill("form.action input[name=reason]", "S1 failed QC, not re-sequenced")
    page.click('form.action button:has-text("Acknowledge")')
    page.wait_for_selector("text=acknowledged as incomplete")
    verdict = page.inner_text("main [data-verdict]")
    assert verdict == "Incomplete: 1 missing — acknowledged by olga: S1 failed QC, not re-sequenced", verdict
    assert "olga\tacknowledged" in page.inner_text("table.actions")

    page.goto(f"{site.url}/missing")
    page.click(f"tbody:has-text('{runs[1].name}') >> text=acknowledge…")
    page.fill("input[name=reason]", "lane 1 lost")
    page.click('button:has-text("Acknowledge")')
    page.wait_for_url("**/missing")
    assert "acknowledged as missing (the run too" in page.inner_text("main")
    assert page.locator("text=acknowledged by olga: lane 1 lost").count() == 1
    page.goto(f"{site.url}/")
    assert page.locator("table.attention").count() == 0  # both runs acknowledged: none needs attention
    assert "2 acknowledged (2 files missing)" in page.inner_text("ul.totals")
    assert page.dialogs == []


def test_accept_from_the_page_the_runs_a_refused_scan_found_gone(site, page, tmp_path):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    assert site.run("flask", "scan").returncode == 0
    shutil.move(site.root, tmp_path / "archived")  # every run gone at once
    site.root.mkdir()
    assert site.run("flask", "scan").returncode == 1
    sign_in(page, site.url)
    page.goto(f"{site.url}/scans/2")
    assert "is the disk mounted?" in page.inner_text("#scan-body")
    page.fill("form.action input[name=reason]", "archived to tape, ticket 881")
    page.click("text=Accept: mark them Deleted")
    page.wait_for_url(f"{site.url}/scans/3")
    assert "Accepted: scan #3 queued" in page.inner_text("main")
    site.start("worker.py")
    page.wait_for_selector("#scan-body[data-state=Finished]", timeout=60_000)  # the open page follows it
    assert "accepted as Deleted by olga" in page.inner_text("#scan-body")
    page.goto(f"{site.url}/scans/2")
    history = page.inner_text("table.actions")
    assert (
        "olga\taccepted the runs that scan #2 found gone as removed: scan #3 marks them Deleted\tarchived to tape"
        in history
    )
    assert page.locator("text=Accept: mark them Deleted").count() == 0
    page.goto(f"{site.url}/runs?verdict=deleted")
    assert page.locator("main tbody tr").count() == 6
    assert page.dialogs == []
