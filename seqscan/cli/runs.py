"""`flask runs list/show` and `flask files export`: what the scans recorded."""

from __future__ import annotations

import io
import json

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from seqscan import roots, serialise
from seqscan.cli import root_named
from seqscan.cli.output import table
from seqscan.enums import ATTENTION_STATES, DataState
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun
from seqscan.spreadsheet import SheetWriter

runs_group = AppGroup("runs", help="Sequencing runs.")
files_group = AppGroup("files", help="File records.")


@runs_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--root", "root_name", help="Only the runs of this root (its name).")
def runs_list(fmt: str, root_name: str | None) -> None:
    """Every sequencing run known, newest run date first, with its root and verdict."""
    query = select(SequencingRun).order_by(SequencingRun.date.desc(), SequencingRun.name)
    if root_name:
        query = query.where(SequencingRun.root == root_named(root_name).path)
    runs = db.session.scalars(query).all()
    if fmt == "json":
        click.echo(json.dumps([serialise.run(r) for r in runs], indent=1))
        return
    table(
        # The root last, as in the exports: the columns before it stay where scripts read them.
        ["name", "kit", "date", "instrument", "sequencer", "verdict", "samples", "complete", "unexpected", "root"],
        [
            [
                r.name,
                r.kit,
                r.date,
                r.instrument,
                r.sequencer_model,
                r.verdict_text,
                r.sample_count,
                f"{r.complete_count}/{r.expected_count}",
                r.unexpected_count,
                roots.name_of(r.root),
            ]
            for r in runs
        ],
    )


@runs_group.command("show")
@click.argument("name")
def runs_show(name: str) -> None:
    """One run: where it is, its verdict and counts, and every file that is not Complete."""
    runs = _runs_named(name)
    for run in runs:
        click.echo(f"{run.name}: {run.verdict_text}")
        click.echo(
            f"  {run.root}/{run.path}  kit {run.kit}  date {run.date or '-'}  instrument {run.instrument or '-'}"
        )
        click.echo(
            f"  expected {run.expected_count}  complete {run.complete_count}  missing {run.missing_count}  "
            f"errors {run.error_count}  unexpected {run.unexpected_count}  last seen in scan {run.last_seen_scan_id}"
        )
        files = db.session.scalars(
            select(SequencingFile)
            .where(SequencingFile.run_pk == run.id, SequencingFile.data_state.in_(sorted(ATTENTION_STATES)))
            .order_by(SequencingFile.path)
        ).all()
        if files:
            table(["data_state", "path", "note"], [[f.data_state, f.path, f.message] for f in files])
        if run.warnings:
            click.echo("warnings:\n  " + run.warnings.replace("\n", "\n  "))


def _runs_named(name: str) -> list[SequencingRun]:
    """The runs of that name (one per root), or exit 2 saying there is none."""
    runs = db.session.scalars(
        select(SequencingRun).where(SequencingRun.name == name).order_by(SequencingRun.root)
    ).all()
    if not runs:
        click.echo(f"Error: no run named {name!r} (`flask runs list` lists them)", err=True)
        raise SystemExit(2)
    return runs


@files_group.command("export")
@click.option("--run", "run_name", help="Only this run.")
@click.option(
    "--state", "states", multiple=True, type=click.Choice([s.value for s in DataState]),
    help="Only this data_state (repeat for several).",
)  # fmt: skip
@click.option("--missing", is_flag=True, help="Only files missing, deleted or in error (the Missing data page).")
@click.option("--format", "fmt", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True)
def files_export(run_name: str | None, states: tuple[str, ...], missing: bool, fmt: str) -> None:
    """Every file record; paths are relative to the scan root. In the TSV, formula cells get a leading '."""
    query = (
        select(SequencingFile)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .options(contains_eager(SequencingFile.run), selectinload(SequencingFile.sample))
        .order_by(SequencingRun.name, SequencingFile.path)
    )
    if run_name:
        _runs_named(run_name)
        query = query.where(SequencingRun.name == run_name)
    wanted = {DataState(s) for s in states} | (set(ATTENTION_STATES) if missing else set())
    if wanted:
        query = query.where(SequencingFile.data_state.in_(sorted(wanted)))
    # The columns of the Missing data page's downloads, in the TSV and the JSON (exact there: no formula neutralised).
    rows = [serialise.export_row(f) for f in db.session.scalars(query)]
    if fmt == "json":
        click.echo(json.dumps([dict(zip(serialise.EXPORT, row, strict=True)) for row in rows], indent=1))
        return
    out = io.StringIO()
    writer = SheetWriter(out, "tsv")
    for row in [list(serialise.EXPORT), *rows]:
        writer.writerow(row)
    click.echo(out.getvalue(), nl=False)


COMMANDS = (runs_group, files_group)
