"""Create Models: reconcile one run folder's findings with the database, in one transaction."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select

from seqscan.enums import MISSING_STATES, PRESENT_STATES, DataState
from seqscan.extensions import db
from seqscan.layout import Expected, Profile
from seqscan.models import FileEvent, Sample, SampleSheet, ScanRun, SequencingFile, SequencingRun
from seqscan.scanner.bulk import insert_rows
from seqscan.scanner.found import FoundRun
from seqscan.scanner.judge import DROP, KEEP, Disk, Expect, judge
from seqscan.scanner.runfolder import (
    MAX_BYTES,
    TRUNCATED,
    FileStat,
    RunFolder,
    bgzf_truncated,
    read_run_folder,
    stat_files,
)
from seqscan.scanner.samplesheet import MAX_SAMPLES

FILES = SequencingFile.__table__
# Every column a rescan may change; update rows carry all of them so one executemany serves all.
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
# In table order, so the driver gets rows without reordering.
INSERT_COLUMNS = tuple(c.name for c in FILES.c if c.name in ("run_pk", "path", *MUTABLE))
EVENTS = FileEvent.__table__
EVENT_COLUMNS = ("run_pk", "path", "file_type", "scan_id", "from_state", "to_state", "at")
# A new record in one of these states needs no event: its first_seen_scan_id records the find.
FIRST_SEEN_STATES = frozenset({DataState.COMPLETE, DataState.UNEXPECTED})
CHUNK_ROWS = 20_000  # a run writing more file rows than this commits them in chunks this size (~1 s)
UPDATE_FILE = FILES.update().where(FILES.c.id == bindparam("_id")).values({c: bindparam(c) for c in MUTABLE})


@dataclass
class SyncResult:
    run: SequencingRun
    new_files: int = 0
    deleted_files: int = 0
    vanished_files: int = 0  # listed by the walk, gone when looked at
    present_before: int = 0  # of the run's file records, those that were on disk before this scan
    bgzf_checked: int = 0
    warnings: list[str] = field(default_factory=list)


def _mtime(ns: int | None) -> datetime | None:
    return datetime.fromtimestamp(ns / 1e9, UTC) if ns else None


def get_or_create_run(found: FoundRun, root: str, scan: ScanRun, now: datetime) -> SequencingRun:
    run = db.session.scalar(select(SequencingRun).where(SequencingRun.root == root, SequencingRun.path == found.path))
    if run is None:
        run = SequencingRun(name=found.name, root=root, path=found.path, first_seen_at=now, first_seen_scan_id=scan.id)
        db.session.add(run)
    run.kit = found.kit
    run.last_seen_at, run.last_seen_scan_id = now, scan.id
    return run


def _current_sheet(run: SequencingRun, folder: RunFolder, scan: ScanRun, now: datetime) -> SampleSheet | None:
    """Record a new sheet version if the content changed; the newest readable one is current."""
    parsed = folder.sheet
    if parsed is None:
        return run.current_sheet  # broken or missing now: keep expecting what the last good one said
    sheet = next((s for s in run.sheets if s.sha256 == parsed.sha256), None)
    if sheet is not None:
        sheet.no_lane_splitting = parsed.no_lane_splitting  # versions recorded before the column existed
    else:
        sheet = SampleSheet(
            sha256=parsed.sha256,
            format=parsed.format,
            experiment=parsed.experiment,
            no_lane_splitting=parsed.no_lane_splitting,
            first_seen_at=now,
            first_seen_scan_id=scan.id,
        )
        run.sheets.append(sheet)
        db.session.flush()
        if parsed.samples:  # Core executemany: a 96-sample sheet is one statement, not 96 flushes
            db.session.execute(
                Sample.__table__.insert(),
                [
                    {
                        "sheet_pk": sheet.id,
                        "sample_id": s.sample_id,
                        "name": s.name,
                        "project": s.project,
                        "lane": s.lane,
                        "index": s.index,
                        "index2": s.index2,
                        "number": s.number,
                    }
                    for s in parsed.samples
                ],
            )
    for s in run.sheets:
        s.is_current = s is sheet
    return sheet


def _apply_metadata(run: SequencingRun, folder: RunFolder) -> None:
    ident = folder.identity
    run.run_id, run.date, run.instrument = ident.run_id, ident.date, ident.instrument
    run.run_number, run.flowcell, run.experiment = ident.run_number, ident.flowcell, ident.experiment
    run.sequencer_model = folder.sequencer_model or ""


def _existing_rows(run: SequencingRun) -> dict:
    """The run's file records as plain rows, by path."""
    columns = (FILES.c.id, FILES.c.path, *(FILES.c[c] for c in MUTABLE))
    return {row.path: row for row in db.session.execute(select(*columns).where(FILES.c.run_pk == run.id))}


