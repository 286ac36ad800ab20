"""A run's verdict, defined once as a table: SequencingRun.verdict reads it in Python (pages, CLI,
API) and in SQL (the home page's runs needing attention, the metrics), so the two cannot differ."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import case, or_

from seqscan.enums import DataState, RunVerdict


class Rule(NamedTuple):
    verdict: RunVerdict
    states: tuple[DataState, ...] = ()  # it applies when the run's data_state is one of these,
    flag: str = ""  # or this boolean column is true,
    count: str = ""  # or this count column is above 0


# The first rule that applies gives the verdict; none: complete.
RULES = (
    Rule(RunVerdict.MOVED, flag="moved_away"),  # its folder is gone, and is another run record now
    Rule(RunVerdict.DELETED, states=(DataState.DELETED,)),  # the folder is gone: nothing else matters
    Rule(RunVerdict.SKIPPED, states=(DataState.SKIPPED,), flag="skipped"),
    Rule(RunVerdict.SEQUENCING, flag="sequencing"),  # not judged until its marker is there
    Rule(RunVerdict.RUN_FAILED, flag="run_failed"),  # the instrument says so: files do not matter
    Rule(RunVerdict.ERROR, states=(DataState.ERROR,), count="error_count"),  # outranks missing files
    Rule(RunVerdict.NO_SHEET, flag="no_sheet"),
    Rule(RunVerdict.ACKNOWLEDGED, flag="acknowledged"),  # incomplete, and an operator said why
    Rule(RunVerdict.INCOMPLETE, count="missing_count"),
)


def verdict_of(run: Any) -> RunVerdict:
    """The verdict of a run (or anything with its columns' attributes)."""
    for rule in RULES:
        if run.data_state in rule.states or (rule.flag and getattr(run, rule.flag)):
            return rule.verdict
        if rule.count and (getattr(run, rule.count) or 0) > 0:  # None: not flushed yet
            return rule.verdict
    return RunVerdict.COMPLETE


def verdict_sql(runs: Any):
    """The same verdict as a SQL expression over runs' columns (the SequencingRun class)."""
    whens = []
    for rule in RULES:
        applies = [runs.data_state.in_(rule.states)] if rule.states else []
        applies += [getattr(runs, rule.flag)] if rule.flag else []
        applies += [getattr(runs, rule.count) > 0] if rule.count else []
        whens.append((or_(*applies), rule.verdict.value))
    return case(*whens, else_=RunVerdict.COMPLETE.value)
