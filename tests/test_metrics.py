"""/metrics in the Prometheus text format, parsed by prometheus_client's own parser (issue 11, item 4)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from seqscan.extensions import db
from seqscan.models import ScanRun
from tests.conftest import OTHER, make_run


def samples(text: str) -> dict:
    """{(metric name, (label values…)): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sample.labels.values()))] = sample.value
    return out


def test_metrics_match_the_database_after_scans(app, root, scan, files, lab_redis):
    make_run(root, skip={"0_fastq/S1_R2.fastq.gz", "1_BAM/S2.hg38.bam"})
    make_run(root, name=OTHER)
    first = scan()
    (root / "idt_exome" / OTHER / "1_BAM" / "S1.hg38.bam").unlink()
    last = scan()
    answer = app.test_client().get("/metrics")  # no sign-in: from loopback
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    m = samples(answer.text)
    with app.app_context():
        last = db.session.get(ScanRun, last.id)
        assert m[("seqscan_last_scan_end_timestamp_seconds", ())] == last.finished.timestamp()
        assert m[("seqscan_last_success_timestamp_seconds", ())] == last.finished.timestamp()
        for phase, _, took in last.phases():
            if took is not None:
                assert m[("seqscan_last_scan_phase_duration_seconds", (phase.value,))] == took.total_seconds()
    assert m[("seqscan_last_scan_state", ("Finished",))] == 1 and m[("seqscan_last_scan_state", ("Error",))] == 0
    assert m[("seqscan_runs", ("root", "incomplete"))] == 2 and m[("seqscan_runs", ("root", "complete"))] == 0
    assert m[("seqscan_root_missing_files", ("root",))] == 3 and m[("seqscan_root_last_scan_ok", ("root",))] == 1
    states = list(files().values()) + list(files(OTHER).values())
    for state in ("Complete", "Non-existent", "Deleted"):
        assert m[("seqscan_files", (state,))] == states.count(state), state
    assert m[("seqscan_missing_files", ())] == 3 == states.count("Non-existent") + states.count("Deleted")
    assert m[("seqscan_last_scan_warnings", ())] == last.warnings_count
    assert m[("seqscan_queue_length", ())] == 0
    assert (
        m[("seqscan_worker_up", (app.config["SCAN_QUEUE"],))] == 0 and m[("seqscan_scheduler_up", ())] == 0
    )  # none running here
    assert m[("seqscan_redis_up", ())] == 1 and m[("seqscan_database_up", ())] == 1
    assert first.id != last.id


def test_metrics_are_refused_to_addresses_not_allowed(app):
    client = app.test_client()
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert refused.status_code == 403 and "SEQSCAN_METRICS_ALLOW" in refused.text
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8"]
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_metrics_before_any_scan(app, lab_redis):
    m = samples(app.test_client().get("/metrics").text)
    assert m[("seqscan_last_scan_end_timestamp_seconds", ())] == 0
    assert m[("seqscan_runs", ("root", "complete"))] == 0  # every root, every verdict, from the start


def test_the_example_alert_rules_name_only_metrics_that_exist(app, lab_redis):
    rules = (Path(__file__).resolve().parents[1] / "docs" / "alerts.example.yml").read_text()
    named = set(re.findall(r"\bseqscan_[a-z_]+", rules))
    exported = {name for name, _ in samples(app.test_client().get("/metrics").text)}
    assert named and named <= exported, named - exported
