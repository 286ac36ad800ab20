"""`flask scan`: a scan now, in the foreground, outside the queue."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from seqscan import scans
from seqscan.cli.output import scan_summary
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.jobs.run import run_scan
from seqscan.models import ScanRun
from seqscan.scanner.pipeline import reusable_lists
from seqscan.scans import ScanRefused


@click.command("scan")
@with_appcontext
@click.option("--root", type=click.Path(file_okay=False), help="Scan this folder instead of SEQSCAN_SCAN_ROOT.")
@click.option("--reuse-prev-scan-id", type=int, help="Skip Scanning Files; re-use that scan's found-file lists.")
@click.option("--full", is_flag=True, help="Re-parse every run, even unchanged ones (files rewritten in place).")
@click.option("--wait", is_flag=True, help="If a scan is running, wait for it to end instead of refusing.")
@click.option(
    "--accept-vanished",
    is_flag=True,
    help="Mark runs gone from disk Deleted even when so many are gone that the disk may not be mounted.",
)
def scan_command(
    root: str | None, reuse_prev_scan_id: int | None, full: bool, wait: bool, accept_vanished: bool
) -> None:
    """Run a scan now, in the foreground, outside the queue."""
    if reuse_prev_scan_id and not root:  # the lists are relative to the root they were made in
        previous = db.session.get(ScanRun, reuse_prev_scan_id)
        root = previous.root if previous else None
    root = root or current_app.config["SCAN_ROOT"]
    if not root:
        raise click.UsageError("no scan root: set SEQSCAN_SCAN_ROOT or pass --root PATH")
    root = os.path.abspath(root)
    # Refused before a scan is recorded: a mistyped command leaves no failed scan behind.
    if not os.path.isdir(root):
        _refuse(f"scan root {root} does not exist or is not a folder")
    if reuse_prev_scan_id:
        try:
            reusable_lists(reuse_prev_scan_id, root)
        except ScanRefused as e:
            _refuse(str(e))
    holder = lock.live_holder()
    if holder is not None and not wait:
        click.echo(
            f"scan {holder.scan_id} is running ({holder.holder}); only one scan runs at a time. "
            "Try again later, or pass --wait to start when it ends.",
            err=True,
        )
        sys.exit(2)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("seqscan.scan")
    log.addHandler(console)

    def waiting(holder) -> None:
        running = f"scan {holder.scan_id} ({holder.holder})" if holder else "another scan"
        click.echo(f"waiting for {running} to finish...", err=True)

    try:
        scan = scans.create(root, Trigger.COMMAND_LINE, os.environ.get("USER", ""), reuse_prev_scan_id)
        click.echo(f"scan {scan.id} started")
        run_scan(scan, full=full, wait=wait, on_wait=waiting, accept_vanished=accept_vanished)
    finally:
        log.removeHandler(console)
    scan_summary(scan)
    if scan.state == ScanState.ERROR:
        click.echo(f"error: {scan.error}", err=True)
        sys.exit(1)


def _refuse(message: str) -> None:
    click.echo(f"no scan started: {message}", err=True)
    sys.exit(2)


COMMANDS = (scan_command,)
