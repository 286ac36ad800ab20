"""Sequencing runs: a searchable list, and one run's samples × file types grid."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, render_template, request
from markupsafe import Markup, escape
from sqlalchemy import func, select

from seqscan import acknowledge, roots
from seqscan.display import css
from seqscan.enums import DataState, RunVerdict
from seqscan.extensions import db
from seqscan.layout import ProfileError
from seqscan.models import (
    FileEvent,
    RunMove,
    Sample,
    SampleSheet,
    ScanRun,
    SequencingFile,
    SequencingRun,
    runs_matching,
    seen_in_scan,
)
from seqscan.web import choice, page_number, root_choice, runs_named

bp = Blueprint("runs", __name__)
PER_PAGE = 50
HISTORY_LIMIT = 200  # newest file changes shown on a run's page
SAMPLES_PER_PAGE = 200  # rows of a run page's samples × files grid
UNEXPECTED_LIMIT = 500  # unexpected files listed on a run page (the API lists them all)


@bp.get("/runs")
def index():
    query, root = request.args.get("q", "").strip(), root_choice()
    verdicts = [v.value for v in RunVerdict]
    verdict = choice("verdict", verdicts)
    runs = runs_matching(query, root.path if root else None, verdict)
    page = db.paginate(runs, page=page_number(), per_page=PER_PAGE, error_out=False)
    chosen = {"q": query, "root": root.name if root else "", "verdict": verdict}
    return render_template(
        "runs.html", page=page, q=query, root=root, verdict=verdict, verdicts=verdicts,
        filters={key: value for key, value in chosen.items() if value},
    )  # fmt: skip


class FileView(NamedTuple):
    """What the run page shows of a file: plain rows, not ORM objects (a 96-sample run has ~900)."""

    path: str
    file_type: str
    data_state: str
    sample_pk: int | None
    size: int | None
    message: str
    first_seen_scan_id: int | None
    seen_in_scan_id: int | None


def run_files(run: SequencingRun, *where, limit: int | None = None) -> list[FileView]:
    f = SequencingFile.__table__.c
    rows = db.session.execute(
        select(
            f.path, f.file_type, f.data_state, f.sample_pk, f.size, f.message, f.first_seen_scan_id, f.last_seen_scan_id
        )
        .where(f.run_pk == run.id, *where)
        .order_by(f.path)
        .limit(limit)
    )
    return [FileView(*r[:7], seen_in_scan(r.data_state, r.last_seen_scan_id, run)) for r in rows]


def grid_rows(samples: list[Sample], file_types: list[str], cells: dict) -> Markup:
    """The grid's body rows. Built here rather than in Jinja: a 96-sample run has ~900 cells, and
    rendering them cell by cell in the template took most of the page's time. Every value is escaped."""
    out = []
    for s in samples:
        lane = f" <small>L{escape(s.lane)}</small>" if s.lane else ""
        row = [f'<tr><td>{s.number}</td><td class="name">{escape(s.name)}{lane}</td><td>{escape(s.project)}</td>']
        for file_type in file_types:
            f = cells.get((s.id, file_type))
            if f is None:
                row.append('<td class="cell st-none"></td>')
                continue
            note = f" · {escape(f.message)}" if f.message else ""
            # The path and scans in a <details>: a tap or the keyboard opens it, no hover needed.
            row.append(
                f'<td class="cell {escape(css(f.data_state))}"><details><summary>{escape(f.data_state)}</summary>'
                f"<small><code>{escape(f.path)}</code>{note} · first seen in scan {f.first_seen_scan_id or '–'}, "
                f"last seen in scan {f.seen_in_scan_id or '–'}</small></details></td>"
            )
        out.append("".join(row) + "</tr>")
    return Markup("\n".join(out))