def _still_on_disk(
    run_dir: str, found: FoundRun, stats: dict[str, FileStat], vanished: list[str], existing: dict
) -> dict[str, FileStat]:
    """Files recorded as present that the walk did not list, but that are still there: the root is
    read with another layout than last time. A file is only ever Deleted when it is not on disk."""
    unlisted = tuple(f"{d}/" for d in found.unlisted)
    candidates = [
        path
        for path, row in existing.items()
        if row.data_state in PRESENT_STATES
        and path not in stats
        and path not in vanished
        and not path.startswith(unlisted)
    ]
    return stat_files(run_dir, candidates)[0] if candidates else {}


def _check_bgzf(run_dir: str, stats: dict[str, FileStat], existing: dict, suffixes: tuple[str, ...]) -> int:
    """Mark truncated BGZF files of stats (in place). Only new or changed files are read; an unchanged
    one keeps what the last check found. Returns how many files were read."""
    checked = 0
    for path, st in stats.items():
        if st.error or not path.endswith(suffixes):
            continue
        old = existing.get(path)
        if old is not None and old.size == st.size and old.mtime == _mtime(st.mtime_ns):
            truncated = old.message == TRUNCATED
        else:
            checked += 1
            truncated = bgzf_truncated(f"{run_dir}/{path}", st.size)
        if truncated:
            stats[path] = st._replace(error=TRUNCATED)
    return checked


def _reconcile_files(
    run: SequencingRun,
    found: FoundRun,
    stats: dict[str, FileStat],
    expected: dict[str, Expected],
    existing: dict,
    profile: Profile,
    sample_pks: dict[str, int],
    scan: ScanRun,
    elsewhere: dict[str, FileStat],
) -> tuple[int, int, list[tuple[str, bool]]]:
    """Judge every file record of the run and write the changes; returns (new files, newly deleted
    files, final (state, expected) pairs). elsewhere: files recorded as present that the walk did
    not list but are still on disk (the root's layout changed)."""
    types = {f.path: f.file_type for f in found.files}
    # Plain locals: an ORM attribute read costs ~2 µs, and this loop runs once per file.
    scan_id, run_pk, run_name = scan.id, run.id, run.name
    unlisted = tuple(f"{d}/" for d in found.unlisted)
    inserts, updates, drop, final, events = [], [], [], [], []
    new = deleted = 0
    now = datetime.now(UTC)
    for path in expected.keys() | stats.keys() | existing.keys():
        exp, st, old = expected.get(path), stats.get(path) or elsewhere.get(path), existing.get(path)
        file_type = exp.file_type if exp else types.get(path) or old.file_type
        if exp:
            expect = Expect.REQUIRED
        elif st and profile.run_file_type(run_name, path) is not None:
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
        verdict = judge(expect, disk, old.data_state if old else None, problem, st.size if st else None)
        if verdict is KEEP:
            final.append((old.data_state, old.expected))
            continue
        if verdict is DROP:
            drop.append(old.id)
            events.append([run_pk, path, old.file_type, scan_id, old.data_state.value, None, now])
            continue
        values = dict(old._mapping) if old else {"first_seen_scan_id": None, "last_seen_scan_id": None}
        values["file_type"], values["expected"], values["message"] = file_type, exp is not None, verdict.message
        if exp:
            values["sample_pk"] = sample_pks.get(exp.sample_id) if exp.sample_id else None
        elif st or old is None:
            values["sample_pk"] = None  # on disk but no sample's: unexpected, or a run file
        if st:
            values.update(size=st.size, mtime=_mtime(st.mtime_ns), last_seen_scan_id=scan_id)
            if values["first_seen_scan_id"] is None:
                values["first_seen_scan_id"] = scan_id
                new += 1
        else:
            values.setdefault("size", None)
            values.setdefault("mtime", None)
        state = verdict.state
        final.append((state, values["expected"]))
        if old is None:
            values.update(data_state=state.value, state_changed_scan_id=scan_id)
            inserts.append({"run_pk": run_pk, "path": path, **values})
            if state not in FIRST_SEEN_STATES:  # found: first_seen_scan_id says it already
                events.append([run_pk, path, file_type, scan_id, None, state.value, now])
            continue
        if state != old.data_state:
            values.update(data_state=state, state_changed_scan_id=scan_id)
            deleted += state == DataState.DELETED
            events.append([run_pk, path, file_type, scan_id, old.data_state.value, state.value, now])
        if values != dict(old._mapping):
            values.pop("id", None)
            values.pop("path", None)
            updates.append({"_id": old.id, **values})
    _write(run, [[row[c] for c in INSERT_COLUMNS] for row in inserts], events, updates, drop)
    return new, deleted, final


