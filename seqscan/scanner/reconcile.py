"""Create Models' rules as set arithmetic, pure: no database, no session.

Which found runs are parsed again (found vs known fingerprints), and for one run what the layout
expects vs what the disk holds vs what its records said before → the rows to insert, update and
drop, the events, and the counts. tests/test_reconcile.py holds the table; store.py writes the plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from seqscan.enums import MISSING_STATES, DataState
from seqscan.layout import Expected
from seqscan.scanner.found import FoundRun, WalkResult, WalkWarning
from seqscan.scanner.judge import DROP, KEEP, Disk, Expect, judge
from seqscan.scanner.runfolder import FileStat

# Every column of a file record a rescan may change; update rows carry all of them so one
# executemany serves all. An existing record is a mapping of these, its "id" and its "path".
MUTABLE = (
    "file_type",
    "expected",
    "sample_pk",
    "data_state",
    "size",
    "mtime",
    "message",
    "first_seen_scan_id",
    "last_seen_scan_id",
    "state_changed_scan_id",
)
# A new record in one of these states needs no event: its first_seen_scan_id records the find.
FIRST_SEEN_STATES = frozenset({DataState.COMPLETE, DataState.UNEXPECTED})


class Event(NamedTuple):
    """A file record's change of state (a FileEvent row): from None when new, to None when dropped."""

    run_pk: int
    path: str
    file_type: str
    scan_id: int
    from_state: str | None
    to_state: str | None
    at: datetime


@dataclass
class Plan:
    """What one run's file records become."""

    inserts: list[dict[str, Any]] = field(default_factory=list)  # run_pk, path, MUTABLE (state as its value)
    updates: list[dict[str, Any]] = field(default_factory=list)  # _id (the record's id) and every MUTABLE
    drops: list[int] = field(default_factory=list)  # ids of records that go
    events: list[Event] = field(default_factory=list)
    states: list[tuple[DataState, bool]] = field(default_factory=list)  # (state, expected) of each kept record
    new: int = 0  # files on disk for the first time
    deleted: int = 0  # records newly Deleted


class Counts(NamedTuple):
    """A run's completeness counts (the *_count columns of SequencingRun)."""

    expected: int
    complete: int
    missing: int
    unexpected: int
    error: int


def counts(states: Iterable[tuple[DataState, bool]]) -> Counts:
    """Completeness counts from (state, expected) pairs."""
    states = list(states)
    return Counts(
        expected=sum(1 for s, e in states if e),
        complete=sum(1 for s, e in states if e and s == DataState.COMPLETE),
        missing=sum(1 for s, e in states if e and s in MISSING_STATES),
        unexpected=sum(1 for s, e in states if s == DataState.UNEXPECTED),
        error=sum(1 for s, e in states if s == DataState.ERROR),
    )


def mtime_of(ns: int | None) -> datetime | None:
    return datetime.fromtimestamp(ns / 1e9, UTC) if ns else None