def run_grid(run: SequencingRun, page: int | None = None) -> dict:
    """The current sheet's samples × the file types expected of samples, plus the run's other files.

    page: SAMPLES_PER_PAGE samples of that page, and at most UNEXPECTED_LIMIT unexpected files, so
    that no run page grows without bound (the API asks for everything: page None).
    """
    f, sheet = SequencingFile.__table__.c, run.current_sheet
    samples_query = select(Sample).where(Sample.sheet_pk == (sheet.id if sheet else None)).order_by(Sample.id)
    sample_page = None
    if page is None:
        samples = db.session.scalars(samples_query).all()
        sample_files = run_files(run, f.sample_pk.is_not(None))
    else:
        sample_page = db.paginate(samples_query, page=page, per_page=SAMPLES_PER_PAGE, error_out=False)
        samples = sample_page.items
        sample_files = run_files(run, f.sample_pk.in_([s.id for s in samples]))
    # Columns in the order of their first file, the same on every page.
    file_types = db.session.scalars(
        select(f.file_type)
        .where(f.run_pk == run.id, f.sample_pk.is_not(None))
        .group_by(f.file_type)
        .order_by(func.min(f.path))
    ).all()
    by_cell = {(f.sample_pk, f.file_type): f for f in sample_files}
    others = run_files(run, f.sample_pk.is_(None), f.data_state != DataState.UNEXPECTED)
    unexpected = run_files(
        run,
        f.sample_pk.is_(None),
        f.data_state == DataState.UNEXPECTED,
        limit=None if page is None else UNEXPECTED_LIMIT,
    )
    unexpected_total = len(unexpected)
    if page is not None and unexpected_total == UNEXPECTED_LIMIT:
        unexpected_total = db.session.scalar(
            select(func.count()).where(f.run_pk == run.id, f.sample_pk.is_(None), f.data_state == DataState.UNEXPECTED)
        )
    return {
        "samples": samples,
        "sample_page": sample_page,
        "file_types": file_types,
        "cells": by_cell,
        "grid_rows": grid_rows(samples, file_types, by_cell),
        "run_files": others,
        "joint_files": [f for f in others if f.file_type in _joint_file_types(run)],
        "unexpected": unexpected,
        "unexpected_total": unexpected_total,
        "states": [s.value for s in DataState],
    }


def _joint_file_types(run: SequencingRun) -> list[str]:
    """The run files its root's layout calls joint files (the layout of the root's newest scan)."""
    layout = db.session.scalar(
        select(ScanRun.layout)
        .where(ScanRun.root == run.root, ScanRun.layout != "")
        .order_by(ScanRun.id.desc())
        .limit(1)
    )
    try:
        return roots.of_scan(run.root, layout or "").profile.joint_file_types
    except ProfileError:  # a layout file since moved away: no section, the files stay under Run files
        return []


@bp.get("/runs/<name>")
def detail(name: str):
    runs = runs_named(name)
    if len(runs) > 1:  # the same name under two roots: two runs, and the user picks
        return render_template("run_choice.html", name=name, runs=runs), 300
    run = runs[0]
    sheets = db.session.scalars(select(SampleSheet).where(SampleSheet.run_pk == run.id).order_by(SampleSheet.id)).all()
    history = db.session.scalars(
        select(FileEvent).where(FileEvent.run_pk == run.id).order_by(FileEvent.id.desc()).limit(HISTORY_LIMIT)
    ).all()
    grid = run_grid(run, page=page_number())
    moves = {
        "moves": db.session.scalars(select(RunMove).where(RunMove.run_pk == run.id).order_by(RunMove.id)).all(),
        "moved_from": db.session.get(SequencingRun, run.moved_from_pk) if run.moved_from_pk else None,
        "moved_to": db.session.scalar(select(SequencingRun).where(SequencingRun.moved_from_pk == run.id).limit(1)),
    }
    actions = acknowledge.actions_on(run)
    return render_template("run_detail.html", run=run, sheets=sheets, history=history, actions=actions, **grid, **moves)
