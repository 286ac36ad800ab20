"""`flask runs list` and `flask files export`: what the scans recorded."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from seqscan.cli.output import table
from seqscan.enums import DataState
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun

runs_group = AppGroup("runs", help="Sequencing runs.")
files_group = AppGroup("files", help="File records.")


@runs_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def runs_list(fmt: str) -> None:
    """Every sequencing run known, newest run date first, with its verdict."""
    runs = db.session.scalars(select(SequencingRun).order_by(SequencingRun.date.desc(), SequencingRun.name)).all()
    if fmt == "json":
        click.echo(json.dumps([_run_json(r) for r in runs], indent=1))
        return
    table(
        ["name", "kit", "date", "instrument", "sequencer", "verdict", "samples", "complete", "unexpected"],
        [
            [
                r.name,
                r.kit,
                r.date,
                r.instrument,
                r.sequencer_model,
                r.verdict_text,
                len(r.current_sheet.samples) if r.current_sheet else "-",
                f"{r.complete_count}/{r.expected_count}",
                r.unexpected_count,
            ]
            for r in runs
        ],
    )


def _run_json(run: SequencingRun) -> dict:
    return {
        "name": run.name,
        "root": run.root,
        "path": run.path,
        "kit": run.kit,
        "date": run.date.isoformat() if run.date else None,
        "instrument": run.instrument,
        "sequencer_model": run.sequencer_model,
        "verdict": run.verdict.value,
        "missing": run.missing_count,
        "errors": run.error_count,
        "skip_reason": run.skip_reason,
        "expected": run.expected_count,
        "complete": run.complete_count,
        "unexpected": run.unexpected_count,
    }


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
        query = query.where(SequencingFile.data_state == DataState(state))
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


COMMANDS = (runs_group, files_group)
