"""The flask commands: init-db, scan, scans, runs, files, demo-tree."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from seqscan.extensions import db
from seqscan.models import ScanRun, SequencingFile, SequencingRun
from seqscan.states import DataState, ScanState, Trigger


def _table(headers: list[str], rows: list[list]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    for row in [headers, ["-" * w for w in widths], *cells]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip())


def _secs(delta) -> str:
    return f"{delta.total_seconds():.2f}s" if delta is not None else "-"


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "-"


def _summary(scan: ScanRun) -> None:
    click.echo(f"scan {scan.id}: {scan.state}  root={scan.root}  layout={scan.layout}")
    who = f" by {scan.requested_by}" if scan.requested_by else ""
    click.echo(f"  trigger {scan.trigger}{who}  task {scan.task_id or '-'}  created {_when(scan.created)}")
    click.echo(
        f"  runs {scan.runs_count} ({scan.runs_reparsed} re-parsed)  files found {scan.files_found}  "
        f"missing {scan.files_missing}  new {scan.files_new}  deleted {scan.files_deleted}  "
        f"warnings {scan.warnings_count}"
    )
    for phase, start, duration in scan.phases():
        click.echo(f"  {phase:<17} {_when(start):<24} {_secs(duration) if start else 'skipped'}")
    click.echo(f"  total             {_secs(scan.duration)}")


def _resolve_dead_scans() -> None:
    """Reading the status tells the truth: scans whose process died are shown as Error."""
    from seqscan.queue import resolve_dead_scans

    resolve_dead_scans()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables (safe to run again)."""
    db.create_all()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("scan")
@with_appcontext
@click.option("--root", type=click.Path(file_okay=False), help="Scan this folder instead of SEQSCAN_SCAN_ROOT.")
@click.option("--reuse-prev-scan-id", type=int, help="Skip Scanning Files; re-use that scan's found-file lists.")
@click.option("--full", is_flag=True, help="Re-parse every run, even unchanged ones (files rewritten in place).")
@click.option("--wait", is_flag=True, help="If a scan is running, wait for it to end instead of refusing.")
def scan_command(root: str | None, reuse_prev_scan_id: int | None, full: bool, wait: bool) -> None:
    """Run a scan now, in the foreground, outside the queue."""
    from seqscan import scanlock
    from seqscan.scanner.pipeline import create_scan, execute_scan

    if reuse_prev_scan_id and not root:  # the lists are relative to the root they were made in
        previous = db.session.get(ScanRun, reuse_prev_scan_id)
        root = previous.root if previous else None
    root = root or current_app.config["SCAN_ROOT"]
    if not root:
        raise click.UsageError("no scan root: set SEQSCAN_SCAN_ROOT or pass --root PATH")
    holder = scanlock.live_holder()
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
    log.setLevel(logging.INFO)

    def waiting(holder) -> None:
        running = f"scan {holder.scan_id} ({holder.holder})" if holder else "another scan"
        click.echo(f"waiting for {running} to finish...", err=True)

    try:
        scan = create_scan(os.path.abspath(root), Trigger.COMMAND_LINE, os.environ.get("USER", ""), reuse_prev_scan_id)
        click.echo(f"scan {scan.id} started")
        execute_scan(scan, full=full, wait=wait, on_wait=waiting)
    finally:
        log.removeHandler(console)
    _summary(scan)
    if scan.state == ScanState.ERROR:
        click.echo(f"error: {scan.error}", err=True)
        sys.exit(1)


@click.group("scans", cls=AppGroup)
def scans_group() -> None:
    """Scan history."""


@scans_group.command("list")
@click.option("--limit", default=20, show_default=True)
def scans_list(limit: int) -> None:
    """The most recent scans, newest first."""
    _resolve_dead_scans()
    scans = db.session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(limit)).all()
    _table(
        ["id", "state", "trigger", "created", "total", "runs", "found", "missing", "new", "deleted", "warnings"],
        [
            [
                s.id,
                s.state,
                s.trigger,
                _when(s.created),
                _secs(s.duration),
                s.runs_count,
                s.files_found,
                s.files_missing,
                s.files_new,
                s.files_deleted,
                s.warnings_count,
            ]
            for s in scans
        ],
    )


