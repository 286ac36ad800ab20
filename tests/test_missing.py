"""Missing data you can act on: grouped by run, filtered, downloaded, and as JSON (issue 11, item 5)."""

from __future__ import annotations

import csv
import io

from tests.conftest import OTHER, RUN, make_run


def test_missing_is_grouped_by_run_with_counts_and_downloads_with_the_same_filters(root, scan, viewer):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz", "1_BAM/S2.hg38.bam"})
    make_run(root, name=OTHER, skip={"0_fastq/S2_R1.fastq.gz"})
    scan()
    page = viewer.get("/missing").text
    assert page.count('class="group"') == 2 and f">{RUN}</a>" in page and "2 files" in page and "1 file<" in page
    table = page.split('<table class="missing">')[1]
    assert table.index(RUN) < table.index("S1_R2.fastq.gz") < table.index(OTHER) < table.index("S2_R1.fastq.gz")
    assert 'hx-trigger="change"' in page  # filters apply as they are chosen
    assert f"/missing.csv?run={RUN}" in viewer.get(f"/missing?run={RUN}").text
    rows = list(csv.DictReader(io.StringIO(viewer.get(f"/missing.csv?run={RUN}").text)))
    assert [(r["run"], r["path"], r["data_state"]) for r in rows] == [
        (RUN, f"idt_exome/{RUN}/0_fastq/S1_R2.fastq.gz", "Non-existent"),
        (RUN, f"idt_exome/{RUN}/1_BAM/S2.hg38.bam", "Non-existent")]  # fmt: skip  # paths relative to the root
    tsv = viewer.get("/missing.tsv")
    assert tsv.mimetype == "text/tab-separated-values" and len(tsv.text.splitlines()) == 4  # header + 3 files
    assert tsv.headers["Content-Disposition"] == "attachment; filename=seqscan-missing.tsv"


def test_api_missing_is_the_same_selection_paginated(root, scan, viewer):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz", "1_BAM/S2.hg38.bam"})
    make_run(root, name=OTHER, skip={"0_fastq/S2_R1.fastq.gz"})
    scan()
    first = viewer.get("/api/missing?per_page=2").json
    assert (first["total"], first["pages"], len(first["files"])) == (3, 2, 2)
    second = viewer.get("/api/missing?per_page=2&page=2").json
    assert [f["run"] for f in second["files"]] == [OTHER]
    only = viewer.get(f"/api/missing?run={OTHER}").json
    assert only["total"] == 1 and only["files"][0]["path"] == "0_fastq/S2_R1.fastq.gz"