def _write(run: SequencingRun, inserts: list[list], events: list[list], updates: list[dict], drop: list[int]) -> None:
    """Write one run's file changes: in the caller's transaction, or, past CHUNK_ROWS rows, in
    chunks each committed, so that no write transaction lasts long (SQLite has one writer: pages
    and the scan's heartbeat would wait). Until the last chunk is in, the run has no fingerprint:
    a scan stopped half-way leaves it to be parsed again by the next one."""
    chunked = len(inserts) + len(events) + len(updates) + len(drop) > CHUNK_ROWS
    if chunked:
        run.fingerprint = ""
    for i in range(0, max(len(inserts), len(events), len(updates), len(drop)), CHUNK_ROWS):
        insert_rows(db.session, FILES, INSERT_COLUMNS, inserts[i : i + CHUNK_ROWS])
        insert_rows(db.session, EVENTS, EVENT_COLUMNS, events[i : i + CHUNK_ROWS])
        if updates[i : i + CHUNK_ROWS]:
            db.session.execute(UPDATE_FILE, updates[i : i + CHUNK_ROWS])
        if drop[i : i + CHUNK_ROWS]:
            db.session.execute(FILES.delete().where(FILES.c.id.in_(drop[i : i + CHUNK_ROWS])))
        if chunked:
            db.session.commit()


def _update_counts(run: SequencingRun, states: list[tuple[str, bool]] | None = None) -> None:
    """Completeness counts on the run, from the given (state, expected) pairs or the database."""
    if states is None:
        states = db.session.execute(select(FILES.c.data_state, FILES.c.expected).where(FILES.c.run_pk == run.id)).all()
    run.expected_count = sum(1 for s, e in states if e)
    run.complete_count = sum(1 for s, e in states if e and s == DataState.COMPLETE)
    run.missing_count = sum(1 for s, e in states if e and s in MISSING_STATES)
    run.unexpected_count = sum(1 for s, e in states if s == DataState.UNEXPECTED)
    run.error_count = sum(1 for s, e in states if s == DataState.ERROR)


def sync_run(
    found: FoundRun,
    root: str,
    profile: Profile,
    scan: ScanRun,
    fingerprint: str,
    check_bgzf: bool = True,
    max_samples: int = MAX_SAMPLES,
    max_bytes: int = MAX_BYTES,
) -> SyncResult:
    """Parse one changed run folder and reconcile its records; the caller commits or rolls back.

    check_bgzf: read the end of new or changed .gz and .bam files for the BGZF end-of-file block.
    max_samples: a sheet listing more is an unreadable sheet (the run is Error with the count).
    max_bytes: a sheet or run XML larger than this is not read (the run is Error with its size).
    """
    now = datetime.now(UTC)
    run = get_or_create_run(found, root, scan, now)
    result = SyncResult(run)
    twins = db.session.execute(
        select(SequencingRun.root, SequencingRun.path).where(
            SequencingRun.name == found.name, SequencingRun.root != root
        )
    ).all()
    twin_warnings = [
        f"the same run name is also recorded at {r}/{p}: two runs, each judged under its own root" for r, p in twins
    ]
    if found.skipped:
        # Skipped: earlier records stay as they are; nothing new is expected.
        run.skipped, run.data_state, run.fingerprint, run.warnings = True, DataState.SKIPPED, fingerprint, ""
        run.skip_reason = f"marker {found.skip_marker} in the run folder"
        return result
    run_dir = f"{root}/{found.path}"
    folder = read_run_folder(run_dir, profile, max_samples, max_bytes)
    stats, vanished = stat_files(run_dir, [f.path for f in found.files])
    db.session.flush()  # the run needs its id
    _apply_metadata(run, folder)
    sheet = _current_sheet(run, folder, scan, now)
    samples = (
        db.session.execute(
            select(Sample.sample_id, Sample.name, Sample.lane, Sample.number, Sample.id)
            .where(Sample.sheet_pk == sheet.id)
            .order_by(Sample.id)
        ).all()
        if sheet
        else []
    )
    lane_count = folder.identity.lane_count
    layout_warnings: list[str] = []
    expected = profile.expected(
        run.name,
        samples,
        lanes=range(1, lane_count + 1) if lane_count else (),
        no_lane_splitting=bool(sheet and sheet.no_lane_splitting),
        on_disk=[f.path for f in found.files],
        warnings=layout_warnings,
    )
    sample_pks = {s.sample_id: s.id for s in reversed(samples)}  # first row of a sample wins
    existing = _existing_rows(run)
    result.present_before = sum(1 for row in existing.values() if row.data_state in PRESENT_STATES)
    elsewhere = _still_on_disk(run_dir, found, stats, vanished, existing)
    result.vanished_files = len(vanished)
    if check_bgzf:
        result.bgzf_checked = _check_bgzf(run_dir, stats, existing, profile.bgzf_suffixes)
    result.warnings = twin_warnings + folder.warnings + layout_warnings + folder.errors
    result.warnings += [folder.sheet_error] if folder.sheet_error else []
    result.warnings += [f"{p}: vanished while scanning" for p in vanished]
    result.warnings += [f"{p}: {st.error}" for p, st in stats.items() if st.error]
    sheet_path = profile.sample_sheet
    if folder.sheet_error and sheet_path in stats:  # the sheet is there but unusable: an Error file
        stats[sheet_path] = stats[sheet_path]._replace(error=folder.sheet_error)
    result.new_files, result.deleted_files, states = _reconcile_files(
        run, found, stats, expected, existing, profile, sample_pks, scan, elsewhere
    )
    _update_counts(run, states)
    run.skipped, run.skip_reason = False, ""
    run.data_state = DataState.ERROR if folder.sheet_error or folder.errors else DataState.COMPLETE
    run.warnings = "\n".join(result.warnings)
    # Judged under an error (files vanished mid-scan, a folder or the sheet unreadable): no
    # fingerprint, so the next scan parses the run again even if no mtime moves (a folder moved
    # away and back, a sheet rewritten with the same size and mtime).
    under_error = vanished or found.unlisted or folder.sheet_error or folder.errors
    run.fingerprint = "" if under_error else fingerprint
    return result


