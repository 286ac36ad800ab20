"""`flask scan`: a scan of each root now (or of one), in the foreground, outside the queue."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask.cli import with_appcontext

from seqscan import roots, scans
from seqscan.cli.output import scan_summary
from seqscan.enums import ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.jobs.run import run_scan
from seqscan.layout import ProfileError
from seqscan.models import ScanRun
from seqscan.scanner.pipeline import reusable_lists
from seqscan.scans import ScanRefused


@click.command("scan")
@with_appcontext
@click.option(
    "--root", help="Scan only this root: a configured root's name or path, or another folder (with --layout)."
)
@click.option("--layout", help="The layout of a --root that is not configured (a profile's name or a TOML file).")
@click.option("--reuse-prev-scan-id", type=int, help="Skip Scanning Files; re-use that scan's found-file lists.")
@click.option("--full", is_flag=True, help="Re-parse every run, even unchanged ones (files rewritten in place).")
@click.option("--wait", is_flag=True, help="If a scan is running, wait for it to end instead of refusing.")
@click.option(
    "--accept-vanished",
    is_flag=True,
    help="Mark runs gone from disk Deleted even when so many are gone that the disk may not be mounted.",
)
def scan_command(
    root: str | None,
    layout: str | None,
    reuse_prev_scan_id: int | None,
    full: bool,
    wait: bool,
    accept_vanished: bool,
) -> None:
    """Scan every configured root in turn (or only --root), now, in the foreground, outside the queue."""
    previous = db.session.get(ScanRun, reuse_prev_scan_id) if reuse_prev_scan_id else None
    if previous is not None:  # the lists are relative to the root they were made in, read with its layout
        root = root or previous.root
    # Refused before a scan is recorded: a mistyped command leaves no failed scan behind.
    try:
        targets = [roots.find(root, layout, previous.layout if previous else None)] if root else roots.configured()
    except (roots.UnknownRoot, ProfileError) as e:
        if root and not os.path.isdir(root):
            _refuse(
                f"scan root {os.path.abspath(root)} does not exist or is not a folder (nor a configured root's name)"
            )
        _refuse(str(e))
    if not targets:
        raise click.UsageError(
            "no scan root: configure [[roots]] in instance/seqscan.toml (or SEQSCAN_SCAN_ROOT), "
            "or pass --root PATH --layout NAME"
        )
    if reuse_prev_scan_id:
        try:
            reusable_lists(reuse_prev_scan_id, targets[0].path)
        except ScanRefused as e:
            _refuse(str(e))
    failed = False
    for target in targets:
        failed |= _scan_one(target, reuse_prev_scan_id, full, wait, accept_vanished, several=len(targets) > 1)
    if failed:
        sys.exit(1)


def _scan_one(
    target: roots.Root, reuse: int | None, full: bool, wait: bool, accept_vanished: bool, several: bool
) -> bool:
    """One root's scan, its summary and its error on the console; whether it ended in Error."""
    of = f" of {target.name}" if several else ""
    if not several and not os.path.isdir(target.path):  # of several, an unmounted one's scan is its Error
        _refuse(f"scan root {target.path} does not exist or is not a folder")
    holder = lock.live_holder(target.queue)
    if holder is not None and not wait:
        click.echo(
            f"scan {holder.scan_id} is running ({holder.holder}); only one scan runs at a time on queue "
            f"{target.queue}. Try again later, or pass --wait to start when it ends.",
            err=True,
        )
        if not several:
            sys.exit(2)
        return True
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("seqscan.scan")
    log.addHandler(console)

    def waiting(holder) -> None:
        running = f"scan {holder.scan_id} ({holder.holder})" if holder else "another scan"
        click.echo(f"waiting for {running} to finish...", err=True)

    try:
        scan = scans.create(target, Trigger.COMMAND_LINE, os.environ.get("USER", ""), reuse, accept_vanished)
        click.echo(f"scan {scan.id}{of} started")
        run_scan(scan, full=full, wait=wait, on_wait=waiting)
    finally:
        log.removeHandler(console)
    scan_summary(scan)
    if scan.state == ScanState.ERROR:
        click.echo(f"error{of}: {scan.error}", err=True)
        return True
    return False


def _refuse(message: str) -> None:
    click.echo(f"no scan started: {message}", err=True)
    sys.exit(2)


COMMANDS = (scan_command,)
