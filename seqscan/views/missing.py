"""Missing data: every Non-existent, Deleted or Error file across runs, filterable, grouped by run,
with counts; the same selection as CSV or TSV, and as JSON at /api/missing."""

from __future__ import annotations

import io
import itertools

from flask import Blueprint, Response, render_template, stream_with_context
from sqlalchemy import func, select

from seqscan import serialise
from seqscan.attention import FILTERS, chosen_filters, selection
from seqscan.enums import ATTENTION_STATES
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun
from seqscan.spreadsheet import SheetWriter
from seqscan.web import page_number

bp = Blueprint("missing", __name__)
PER_PAGE = 100


@bp.get("/missing")
def index():
    chosen = chosen_filters()
    query, where = selection(chosen)
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    joined = select(SequencingFile.data_state, func.count()).join(
        SequencingRun, SequencingFile.run_pk == SequencingRun.id
    )
    counts = dict(db.session.execute(joined.where(*where).group_by(SequencingFile.data_state)).all())
    runs_on_page = list(dict.fromkeys(f.run_pk for f in page.items))
    per_run = dict(
        db.session.execute(
            select(SequencingRun.id, func.count())
            .join_from(SequencingFile, SequencingRun)
            .where(*where, SequencingRun.id.in_(runs_on_page))
            .group_by(SequencingRun.id)
        ).all()
    )
    options = {
        key: db.session.scalars(
            select(column)
            .distinct()
            .join_from(SequencingFile, SequencingRun)
            .where(SequencingFile.data_state.in_(sorted(ATTENTION_STATES)))
            .order_by(column)
        ).all()
        for key, column in FILTERS.items()
    }
    # Grouped by run in the page's order (name, then root): two runs of one name are two groups.
    groups = [(run, list(files)) for run, files in itertools.groupby(page.items, key=lambda f: f.run)]
    return render_template(
        "missing.html", page=page, groups=groups, chosen=chosen, counts=counts, per_run=per_run, options=options,
        states=sorted(ATTENTION_STATES), filters={k: v for k, v in chosen.items() if v},
    )  # fmt: skip


@bp.get("/missing.<any(csv, tsv):fmt>")
def download(fmt: str):
    """Every file of the selection (not one page of it), streamed as it is read; formula cells neutralised."""
    query, _ = selection(chosen_filters())

    def lines():
        buffer = io.StringIO()
        writer = SheetWriter(buffer, fmt)
        writer.writerow(serialise.EXPORT)
        for f in db.session.scalars(query.execution_options(yield_per=1000)):
            writer.writerow(serialise.export_row(f))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    mimetype = "text/csv" if fmt == "csv" else "text/tab-separated-values"
    headers = {"Content-Disposition": f"attachment; filename=seqscan-missing.{fmt}"}
    return Response(stream_with_context(lines()), mimetype=mimetype, headers=headers)
