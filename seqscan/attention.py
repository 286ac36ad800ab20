"""The files that need attention (ATTENTION_STATES: missing, deleted, in Error), filtered by kit,
run, file type and state, and by root: one selection for the Missing data page, its downloads and /api/missing."""

from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from seqscan import roots
from seqscan.enums import ATTENTION_STATES
from seqscan.models import SequencingFile, SequencingRun
from seqscan.web import choice, root_choice

FILTERS = {"kit": SequencingRun.kit, "run": SequencingRun.name, "file_type": SequencingFile.file_type}


def chosen_filters() -> dict[str, str]:
    """The filters of this request (?root= ?kit= ?run= ?file_type= ?state=), "" when not given; an
    unknown root or state is refused (400, naming the allowed ones)."""
    root = root_choice()
    chosen = {key: request.args.get(key, "") for key in FILTERS}
    return chosen | {"root": root.name if root else "", "state": choice("state", sorted(ATTENTION_STATES))}


def selection(chosen: dict[str, str]):
    """(the files query in run and path order, its where clauses) for the chosen filters."""
    states = [chosen["state"]] if chosen["state"] in ATTENTION_STATES else sorted(ATTENTION_STATES)
    where = [SequencingFile.data_state.in_(states)]
    where += [column == chosen[key] for key, column in FILTERS.items() if chosen[key]]
    if chosen["root"]:  # a name (chosen_filters refuses one no root has)
        root = roots.named(chosen["root"])
        where.append(SequencingRun.root == (root.path if root else None))
    query = (
        select(SequencingFile)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .options(
            contains_eager(SequencingFile.run),
            selectinload(SequencingFile.sample),
            selectinload(SequencingFile.acknowledgement),
        )
        .where(*where)
        .order_by(SequencingRun.name, SequencingRun.root, SequencingFile.path)
    )
    return query, where