class Vanished(NamedTuple):
    known: int  # runs under the root not already Deleted
    gone: list[SequencingRun]  # of those, the ones whose folder was not found
    skipped: list[tuple[SequencingRun, str]]  # not looked for: below a kit folder with a skip marker (why)
    unjudged: list[str]  # not found, but below an unreadable folder: not judged
    still_there: list[SequencingRun]  # not found as a run, but its folder is on disk: not judged


def _below(path: str, folder: str) -> bool:
    return folder == "." or path == folder or path.startswith(folder.rstrip("/") + "/")


def vanished_runs(root: str, found: set[str], blind_spots: list[str], skipped_folders: dict[str, str]) -> Vanished:
    """The runs under root that the database knows and this scan did not find (found: run paths)."""
    candidates = db.session.scalars(
        select(SequencingRun).where(SequencingRun.root == root, SequencingRun.data_state != DataState.DELETED)
    ).all()
    gone, skipped, unjudged, still_there = [], [], [], []
    for run in candidates:
        if run.path in found:
            continue
        kit = next((f for f in skipped_folders if _below(run.path, f)), None)
        if kit is not None:
            skipped.append((run, f"marker {skipped_folders[kit]} in {kit}/"))
        elif any(_below(run.path, b) for b in blind_spots):
            unjudged.append(run.name)
        elif os.path.isdir(f"{root}/{run.path}"):  # no longer found as a run, yet there: never Deleted
            still_there.append(run)
        else:
            gone.append(run)
    return Vanished(len(candidates), gone, skipped, unjudged, still_there)


def mark_skipped(runs: list[tuple[SequencingRun, str]]) -> None:
    """Runs below a skip-marked kit folder: Skipped, their files as last seen. The fingerprint is
    forgotten so that the run is parsed again once the marker goes."""
    for run, reason in runs:
        run.skipped, run.data_state, run.skip_reason, run.fingerprint = True, DataState.SKIPPED, reason, ""
    db.session.commit()


def mark_deleted(runs: list[SequencingRun], scan: ScanRun) -> int:
    """Mark runs gone from disk Deleted with their files, one transaction per run; returns files newly deleted."""
    files = 0
    for run in runs:
        present = [FILES.c.run_pk == run.id, FILES.c.data_state.in_([s.value for s in PRESENT_STATES])]
        now = datetime.now(UTC)
        events = [
            [run.id, path, file_type, scan.id, state.value, DataState.DELETED.value, now]
            for path, file_type, state in db.session.execute(
                select(FILES.c.path, FILES.c.file_type, FILES.c.data_state).where(*present)
            )
        ]
        insert_rows(db.session, EVENTS, EVENT_COLUMNS, events)
        result = db.session.execute(
            FILES.update().where(*present).values(data_state=DataState.DELETED, state_changed_scan_id=scan.id)
        )
        files += result.rowcount
        run.data_state, run.fingerprint, run.skipped = DataState.DELETED, "", False
        _update_counts(run)
        db.session.commit()
    return files