@scans_group.command("show")
@click.argument("scan_id", type=int)
def scans_show(scan_id: int) -> None:
    """One scan: phases, counts, warnings and error."""
    _resolve_dead_scans()
    scan = db.session.get(ScanRun, scan_id)
    if scan is None:
        raise click.ClickException(f"no scan {scan_id}")
    _summary(scan)
    if scan.reused_scan_id:
        click.echo(f"  re-used the lists of scan {scan.reused_scan_id}")
    if scan.warnings:
        click.echo("warnings:")
        _table(["run", "path", "message"], [[w.run_name, w.path, w.message] for w in scan.warnings])
    if scan.error:
        click.echo(f"error:\n{scan.error}")


@click.group("runs", cls=AppGroup)
def runs_group() -> None:
    """Sequencing runs."""


@runs_group.command("list")
def runs_list() -> None:
    """Every sequencing run known, newest run date first."""
    runs = db.session.scalars(select(SequencingRun).order_by(SequencingRun.date.desc(), SequencingRun.name)).all()
    _table(
        ["name", "kit", "date", "instrument", "sequencer", "state", "samples", "complete", "missing", "unexpected"],
        [
            [
                r.name,
                r.kit,
                r.date,
                r.instrument,
                r.sequencer_model,
                r.data_state,
                len(r.current_sheet.samples) if r.current_sheet else "-",
                f"{r.complete_count}/{r.expected_count}",
                r.missing_count,
                r.unexpected_count,
            ]
            for r in runs
        ],
    )


@click.group("files", cls=AppGroup)
def files_group() -> None:
    """File records."""


@files_group.command("export")
@click.option("--run", "run_name", help="Only this run.")
@click.option("--state", type=click.Choice([s.value for s in DataState]), help="Only this data_state.")
@click.option("--format", "fmt", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True)
def files_export(run_name: str | None, state: str | None, fmt: str) -> None:
    """Every file record; paths are relative to the scan root."""
    query = (
        select(SequencingFile, SequencingRun)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .order_by(SequencingRun.name, SequencingFile.path)
    )
    if run_name:
        query = query.where(SequencingRun.name == run_name)
    if state:
        query = query.where(SequencingFile.data_state == state)
    columns = ["run", "sample", "file_type", "data_state", "path", "size", "mtime", "first_seen_scan", "last_seen_scan"]
    rows = []
    for f, run in db.session.execute(query):
        rows.append(
            [
                run.name,
                f.sample.name if f.sample else "",
                f.file_type,
                f.data_state,
                f"{run.path}/{f.path}",
                f.size if f.size is not None else "",
                f.mtime.isoformat() if f.mtime else "",
                f.first_seen_scan_id or "",
                f.seen_in_scan_id or "",
            ]
        )
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r, strict=False)) for r in rows], indent=1))
    else:
        for row in [columns, *rows]:
            click.echo("\t".join(str(v) for v in row))


@click.command("demo-tree")
@with_appcontext
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--runs", default=12, show_default=True)
@click.option("--samples", default=8, show_default=True)
@click.option("--bcl-cycles", default=20, show_default=True, help="Cycles in each run's BCL-like Data/ tree.")
@click.option("--bcl-tiles", default=2, show_default=True, help="Tiles per lane and cycle (4 lanes).")
def demo_tree_command(path: str, runs: int, samples: int, bcl_cycles: int, bcl_tiles: int) -> None:
    """Write a demo run tree (tau layout, some files missing, one skipped run)."""
    from seqscan.demo import make_demo_tree

    made = make_demo_tree(Path(path), runs=runs, samples=samples, bcl_cycles=bcl_cycles, bcl_tiles=bcl_tiles)
    click.echo(f"wrote {len(made)} runs under {path}")


def init_app(app: Flask) -> None:
    from seqscan import cli_queue, cli_users

    for command in (init_db_command, scan_command, scans_group, runs_group, files_group, demo_tree_command):
        app.cli.add_command(command)
    cli_queue.init_app(app, scans_group)
    cli_users.init_app(app)
