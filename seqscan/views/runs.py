"""Sequencing runs: a searchable list, and one run's samples × file types grid."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import or_, select

from seqscan.extensions import db
from seqscan.models import Sample, SampleSheet, SequencingFile, SequencingRun
from seqscan.states import DataState

bp = Blueprint("runs", __name__)
PER_PAGE = 50


def search(query: str):
    runs = select(SequencingRun).order_by(SequencingRun.date.desc().nulls_last(), SequencingRun.name)
    if query:
        like = f"%{query}%"
        runs = runs.where(
            or_(SequencingRun.name.ilike(like), SequencingRun.kit.ilike(like), SequencingRun.instrument.ilike(like))
        )
    return runs


@bp.get("/runs")
def index():
    query = request.args.get("q", "").strip()
    page = db.paginate(search(query), per_page=PER_PAGE, error_out=False)
    return render_template("runs.html", page=page, q=query)


def run_grid(run: SequencingRun) -> dict:
    """The current sheet's samples × the file types expected of samples, plus the run's other files."""
    sheet = run.current_sheet
    samples = (
        db.session.scalars(select(Sample).where(Sample.sheet_pk == sheet.id).order_by(Sample.id)).all() if sheet else []
    )
    files = db.session.scalars(
        select(SequencingFile).where(SequencingFile.run_pk == run.id).order_by(SequencingFile.path)
    ).all()
    by_cell = {(f.sample_pk, f.file_type): f for f in files if f.sample_pk is not None}
    file_types = list(dict.fromkeys(f.file_type for f in files if f.sample_pk is not None))
    run_files = [f for f in files if f.sample_pk is None and f.data_state != DataState.UNEXPECTED]
    return {
        "samples": samples,
        "file_types": file_types,
        "cells": by_cell,
        "run_files": run_files,
        "joint_vcfs": [f for f in run_files if f.file_type.startswith("vcf_joint")],
        "unexpected": [f for f in files if f.data_state == DataState.UNEXPECTED],
        "states": [s.value for s in DataState],
    }


@bp.get("/runs/<name>")
def detail(name: str):
    run = db.session.scalar(select(SequencingRun).where(SequencingRun.name == name))
    if run is None:
        abort(404, f"no run named {name}")
    sheets = db.session.scalars(select(SampleSheet).where(SampleSheet.run_pk == run.id).order_by(SampleSheet.id)).all()
    return render_template("run_detail.html", run=run, sheets=sheets, **run_grid(run))
