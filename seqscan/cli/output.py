"""How the commands print: aligned tables, times, durations, a scan's summary."""

from __future__ import annotations

import click

from seqscan import clock
from seqscan.models import ScanRun


def table(headers: list[str], rows: list[list]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    for row in [headers, ["-" * w for w in widths], *cells]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip())


def secs(delta) -> str:
    return f"{delta.total_seconds():.2f}s" if delta is not None else "-"


def when(dt) -> str:
    """In the lab's time zone (SEQSCAN_TIMEZONE), with the zone's abbreviation."""
    return clock.lab_time(dt).strftime("%Y-%m-%d %H:%M:%S %Z") if dt else "-"


def scan_summary(scan: ScanRun) -> None:
    click.echo(f"scan {scan.id}: {scan.state}  root={scan.root}  layout={scan.layout}")
    who = f" by {scan.requested_by}" if scan.requested_by else ""
    click.echo(f"  trigger {scan.trigger}{who}  task {scan.task_id or '-'}  created {when(scan.created)}")
    click.echo(
        f"  runs {scan.runs_count} ({scan.runs_reparsed} re-parsed)  files found {scan.files_found}  "
        f"missing in the root {scan.root_files_missing}  new {scan.files_new}  deleted {scan.files_deleted}  "
        f"warnings {scan.warnings_count}"
    )
    for phase, start, duration in scan.phases():
        click.echo(f"  {phase:<17} {when(start):<24} {secs(duration) if start else 'skipped'}")
    click.echo(f"  total             {secs(scan.duration)}")
