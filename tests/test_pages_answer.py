# ruff: noqa: F811  (the browser fixtures, site and page, are imported from test_browser)
"""The pages answer at a glance, in a real browser (Debian's Chromium, a real `flask run`, real Redis;
issue 20): the home totals are the database's, a waiting scan says what it waits for, and the scans
list picks up a scan started elsewhere."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from seqscan.demo import make_demo_tree
from seqscan.extensions import db
from seqscan.models import SequencingRun
from tests.test_browser import page, sign_in, site  # noqa: F401  (fixtures)


def verdicts_in_database(site) -> dict[str, tuple[int, int]]:
    """{verdict: (runs, missing files)} as the database counts them."""
    with site.app.app_context():
        rows = db.session.execute(
            select(SequencingRun.verdict, func.count(), func.sum(SequencingRun.missing_count)).group_by(
                SequencingRun.verdict
            )
        ).all()
    return {verdict: (runs, missing or 0) for verdict, runs, missing in rows}


def test_the_home_totals_are_the_databases_on_the_demo_tree_after_files_are_deleted(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    made = make_demo_tree(site.root, runs=6, samples=4, bcl_cycles=1, bcl_tiles=1, missing=0)
    assert site.run("flask", "scan").returncode == 0
    for run, path in ((made[0], "0_fastq"), (made[1], "0_fastq"), (made[1], "1_BAM")):
        doomed = sorted((site.root / run / path).iterdir())[:2]
        for f in doomed:
            f.unlink()
    assert site.run("flask", "scan").returncode == 0
    sign_in(page, site.url)
    page.goto(f"{site.url}/")
    line = page.inner_text("ul.totals li")
    counted = verdicts_in_database(site)
    assert counted["incomplete"] == (2, 6) and counted["skipped"][0] == counted["sequencing"][0] == 1, counted
    runs = sum(n for n, _ in counted.values())
    assert line.startswith(f"{site.root.name}: {runs} runs — "), line
    shown = re.findall(r"(\d+) ([a-z ]+?)(?: \(\d+ files? missing\))?(?:, |$)", line.split(" — ")[1])
    assert {verdict: int(n) for n, verdict in shown} == {v: n for v, (n, _) in counted.items()}, line
    assert "2 incomplete (6 files missing)" in line
    page.click("ul.totals >> text=2 incomplete")  # each count links to the runs it counts
    page.wait_for_url("**/runs?*verdict=incomplete*")
    listed = page.locator("main tbody tr").all_inner_texts()
    missing = [int(n) for row in listed for n in re.findall(r"Incomplete: (\d+) missing", row)]
    assert len(listed) == len(missing) == 2 and sum(missing) == 6, listed
    page.goto(f"{site.url}/")
    attention = page.locator("table.attention tr td:first-child").all_inner_texts()
    assert len(attention) == 2 and "skip" not in page.inner_text("table.attention")  # skipped: counted, not listed
    assert page.dialogs == []


def test_a_waiting_scan_with_no_worker_says_so_on_home_the_scans_list_and_its_page(site, page):
    sign_in(page, site.url)
    page.click("text=Scan disk for sequencing data")
    page.wait_for_selector("#scan-1[data-state=Created]")
    waiting = "waiting for the worker — no worker is running: start it: worker.py"
    assert waiting in page.inner_text("#scan-1")
    assert "Scan #1 is waiting for the worker — no worker is running" in page.inner_text("main")
    page.click("text=Scan disk for sequencing data")  # a second press: no second scan, and the same warning
    page.wait_for_selector("text=Scan #1 is already waiting")
    assert "Scan #1 is waiting for the worker — no worker is running" in page.inner_text("main")
    assert page.locator("tr[id^=scan-][data-state]").count() == 1
    page.goto(f"{site.url}/")
    assert waiting in page.inner_text("#summary")
    page.goto(f"{site.url}/scans/1")
    assert waiting in page.inner_text("#scan-body") and "so far" not in page.inner_text("#scan-body")
    assert page.dialogs == []


def test_the_scans_list_shows_a_scan_started_from_the_command_line_without_a_reload(site, page):
    site.settings["PAUSE_PER_RUN_SECONDS"] = 0
    sign_in(page, site.url)
    assert "No scans yet" in page.inner_text("main")
    page.evaluate("window.notReloaded = true")
    assert site.run("flask", "scan").returncode == 0
    page.wait_for_selector("#scan-1[data-state=Finished]", timeout=30_000)
    assert "No scans yet" not in page.inner_text("main")  # the empty list's row went with it
    assert site.run("flask", "scan").returncode == 0
    page.wait_for_selector("#scan-2[data-state=Finished]", timeout=30_000)
    ids = page.eval_on_selector_all("tr[id^=scan-][data-state]", "rows => rows.map(r => r.id)")
    assert ids == ["scan-2", "scan-1"]  # newest first, each once
    assert page.evaluate("window.notReloaded") is True
    assert page.dialogs == []
