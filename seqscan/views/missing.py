"""Missing data: every Non-existent, Deleted or Error file across runs, filterable, with counts."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from seqscan.enums import MISSING_STATES
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun
from seqscan.web import page_number

bp = Blueprint("missing", __name__)
PER_PAGE = 100
FILTERS = {"kit": SequencingRun.kit, "run": SequencingRun.name, "file_type": SequencingFile.file_type}


@bp.get("/missing")
def index():
    chosen = {key: request.args.get(key, "") for key in (*FILTERS, "state")}
    states = [chosen["state"]] if chosen["state"] in MISSING_STATES else sorted(MISSING_STATES)
    where = [SequencingFile.data_state.in_(states)]
    where += [column == chosen[key] for key, column in FILTERS.items() if chosen[key]]
    base = (
        select(SequencingFile)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .options(contains_eager(SequencingFile.run), selectinload(SequencingFile.sample))
    )
    page = db.paginate(
        base.where(*where).order_by(SequencingRun.name, SequencingFile.path),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    count_by_state = dict(
        db.session.execute(
            select(SequencingFile.data_state, func.count())
            .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
            .where(*where)
            .group_by(SequencingFile.data_state)
        ).all()
    )
    options = {
        key: db.session.scalars(
            select(column)
            .distinct()
            .join_from(SequencingFile, SequencingRun)
            .where(SequencingFile.data_state.in_(sorted(MISSING_STATES)))
            .order_by(column)
        ).all()
        for key, column in FILTERS.items()
    }
    return render_template(
        "missing.html", page=page, chosen=chosen, counts=count_by_state, options=options,
        states=sorted(MISSING_STATES),
    )  # fmt: skip
