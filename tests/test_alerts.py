"""Alerts against real local receivers: an SMTP server (aiosmtpd) and an HTTP server that the
tests start (issue 11, item 3)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from seqscan import alerts, roots, scans
from seqscan.enums import EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs import run
from seqscan.jobs.watch import down_since, start_scheduler_watch, watch_worker
from seqscan.models import Alert, ScanRun, utcnow
from tests.conftest import RUN, make_run
from tests.queue_support import free_port


class Inbox:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def __init__(self) -> None:
        self.messages: list = []


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox.messages
    controller.stop()


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def alerting(app, smtp, webhook):
    controller, _ = smtp
    app.config.update(
        SMTP_URL=f"smtp://127.0.0.1:{controller.port}", ALERT_EMAILS=["lab@example.org"], ALERT_WEBHOOK_URL=webhook[0]
    )
    return app


def test_an_error_scan_sends_one_email_and_one_webhook(alerting, root, scan, smtp, webhook):
    alerting.config["ROOT_SENTINEL"] = ".seqscan_root"  # missing: the scan ends in Error at once
    failed = scan(ok=False)
    assert failed.state == ScanState.ERROR
    [mail], [hook] = smtp[1], webhook[1]
    assert mail["Subject"].startswith(f"[seqscan] scan {failed.id} ended in Error") and mail["To"] == "lab@example.org"
    assert ".seqscan_root" in mail.get_payload()
    assert hook["event"] == "scan_error" and hook["scan"] == failed.id and hook["text"].startswith("seqscan: scan")
    assert hook["end_reason"] == "root_unreadable"


def test_a_scan_stopped_by_its_worker_shutting_down_sends_no_alert(alerting, root, smtp, webhook):
    """It is queued again; its end_reason says so, whatever its error's words."""
    make_run(root)
    with alerting.app_context():
        stopped = scans.create(roots.configured()[0], Trigger.MANUAL)
        run.shutdown.set()
        try:
            run.run_scan(stopped)
        finally:
            run.shutdown.clear()
        assert (stopped.state, stopped.end_reason) == (ScanState.ERROR, EndReason.SHUT_DOWN)
    assert smtp[1] == [] and webhook[1] == []


def test_newly_missing_files_send_one_digest_and_an_identical_scan_sends_nothing(alerting, root, scan, smtp, webhook):
    run_dir = make_run(root)
    scan()
    assert smtp[1] == [] and webhook[1] == []  # all present: nothing to say
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    (run_dir / "1_BAM/S2.hg38.bam").unlink()
    second = scan()
    [mail], [hook] = smtp[1], webhook[1]
    assert mail["Subject"] == f"[seqscan] scan {second.id}: 2 Deleted in 1 runs"
    assert f"{RUN} (2):" in mail.get_payload() and "Deleted: 0_fastq/S1_R2.fastq.gz" in mail.get_payload()
    assert hook["event"] == "files_newly_missing" and hook["runs"] == {
        RUN: ["0_fastq/S1_R2.fastq.gz", "1_BAM/S2.hg38.bam"]
    }
    scan()
    assert len(smtp[1]) == 1 and len(webhook[1]) == 1  # nothing new: no new alert


def test_receivers_down_never_fail_a_scan_and_the_failure_shows_on_status(app, root, scan, operator):
    app.config.update(
        SMTP_URL=f"smtp://127.0.0.1:{free_port()}", ALERT_EMAILS=["lab@example.org"],
        ALERT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hook", ROOT_SENTINEL=".seqscan_root",
    )  # fmt: skip
    failed = scan(ok=False)
    assert failed.state == ScanState.ERROR
    make_run(root)
    (root / ".seqscan_root").write_text("")
    assert scan().state == ScanState.FINISHED  # alerts failing meanwhile change nothing
    page = operator.get("/status").text
    assert (
        "Alerts not delivered" in page
        and "ConnectionRefusedError" in page
        and f"scan {failed.id} ended in Error" in page
    )


def test_no_successful_scheduled_scan_for_too_long_is_one_alert(alerting, smtp, webhook):
    with alerting.app_context():
        long_ago = utcnow() - timedelta(hours=20)
        db.session.add(ScanRun(root="/r", trigger=Trigger.SCHEDULED, state=ScanState.FINISHED, runs_count=3,
                               created=long_ago, finished=long_ago))  # fmt: skip
        db.session.commit()
        alerts.check_stale()
        alerts.check_stale()  # the scheduler asks on every look: still one alert
    [hook] = webhook[1]
    assert hook["event"] == "scan_stale" and len(smtp[1]) == 1
    assert "no successful scheduled scan since" in hook["subject"]


def test_a_worker_down_for_too_long_is_one_alert(alerting, webhook, lab_redis):
    alerting.config["DOWN_ALERT_MINUTES"] = 0.02  # 1.2 s
    with alerting.app_context():
        watch_worker(lab_redis)  # none running: down from now
        assert webhook[1] == []
        time.sleep(1.5)
        watch_worker(lab_redis)
        watch_worker(lab_redis)
        assert [h["event"] for h in webhook[1]] == ["worker_down"]
        assert down_since(lab_redis, "worker", up=True) is None  # back: the next outage is a new alert


def test_a_scheduler_down_for_too_long_is_one_alert_from_the_worker_watch(alerting, webhook, lab_redis):
    alerting.config["DOWN_ALERT_MINUTES"] = 0.02
    stop = start_scheduler_watch(alerting, lab_redis, every=0.3)  # the worker's thread, looking more often
    try:
        deadline = time.monotonic() + 10
        while not webhook[1] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert [h["event"] for h in webhook[1]] == ["scheduler_down"]


def test_flask_alerts_test_reaches_every_channel(alerting, smtp, webhook):
    result = alerting.test_cli_runner().invoke(args=["alerts", "test"])
    assert result.exit_code == 0, result.output
    assert "email: sent" in result.output and "webhook: sent" in result.output
    assert len(smtp[1]) == 1 and webhook[1][0]["event"] == "test"
    with alerting.app_context():
        assert db.session.query(Alert).count() == 1
