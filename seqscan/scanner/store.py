"""Create Models' writes: a run's record, its sheet versions and samples, its file rows and events.

Every function takes the session and writes what it is given; the rules are in reconcile.py. File
rows are inserted and updated in bulk (bulk.py), and past CHUNK_ROWS rows in chunks each committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from seqscan.enums import DataState
from seqscan.models import FileEvent, Sample, SampleSheet, SequencingFile, SequencingRun
from seqscan.scanner.bulk import insert_rows, update_rows
from seqscan.scanner.found import FoundRun
from seqscan.scanner.reconcile import MUTABLE, Event, Plan, counts
from seqscan.scanner.runfolder import RunFolder
from seqscan.scanner.samplesheet import SampleSheet as ParsedSheet

FILES = SequencingFile.__table__
# In table order, so the driver gets rows without reordering.
INSERT_COLUMNS = tuple(c.name for c in FILES.c if c.name in ("run_pk", "path", *MUTABLE))
EVENTS = FileEvent.__table__
EVENT_COLUMNS = Event._fields
SAMPLES = Sample.__table__
SAMPLE_COLUMNS = ("sheet_pk", "sample_id", "name", "project", "lane", "index", "index2", "number")
CHUNK_ROWS = 20_000  # a run writing more file rows than this commits them in chunks this size (~1 s)
IN_CLAUSE = 500  # run paths per query for unchanged runs


def known_fingerprints(session: Session, root: str) -> dict[str, str]:
    """{run path: fingerprint} of the runs recorded under root: a scan only reads its own root's runs."""
    query = select(SequencingRun.path, SequencingRun.fingerprint).where(SequencingRun.root == root)
    return dict(session.execute(query).all())


def get_or_create_run(session: Session, found: FoundRun, root: str, scan_id: int, now: datetime) -> SequencingRun:
    run = session.scalar(select(SequencingRun).where(SequencingRun.root == root, SequencingRun.path == found.path))
    if run is None:
        run = SequencingRun(name=found.name, root=root, path=found.path, first_seen_at=now, first_seen_scan_id=scan_id)
        session.add(run)
    run.kit = found.kit
    run.last_seen_at, run.last_seen_scan_id = now, scan_id
    return run


def twins(session: Session, name: str, root: str) -> list[tuple[str, str]]:
    """(root, path) of the runs of this name recorded under other roots."""
    query = select(SequencingRun.root, SequencingRun.path).where(SequencingRun.name == name, SequencingRun.root != root)
    return [tuple(row) for row in session.execute(query)]


def current_sheet(
    session: Session, run: SequencingRun, parsed: ParsedSheet | None, scan_id: int, now: datetime
) -> SampleSheet | None:
    """Record a new sheet version if the content changed; the newest readable one is current."""
    if parsed is None:
        return run.current_sheet  # broken or missing now: keep expecting what the last good one said
    sheet = next((s for s in run.sheets if s.sha256 == parsed.sha256), None)
    if sheet is None:
        sheet = SampleSheet(
            sha256=parsed.sha256,
            format=parsed.format,
            experiment=parsed.experiment,
            first_seen_at=now,
            first_seen_scan_id=scan_id,
        )
        run.sheets.append(sheet)
        session.flush()
        rows = [[sheet.id, s.sample_id, s.name, s.project, s.lane, s.index, s.index2, s.number] for s in parsed.samples]
        insert_rows(session, SAMPLES, SAMPLE_COLUMNS, rows)  # a 96-sample sheet in one go, not 96 flushes
    # Set on known versions too: they may have been recorded before these columns existed.
    sheet.no_lane_splitting = parsed.no_lane_splitting
    sheet.override_cycles, sheet.index_fastqs, sheet.reads = parsed.override_cycles, parsed.index_fastqs, parsed.reads
    for s in run.sheets:
        s.is_current = s is sheet
    return sheet


def sheet_samples(session: Session, sheet: SampleSheet | None) -> list:
    """The sheet's sample rows in sheet order: (sample_id, name, lane, number, project, id)."""
    if sheet is None:
        return []
    query = select(Sample.sample_id, Sample.name, Sample.lane, Sample.number, Sample.project, Sample.id).where(
        Sample.sheet_pk == sheet.id
    )
    return session.execute(query.order_by(Sample.id)).all()


