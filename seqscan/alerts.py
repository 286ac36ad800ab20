"""Alerts that reach people: e-mail (SMTP) and a JSON webhook (Slack/Teams-style `text`).

What is worth an alert: a scan that ends in Error; a scan that finds files newly missing, deleted
or in Error (one digest per scan); no successful scheduled scan for SEQSCAN_STALE_AFTER_HOURS; the
worker or the scheduler down for SEQSCAN_DOWN_ALERT_MINUTES. Each is recorded under a unique key
before it is sent, so it goes out once however often it is noticed. Sending never raises: a
failed delivery is logged and kept on the alert (the status page shows it).
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import urllib.request
from collections import defaultdict
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from seqscan import scans
from seqscan.clock import now as utcnow
from seqscan.enums import ATTENTION_STATES, DataState, EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.models import Alert, FileEvent, ScanRun, SequencingRun

log = logging.getLogger("seqscan.alerts")
TIMEOUT = 10  # seconds a channel may take: an alert must not hold up what sends it
DIGEST_RUNS, DIGEST_FILES = 20, 10  # a digest names at most this many runs, and files per run
NEWLY_BAD = [s for s in DataState if s in ATTENTION_STATES]  # in DataState's order, as the digest lists them


def channels() -> list[str]:
    config = current_app.config
    return [name for name, on in (("email", config["SMTP_URL"] and config["ALERT_EMAILS"]),
                                  ("webhook", config["ALERT_WEBHOOK_URL"])) if on]  # fmt: skip


def send_once(key: str, event: str, subject: str, body: str, fields: dict | None = None) -> Alert | None:
    """Record the alert under key and send it to every channel; None if it was sent before (or
    no channel is configured)."""
    if not channels():
        return None
    alert = Alert(key=key, subject=subject)
    db.session.add(alert)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None  # noticed before, by this or another process
    deliver(alert, event, body, fields or {})
    return alert


def deliver(alert: Alert, event: str, body: str, fields: dict) -> None:
    """Send to every channel; what worked and what failed is kept on the alert."""
    done, errors = [], []
    for name, send in (("email", _email), ("webhook", _webhook)):
        if name not in channels():
            continue
        try:
            send(alert.subject, body, {"event": event, **fields})
            done.append(name)
        except Exception as e:  # any failure of a channel: logged and kept, never raised
            errors.append(f"{name}: {type(e).__name__}: {e}")
            log.error("alert %r not delivered by %s: %s", alert.subject, name, e)
    alert.delivered, alert.error = ",".join(done), "; ".join(errors)
    db.session.commit()
    if done:
        log.info("alert sent by %s: %s", alert.delivered, alert.subject)


def _email(subject: str, body: str, fields: dict) -> None:
    config = current_app.config
    url = urlsplit(config["SMTP_URL"])  # smtp://[user:password@]host[:port][?starttls], or smtps://
    message = EmailMessage()
    message["Subject"] = f"[seqscan] {subject}"
    message["From"] = config["ALERT_FROM"] or f"seqscan@{socket.getfqdn()}"
    message["To"] = ", ".join(config["ALERT_EMAILS"])
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(url.hostname or "localhost", url.port or 0, timeout=TIMEOUT) as smtp:
        if url.scheme == "smtp" and "starttls" in url.query:
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def _webhook(subject: str, body: str, fields: dict) -> None:
    payload = json.dumps({"text": f"seqscan: {subject}\n{body}", "subject": subject, **fields}).encode()
    request = urllib.request.Request(
        current_app.config["ALERT_WEBHOOK_URL"], data=payload, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        answer.read()


# --- What is worth an alert ---


def after_scan(scan: ScanRun) -> None:
    """Called when a scan has ended. Never raises."""
    try:
        # Stops run again; a cancelled scan is what an operator asked for.
        quiet = scan.end_reason and (scan.end_reason.is_stop or scan.end_reason == EndReason.CANCELLED)
        if scan.state == ScanState.ERROR and not quiet:
            reason = scan.error_line or "no reason recorded"
            send_once(
                f"scan-error:{scan.id}", "scan_error", f"scan {scan.id} ended in Error: {reason}",
                f"Scan {scan.id} of {scan.root} ({scan.trigger}) ended in Error:\n\n{scan.error}",
                {"scan": scan.id, "root": scan.root, "error": reason, "end_reason": scan.end_reason},
            )  # fmt: skip
        elif scan.state == ScanState.FINISHED:
            _digest(scan)
    except Exception:
        db.session.rollback()
        log.exception("alerts for scan %s could not be worked out", scan.id)


def _digest(scan: ScanRun) -> None:
    """One alert listing the files this scan found newly missing, deleted or in Error, by run."""
    rows = db.session.execute(
        select(SequencingRun.name, FileEvent.path, FileEvent.to_state)
        .join(SequencingRun, FileEvent.run_pk == SequencingRun.id)
        .where(FileEvent.scan_id == scan.id, FileEvent.to_state.in_(NEWLY_BAD))
        .order_by(SequencingRun.name, FileEvent.path)
    ).all()
    if not rows:
        return
    by_run: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for run, path, state in rows:
        by_run[run].append((path, state.value))
    lines = []
    for run, files in list(by_run.items())[:DIGEST_RUNS]:
        lines.append(f"{run} ({len(files)}):")
        lines += [f"  {state}: {path}" for path, state in files[:DIGEST_FILES]]
        if len(files) > DIGEST_FILES:
            lines.append(f"  and {len(files) - DIGEST_FILES} more")
    if len(by_run) > DIGEST_RUNS:
        lines.append(f"and {len(by_run) - DIGEST_RUNS} more runs")
    counts = {s.value: sum(1 for *_, state in rows if state == s) for s in NEWLY_BAD}
    said = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    send_once(
        f"digest:{scan.id}", "files_newly_missing", f"scan {scan.id}: {said} in {len(by_run)} runs",
        "\n".join(lines), {"scan": scan.id, "root": scan.root, "counts": counts,
                           "runs": {run: [p for p, _ in files] for run, files in by_run.items()}},
    )  # fmt: skip


def check_stale() -> None:
    """No successful scheduled scan for SEQSCAN_STALE_AFTER_HOURS (the scheduler asks on each look)."""
    hours = float(current_app.config["STALE_AFTER_HOURS"])
    last = scans.last_success(Trigger.SCHEDULED)
    since = last.finished if last else None
    if since is None:  # never one: count from the first scheduled scan, if there was any
        scheduled = select(ScanRun).where(ScanRun.trigger == Trigger.SCHEDULED)
        first = db.session.scalars(scheduled.order_by(ScanRun.id).limit(1)).first()
        since = first.created if first else None
    if since is None or utcnow() - since < timedelta(hours=hours):
        return
    when = f"since {since:%Y-%m-%d %H:%M} UTC" if last else "ever"
    send_once(
        f"stale:{last.id if last else 0}", "scan_stale", f"no successful scheduled scan {when}",
        f"No scheduled scan has finished successfully for over {hours:g} h. Check the status page: is the "
        "worker running, is the disk mounted, did the last scans end in Error?",
        {"last_success_scan": last.id if last else None},
    )  # fmt: skip


def check_down(what: str, up: bool, down_since: float | None) -> None:
    """The worker or the scheduler has been down since down_since (unix time) for too long."""
    minutes = float(current_app.config["DOWN_ALERT_MINUTES"])
    if up or down_since is None or utcnow().timestamp() - down_since < minutes * 60:
        return
    advice = {"worker": "start worker.py (or its service)", "scheduler": "start `flask scheduler` (or its service)"}
    if what.startswith("worker of "):  # one of several queues' workers
        queue = what.removeprefix("worker of ")
        advice[what] = f"start `worker.py --queue {queue}` (or its service, seqscan-worker@{queue})"
    send_once(
        f"{what}-down:{int(down_since)}", f"{what}_down", f"the {what} has been down for over {minutes:g} min",
        f"No {what} is running: {advice.get(what, '')}. Scans are not being run as they should.", {what: "down"},
    )  # fmt: skip


def recent_failures(limit: int = 5) -> list[Alert]:
    """Alerts of the last week that a channel did not take (for the status page)."""
    week = utcnow() - timedelta(days=7)
    return db.session.scalars(
        select(Alert).where(Alert.error != "", Alert.created >= week).order_by(Alert.id.desc()).limit(limit)
    ).all()
