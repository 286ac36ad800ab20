"""Create Models' reconcile step as a table: (what the layout expects, what the disk holds, the record
before) -> the row the plan writes, the state after, the event. Pure: no database, no files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seqscan.enums import DataState
from seqscan.layout import Expected
from seqscan.scanner.found import FoundRun, WalkResult, WalkWarning
from seqscan.scanner.reconcile import MUTABLE, Event, counts, fingerprint, mtime_of, plan_runs, reconcile_files
from seqscan.scanner.runfolder import FileStat

C, N, D, S, E, U = DataState  # Complete, Non-existent, Deleted, Skipped, Error, Unexpected, in order
SCAN, EARLIER, RUN_PK, NOW = 9, 4, 3, datetime(2026, 1, 5, tzinfo=UTC)
PATH = "1_BAM/S1.bam"
MTIME_NS = 1_700_000_000 * 10**9
REQ, RUN_FILE, NONE = "required", "a run file", "nothing asks"  # what the layout says of PATH
HERE, EMPTY, BROKEN, GONE, BLIND = "here", "empty", "broken symlink", "gone", "folder unreadable"
ELSEWHERE = "on disk, where the (changed) layout lists nothing"
INSERT, UPDATE, DROP, NOTHING = "insert", "update", "drop", "nothing written"


def _record(state: DataState, expected: bool = True, **changes) -> dict:
    """A file record as store.existing_rows reads it."""
    row = {
        "id": 41,
        "path": PATH,
        "file_type": "bam",
        "expected": expected,
        "sample_pk": 7 if expected else None,
        "data_state": state,
        "size": 100 if state in (C, U, E) else None,
        "mtime": mtime_of(MTIME_NS) if state in (C, U, E) else None,
        "message": "",
        "first_seen_scan_id": EARLIER if state != N else None,
        "last_seen_scan_id": EARLIER if state != N else None,
        "state_changed_scan_id": EARLIER,
    }
    return row | changes


def _plan(expect: str, disk: str, before: dict | None, sample_pks: dict | None = None, sample: str | None = "S1"):
    stats = {
        HERE: {PATH: FileStat(100, MTIME_NS, "")},
        EMPTY: {PATH: FileStat(0, MTIME_NS, "")},
        BROKEN: {PATH: FileStat(None, None, "broken symlink")},
    }.get(disk, {})
    return reconcile_files(
        expected={PATH: Expected(PATH, "bam", sample)} if expect == REQ else {},
        stats=stats,
        existing={PATH: before} if before else {},
        file_types={PATH: "bam" if expect != NONE else "unknown"},
        unlisted=["1_BAM"] if disk == BLIND else [],
        elsewhere={PATH: FileStat(100, MTIME_NS, "")} if disk == ELSEWHERE else {},
        is_run_file=lambda path: expect == RUN_FILE,
        sample_pks={"S1": 7} if sample_pks is None else sample_pks,
        scan_id=SCAN,
        run_pk=RUN_PK,
        now=NOW,
    )


def _written(plan) -> str:
    kinds = [kind for kind, rows in ((INSERT, plan.inserts), (UPDATE, plan.updates), (DROP, plan.drops)) if rows]
    assert len(kinds) <= 1 and sum(map(len, (plan.inserts, plan.updates, plan.drops))) <= 1, plan
    return kinds[0] if kinds else NOTHING


TABLE = [
    # expect, disk, state before (None: no record), written, state after (None: no record), event, new, deleted
    # A new expected file found: inserted Complete, no event (its first_seen_scan_id says it), counted new.
    (REQ, HERE, None, INSERT, C, None, 1, 0),
    (REQ, HERE, C, UPDATE, C, None, 0, 0),  # still there: last seen by this scan, no event
    (REQ, HERE, E, UPDATE, C, (E, C), 0, 0),  # an unreadable file became readable
    (REQ, HERE, N, UPDATE, C, (N, C), 1, 0),  # a missing file arrived
    (REQ, HERE, D, UPDATE, C, (D, C), 0, 0),  # a deleted file came back: seen before, not new
    (REQ, EMPTY, None, INSERT, E, (None, E), 1, 0),  # an expected file of 0 bytes is no data
    (REQ, BROKEN, C, UPDATE, E, (C, E), 0, 0),
    # Expected but never found: a Non-existent record, with its event; missing stays missing quietly.
    (REQ, GONE, None, INSERT, N, (None, N), 0, 0),
    (REQ, GONE, N, NOTHING, N, None, 0, 0),
    # Previously on disk, now absent: Deleted, with its event, counted deleted; expected or not.
    (REQ, GONE, C, UPDATE, D, (C, D), 0, 1),
    (NONE, GONE, C, UPDATE, D, (C, D), 0, 1),
    (NONE, GONE, U, UPDATE, D, (U, D), 0, 1),
    (REQ, GONE, D, NOTHING, D, None, 0, 0),  # stays Deleted, not deleted again
    # Its folder could not be listed: an expected file is Error (unknowable, never Deleted) ...
    (REQ, BLIND, None, INSERT, E, (None, E), 0, 0),
    (REQ, BLIND, C, UPDATE, E, (C, E), 0, 0),
    # ... and a record nothing expects is KEPT as it was: no row, no event.
    (NONE, BLIND, C, NOTHING, C, None, 0, 0),
    (NONE, BLIND, U, NOTHING, U, None, 0, 0),
    # A file nothing expects: Unexpected, a new record without event; a file the sheet dropped becomes one.
    (NONE, HERE, None, INSERT, U, None, 1, 0),
    (NONE, HERE, C, UPDATE, U, (C, U), 0, 0),
    (NONE, EMPTY, None, INSERT, U, None, 1, 0),  # an empty unexpected file is just there
    # A run file the layout knows but does not require (another caller's joint VCF): Complete.
    (RUN_FILE, HERE, None, INSERT, C, None, 1, 0),
    (RUN_FILE, EMPTY, C, UPDATE, E, (C, E), 0, 0),
    # DROP: a file the sheet stopped asking for, never found, goes with a "to nothing" event.
    (NONE, GONE, N, DROP, None, (N, None), 0, 0),
    # KEEP: Deleted and Skipped records nothing asks for stay as history.
    (NONE, GONE, D, NOTHING, D, None, 0, 0),
    (NONE, GONE, S, NOTHING, S, None, 0, 0),
    # Recorded as present, not listed by the walk but still on disk (the root's layout changed):
    # never Deleted for the change. Complete if the new layout asks for it; else the record goes.
    (REQ, ELSEWHERE, C, UPDATE, C, None, 0, 0),
    (NONE, ELSEWHERE, C, DROP, None, (C, None), 0, 0),
    (NONE, ELSEWHERE, U, DROP, None, (U, None), 0, 0),
]


@pytest.mark.parametrize(("expect", "disk", "before", "written", "after", "event", "new", "deleted"), TABLE)
def test_reconcile_one_file(expect, disk, before, written, after, event, new, deleted):
    plan = _plan(expect, disk, _record(before, expected=expect == REQ) if before else None)
    assert _written(plan) == written
    assert [s for s, _ in plan.states] == ([after] if after else [])
    assert [(e.from_state, e.to_state) for e in plan.events] == ([event] if event else [])
    assert (plan.new, plan.deleted) == (new, deleted)


def test_the_table_covers_every_disk_and_every_way_a_record_is_written():
    assert {r[1] for r in TABLE} == {HERE, EMPTY, BROKEN, GONE, BLIND, ELSEWHERE}
    assert {r[3] for r in TABLE} == {INSERT, UPDATE, DROP, NOTHING}
    assert {r[2] for r in TABLE} == {None, *DataState}


def test_a_new_record_is_inserted_with_every_column_and_its_state_as_a_plain_value():
    (row,) = _plan(REQ, HERE, None).inserts
    assert row == {
        "run_pk": RUN_PK,
        "path": PATH,
        "file_type": "bam",
        "expected": True,
        "sample_pk": 7,
        "data_state": "Complete",
        "size": 100,
        "mtime": mtime_of(MTIME_NS),
        "message": "",
        "first_seen_scan_id": SCAN,
        "last_seen_scan_id": SCAN,
        "state_changed_scan_id": SCAN,
    }
    assert type(row["data_state"]) is str  # the driver gets plain values (bulk.py)


def test_an_update_carries_every_column_a_rescan_may_change_and_the_event_says_when():
    plan = _plan(REQ, GONE, _record(C))
    (row,) = plan.updates
    assert set(row) == {"_id", *MUTABLE} and row["_id"] == 41
    assert (row["data_state"], row["state_changed_scan_id"], row["last_seen_scan_id"]) == (D, SCAN, EARLIER)
    assert plan.events == [Event(RUN_PK, PATH, "bam", SCAN, "Complete", "Deleted", NOW)]


def test_the_unreadable_folder_is_the_message_of_an_expected_file_in_it():
    (row,) = _plan(REQ, BLIND, None).inserts
    assert (row["data_state"], row["message"]) == ("Error", "cannot read folder 1_BAM")


def test_a_record_not_on_disk_whose_verdict_stands_is_not_written():
    assert _written(_plan(REQ, GONE, _record(N))) == NOTHING
    assert _written(_plan(REQ, GONE, _record(D))) == NOTHING


def test_a_file_that_changed_size_is_updated_though_its_state_stays():
    plan = _plan(REQ, HERE, _record(C, size=50))
    assert [(r["size"], r["last_seen_scan_id"]) for r in plan.updates] == [(100, SCAN)] and plan.events == []


@pytest.mark.parametrize(
    ("expect", "disk", "before", "sample", "sample_pk"),
    [
        (REQ, HERE, None, "S1", 7),  # an expected file is its sample's
        (REQ, GONE, None, "S2", 12),  # missing, still its sample's
        (REQ, HERE, None, "S3", None),  # a sample the sheet rows do not name
        (REQ, HERE, None, None, None),  # a run-level file: no sample
        (REQ, HERE, _record(C) | {"sample_pk": 12}, "S1", 7),  # the sheet moved it to another sample
        (NONE, HERE, _record(C), None, None),  # on disk but no sample's any more: unexpected
        (NONE, GONE, _record(C), None, 7),  # gone and nothing asks for it: the sample it was deleted as
    ],
)
def test_sample_pk_assignment(expect, disk, before, sample, sample_pk):
    plan = _plan(expect, disk, before, sample_pks={"S1": 7, "S2": 12}, sample=sample)
    (row,) = plan.inserts or plan.updates
    assert row["sample_pk"] == sample_pk


def test_counts_count_only_expected_files_as_missing_and_complete():
    states = [(C, True), (N, True), (D, True), (D, False), (E, True), (U, False), (S, True)]
    assert counts(states) == (5, 1, 2, 1, 1)  # expected, complete, missing, unexpected, error


def _found(path: str, stamp: str = "a") -> FoundRun:
    return FoundRun(path=path, fingerprint=stamp)


def test_runs_are_parsed_again_only_when_their_fingerprint_moved_or_the_scan_is_full():
    a, b, c = _found("kit/RUN_A"), _found("kit/RUN_B"), _found("RUN_C")
    result = WalkResult(runs=[a, b, c])
    known = {"kit/RUN_A": fingerprint(a, "salt"), "kit/RUN_B": fingerprint(_found("kit/RUN_B", "old"), "salt")}
    plan = plan_runs(result, known, "salt", full=False)
    assert list(plan.unchanged) == ["kit/RUN_A"] and [f.path for f, _ in plan.changed] == ["kit/RUN_B", "RUN_C"]
    assert plan_runs(result, known, "another layout", full=False).unchanged == {}
    assert plan_runs(result, known, "salt", full=True).unchanged == {}


def test_a_second_run_of_the_same_name_is_ignored_and_walk_warnings_go_to_their_run():
    first, twin = _found("kit1/RUN_A"), _found("kit2/RUN_A")
    warnings = [WalkWarning("kit1/RUN_A/1_BAM", "cannot read"), WalkWarning("kit3", "permission denied")]
    plan = plan_runs(WalkResult(runs=[first, twin], warnings=warnings), {}, "salt", full=False)
    assert [f.path for f, _ in plan.changed] == ["kit1/RUN_A"] and plan.names == {"RUN_A"}
    assert plan.warnings == [
        (None, "kit3", "permission denied"),
        ("RUN_A", "kit1/RUN_A/1_BAM", "cannot read"),
        ("RUN_A", "kit2/RUN_A", "a run of the same name was already found; this copy is ignored"),
    ]