def reconcile_files(
    *,
    expected: Mapping[str, Expected],
    stats: Mapping[str, FileStat],
    existing: Mapping[str, dict[str, Any]],
    file_types: Mapping[str, str],
    unlisted: Iterable[str],
    elsewhere: Mapping[str, FileStat],
    is_run_file: Callable[[str], bool],
    sample_pks: Mapping[str, int],
    scan_id: int,
    run_pk: int,
    now: datetime,
) -> Plan:
    """Judge every file record of one run: expected (by the layout), stats (what is on disk, by path),
    existing (the records before this scan), file_types (of the files the walk found), unlisted
    (output folders that could not be read), elsewhere (files recorded as present that the walk did not
    list but that are still on disk: the root's layout changed), is_run_file (a run file the layout knows, not requires),
    sample_pks (sample id → Sample row)."""
    plan = Plan()
    inserts, updates, drops, events, final = plan.inserts, plan.updates, plan.drops, plan.events, plan.states
    unlisted = tuple(f"{d}/" for d in unlisted)
    for path in expected.keys() | stats.keys() | existing.keys():
        exp, st, old = expected.get(path), stats.get(path) or elsewhere.get(path), existing.get(path)
        file_type = exp.file_type if exp else file_types.get(path) or old["file_type"]
        if exp:
            expect = Expect.REQUIRED
        elif st and is_run_file(path):
            expect = Expect.KNOWN
        else:
            expect = Expect.NONE
        if path in elsewhere:
            disk, problem = Disk.UNLISTED, st.error
        elif st:
            disk, problem = Disk.PRESENT, st.error
        elif path.startswith(unlisted):
            disk, problem = Disk.UNREADABLE, f"cannot read folder {path.rpartition('/')[0]}"
        else:
            disk, problem = Disk.ABSENT, ""
        verdict = judge(expect, disk, old["data_state"] if old else None, problem, st.size if st else None)
        if verdict is KEEP:
            final.append((old["data_state"], old["expected"]))
            continue
        if verdict is DROP:
            drops.append(old["id"])
            events.append(Event(run_pk, path, old["file_type"], scan_id, old["data_state"].value, None, now))
            continue
        values = dict(old) if old else {"first_seen_scan_id": None, "last_seen_scan_id": None}
        values["file_type"], values["expected"], values["message"] = file_type, exp is not None, verdict.message
        if exp:
            values["sample_pk"] = sample_pks.get(exp.sample_id) if exp.sample_id else None
        elif st or old is None:
            values["sample_pk"] = None  # on disk but no sample's: unexpected, or a run file
        if st:
            values.update(size=st.size, mtime=mtime_of(st.mtime_ns), last_seen_scan_id=scan_id)
            if values["first_seen_scan_id"] is None:
                values["first_seen_scan_id"] = scan_id
                plan.new += 1
        else:
            values.setdefault("size", None)
            values.setdefault("mtime", None)
        state = verdict.state
        final.append((state, values["expected"]))
        if old is None:
            values.update(data_state=state.value, state_changed_scan_id=scan_id)
            inserts.append({"run_pk": run_pk, "path": path, **values})
            if state not in FIRST_SEEN_STATES:  # found: first_seen_scan_id says it already
                events.append(Event(run_pk, path, file_type, scan_id, None, state.value, now))
            continue
        if state != old["data_state"]:
            values.update(data_state=state, state_changed_scan_id=scan_id)
            plan.deleted += state == DataState.DELETED
            events.append(Event(run_pk, path, file_type, scan_id, old["data_state"].value, state.value, now))
        if values != old:
            values.pop("id", None)
            values.pop("path", None)
            updates.append({"_id": old["id"], **values})
    return plan


@dataclass
class RunsPlan:
    """Which found runs are parsed again, and the warnings of the walk, by run."""

    changed: list[tuple[FoundRun, str]] = field(default_factory=list)  # (run, its new fingerprint)
    unchanged: dict[str, tuple[FoundRun, str]] = field(default_factory=dict)  # by run path
    names: set[str] = field(default_factory=set)  # run names: the same name twice in one root is one run
    warnings: list[tuple[str | None, str, str]] = field(default_factory=list)  # (run name, path, message)


def fingerprint(found: FoundRun, salt: str) -> str:
    """A run's fingerprint under one layout and root (salt): a changed layout re-parses every run."""
    return hashlib.blake2b(f"{found.fingerprint}|{salt}".encode(), digest_size=16).hexdigest()


def plan_runs(result: WalkResult, known: Mapping[str, str], salt: str, full: bool) -> RunsPlan:
    """Found runs vs the fingerprints recorded (known: by run path): unchanged ones are not parsed
    again unless full. The walk's warnings go to the run they sit in, those in no run first."""
    plan = RunsPlan()
    by_run: dict[str | None, list[WalkWarning]] = {}
    run_paths = sorted((r.path for r in result.runs), key=len, reverse=True)
    for w in result.warnings:
        owner = next((p for p in run_paths if w.path == p or w.path.startswith(p + "/")), None)
        by_run.setdefault(owner, []).append(w)
    plan.warnings = [(None, w.path, w.message) for w in by_run.pop(None, [])]
    for found in result.runs:
        if found.name in plan.names:
            message = "a run of the same name was already found; this copy is ignored"
            plan.warnings.append((found.name, found.path, message))
            continue
        plan.names.add(found.name)
        plan.warnings += [(found.name, w.path, w.message) for w in by_run.get(found.path, [])]
        new = fingerprint(found, salt)
        if known.get(found.path) == new and not full:
            plan.unchanged[found.path] = (found, new)
        else:
            plan.changed.append((found, new))
    return plan
