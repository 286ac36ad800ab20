"""`flask scans ...`: scan history, and queueing a scan for the worker."""

from __future__ import annotations

import json
import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from seqscan import serialise
from seqscan.cli.output import scan_summary, secs, table, when
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.jobs.liveness import interrupted
from seqscan.jobs.scanqueue import enqueue_scan
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
        raise click.ClickException(f"no scan {scan_id}")
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
def scans_enqueue() -> None:
    """Queue a scan for the worker (returns the waiting one if a scan already waits)."""
    try:
        scan, created = enqueue_scan(Trigger.COMMAND_LINE, os.environ.get("USER", ""))
    except ScanRefused as e:
        raise click.ClickException(f"scan not queued: {e}") from None
    click.echo(f"scan {scan.id} queued" if created else f"scan {scan.id} is already waiting; not adding another")


COMMANDS = (scans_group,)