def apply_metadata(run: SequencingRun, folder: RunFolder) -> None:
    ident = folder.identity
    run.run_id, run.date, run.instrument = ident.run_id, ident.date, ident.instrument
    run.run_number, run.flowcell, run.experiment = ident.run_number, ident.flowcell, ident.experiment
    run.sequencer_model = folder.sequencer_model or ""
    run.completion_status, run.run_failed = folder.completion_status, folder.run_failed


def existing_rows(session: Session, run_pk: int) -> dict[str, dict[str, Any]]:
    """The run's file records as plain dicts (id, path and MUTABLE), by path."""
    columns = (FILES.c.id, FILES.c.path, *(FILES.c[c] for c in MUTABLE))
    rows = session.execute(select(*columns).where(FILES.c.run_pk == run_pk)).mappings()
    return {row["path"]: dict(row) for row in rows}


def write_plan(session: Session, run: SequencingRun, plan: Plan) -> None:
    """Write one run's file changes: in the caller's transaction, or, past CHUNK_ROWS rows, in
    chunks each committed, so that no write transaction lasts long (SQLite has one writer: pages
    and the scan's heartbeat would wait). Until the last chunk is in, the run has no fingerprint:
    a scan stopped half-way leaves it to be parsed again by the next one."""
    inserts = [[row[c] for c in INSERT_COLUMNS] for row in plan.inserts]
    events, drop = [list(e) for e in plan.events], plan.drops
    updates = [[row["_id"], *(row[c] for c in MUTABLE)] for row in plan.updates]
    chunked = len(inserts) + len(events) + len(updates) + len(drop) > CHUNK_ROWS
    reopen(session, run, {e.path for e in plan.events})
    if chunked:
        run.fingerprint = ""
    for i in range(0, max(len(inserts), len(events), len(updates), len(drop)), CHUNK_ROWS):
        insert_rows(session, FILES, INSERT_COLUMNS, inserts[i : i + CHUNK_ROWS])
        insert_rows(session, EVENTS, EVENT_COLUMNS, events[i : i + CHUNK_ROWS])
        update_rows(session, FILES, MUTABLE, updates[i : i + CHUNK_ROWS])
        if drop[i : i + CHUNK_ROWS]:
            session.execute(FILES.delete().where(FILES.c.id.in_(drop[i : i + CHUNK_ROWS])))
        if chunked:
            session.commit()


def reopen(session: Session, run: SequencingRun, changed: set[str]) -> None:
    """Files whose state changed (changed: their paths) are no longer acknowledged, nor is their run:
    an acknowledgement (seqscan.acknowledge) was of what was there then."""
    if not changed:
        return
    run.acknowledged_action_id = None
    acknowledged = session.execute(
        select(FILES.c.id, FILES.c.path).where(FILES.c.run_pk == run.id, FILES.c.acknowledged_action_id.is_not(None))
    ).all()
    ids = [file_id for file_id, path in acknowledged if path in changed]
    if ids:
        session.execute(FILES.update().where(FILES.c.id.in_(ids)).values(acknowledged_action_id=None))


def stored_states(session: Session, run_pk: int) -> list[tuple[DataState, bool]]:
    """(state, expected) of every file record of the run, as written."""
    return session.execute(select(FILES.c.data_state, FILES.c.expected).where(FILES.c.run_pk == run_pk)).all()


def update_counts(run: SequencingRun, states: Iterable[tuple[DataState, bool]]) -> None:
    """Completeness counts on the run, from (state, expected) pairs."""
    c = counts(states)
    run.expected_count, run.complete_count, run.missing_count = c.expected, c.complete, c.missing
    run.unexpected_count, run.error_count = c.unexpected, c.error


def touch_unchanged(session: Session, root: str, scan_id: int, paths: list[str]) -> list[tuple[str, str]]:
    """Unchanged runs (by path under root) cost one UPDATE; returns their standing warnings,
    (run name, message), to carry onto this scan."""
    now, standing = datetime.now(UTC), []
    for i in range(0, len(paths), IN_CLAUSE):
        ours = [SequencingRun.root == root, SequencingRun.path.in_(paths[i : i + IN_CLAUSE])]
        session.execute(update(SequencingRun).where(*ours).values(last_seen_at=now, last_seen_scan_id=scan_id))
        for name, warnings in session.execute(
            select(SequencingRun.name, SequencingRun.warnings).where(*ours, SequencingRun.warnings != "")
        ):
            standing += [(name, message) for message in warnings.splitlines()]
    return standing
