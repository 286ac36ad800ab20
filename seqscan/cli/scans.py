"""`flask scans ...`: scan history, queueing a scan for the worker, and cancelling a waiting one."""

from __future__ import annotations

import json
import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from seqscan import roots, serialise
from seqscan.cli import NoSuchThing, root_named
from seqscan.cli.output import scan_summary, secs, table, when
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.operator import cancel_waiting
from seqscan.jobs.scanqueue import enqueue_scans
from seqscan.models import ScanRun
from seqscan.scans import ScanRefused

scans_group = AppGroup("scans", help="Scan history.")


@scans_group.command("list")
@click.option("--limit", default=20, show_default=True)
def scans_list(limit: int) -> None:
    """The most recent scans, newest first."""
    scans = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(limit)).all()
    table(
        ["id", "state", "trigger", "created", "total", "runs", "found", "root-missing", "new", "deleted", "warnings"],
        [
            [
                s.id,
                f"{s.state} (interrupted)" if interrupted(s) else s.state,
                s.trigger,
                when(s.created),
                secs(s.duration),
                s.runs_count,
                s.files_found,
                s.root_files_missing,
                s.files_new,
                s.files_deleted,
                s.warnings_count,
            ]
            for s in scans
        ],
    )


@scans_group.command("show")
@click.argument("scan_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def scans_show(scan_id: int, fmt: str) -> None:
    """One scan: phases, counts, warnings and error (as /api/scans/<id> gives it, with --format json)."""
    scan = db.session.get(ScanRun, scan_id)
    if scan is None:
        raise NoSuchThing(f"no scan {scan_id}")
    if fmt == "json":
        click.echo(
            json.dumps(serialise.scan(scan) | {"warnings": [serialise.warning(w) for w in scan.warnings]}, indent=1)
        )
        return
    scan_summary(scan)
    if why := interrupted(scan):
        click.echo(f"  {why}")
    if scan.reused_scan_id:
        click.echo(f"  re-used the lists of scan {scan.reused_scan_id}")
    if scan.warnings:
        click.echo("warnings:")
        table(["run", "path", "message"], [[w.run_name, w.path, w.message] for w in scan.warnings])
    if scan.error:
        click.echo(f"error:\n{scan.error}")


@scans_group.command("enqueue")
@click.option("--root", "root_name", help="Only this root (its name); default: one scan per root.")
def scans_enqueue(root_name: str | None) -> None:
    """Queue a scan of each root for its queue's worker (a root whose scan already waits gets no second)."""
    chosen = root_named(root_name) if root_name else None
    try:
        queued = enqueue_scans(Trigger.COMMAND_LINE, os.environ.get("USER", ""), [chosen] if chosen else None)
    except ScanRefused as e:
        raise click.ClickException(f"scan not queued: {e}") from None
    for scan, created in queued:
        of = f"scan {scan.id} of {roots.name_of(scan.root)}"
        click.echo(f"{of} queued" if created else f"{of} is already waiting; not adding another")


@scans_group.command("cancel")
@click.argument("scan_id", type=int)
@click.option("--reason", default="", help="Why (kept with the operator action).")
def scans_cancel(scan_id: int, reason: str) -> None:
    """Cancel a waiting scan, as its page's Cancel button does (exit 1 if it is not waiting)."""
    scan = db.session.get(ScanRun, scan_id)
    if scan is None:
        raise NoSuchThing(f"no scan {scan_id}")
    if not cancel_waiting(scan, os.environ.get("USER", ""), reason):
        raise click.ClickException(f"scan {scan_id} is {scan.state}; only a waiting scan can be cancelled")
    click.echo(f"scan {scan_id} cancelled")


COMMANDS = (scans_group,)
