"""Create Models: reconcile one run folder's findings with the database, in one transaction."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from seqscan.extensions import db
from seqscan.layout import Expected, Profile
from seqscan.models import Sample, SampleSheet, ScanRun, SequencingFile, SequencingRun
from seqscan.scanner.runfolder import RunFolder, read_run_folder
from seqscan.scanner.walk import FoundRun
from seqscan.states import PRESENT_STATES, DataState

FILE_COLUMNS = (
    SequencingFile.id,
    SequencingFile.path,
    SequencingFile.data_state,
    SequencingFile.size,
    SequencingFile.mtime,
    SequencingFile.expected,
    SequencingFile.sample_pk,
    SequencingFile.file_type,
    SequencingFile.first_seen_at,
    SequencingFile.message,
)


@dataclass
class SyncResult:
    run: SequencingRun
    new_files: int = 0
    deleted_files: int = 0
    warnings: list[str] = field(default_factory=list)


def _mtime(ns: int) -> datetime | None:
    return datetime.fromtimestamp(ns / 1e9, UTC) if ns else None


def get_or_create_run(found: FoundRun, root: str, scan: ScanRun, now: datetime) -> SequencingRun:
    run = db.session.scalar(select(SequencingRun).where(SequencingRun.name == found.name))
    if run is None:
        run = SequencingRun(name=found.name, first_seen_at=now, first_seen_scan_id=scan.id)
        db.session.add(run)
    run.root, run.path, run.kit = root, found.path, found.kit
    run.last_seen_at, run.last_seen_scan_id = now, scan.id
    return run


def _current_sheet(run: SequencingRun, folder: RunFolder, scan: ScanRun, now: datetime) -> SampleSheet | None:
    """Record a new sheet version if the content changed; the newest readable one is current."""
    parsed = folder.sheet
    if parsed is None:
        return run.current_sheet  # broken or missing now: keep expecting what the last good one said
    sheet = next((s for s in run.sheets if s.sha256 == parsed.sha256), None)
    if sheet is None:
        sheet = SampleSheet(
            sha256=parsed.sha256,
            format=parsed.format,
            experiment=parsed.experiment,
            first_seen_at=now,
            first_seen_scan_id=scan.id,
            samples=[
                Sample(
                    sample_id=s.sample_id,
                    name=s.name,
                    project=s.project,
                    lane=s.lane,
                    index=s.index,
                    index2=s.index2,
                    number=s.number,
                )
                for s in parsed.samples
            ],
        )
        run.sheets.append(sheet)
    for s in run.sheets:
        s.is_current = s is sheet
    return sheet


def _apply_metadata(run: SequencingRun, folder: RunFolder) -> None:
    ident = folder.identity
    run.run_id, run.date, run.instrument = ident.run_id, ident.date, ident.instrument
    run.run_number, run.flowcell, run.experiment = ident.run_number, ident.flowcell, ident.experiment
    run.sequencer_model = folder.sequencer_model or ""


def _reconcile_files(
    run: SequencingRun,
    found: FoundRun,
    expected: dict[str, Expected],
    profile: Profile,
    sample_pks: dict[str, int],
    scan: ScanRun,
    now: datetime,
    sheet_error: str,
) -> tuple[int, int]:
    """Set every file record's data_state; returns (new files, newly deleted files)."""
    existing = {
        row.path: row for row in db.session.execute(select(*FILE_COLUMNS).where(SequencingFile.run_pk == run.id))
    }
    on_disk = {f.path: f for f in found.files}
    unlisted = tuple(f"{d}/" for d in found.unlisted)
    inserts, updates, drop = [], [], []
    new = deleted = 0
    for path in expected.keys() | on_disk.keys():
        exp, f, old = expected.get(path), on_disk.get(path), existing.get(path)
        values = {
            "file_type": exp.file_type if exp else f.file_type,
            "expected": exp is not None,
            "sample_pk": sample_pks.get(exp.sample_id) if exp and exp.sample_id else None,
        }
        if f:
            message = f.error or (sheet_error if values["file_type"] == "sample_sheet" else "")
            # A run file the profile does not require (another caller's joint VCF) is still known.
            known = exp is not None or profile.run_file_type(run.name, path) is not None
            state = DataState.ERROR if message else DataState.COMPLETE if known else DataState.UNEXPECTED
            values.update(
                size=f.size if f.size >= 0 else None, mtime=_mtime(f.mtime_ns), message=message, last_seen_at=now
            )
        elif path.startswith(unlisted):
            # Unknowable, not gone: an unreadable folder must not read as deleted data.
            state = DataState.ERROR
            values["message"] = f"cannot read folder {path.rpartition('/')[0]}"
        else:
            was_there = old is not None and (old.data_state in PRESENT_STATES or old.data_state == DataState.DELETED)
            state = DataState.DELETED if was_there else DataState.NON_EXISTENT
            values["message"] = ""
        values["data_state"] = state
        if f and (old is None or old.first_seen_at is None):
            values.update(first_seen_at=now, first_seen_scan_id=scan.id)
            new += 1
        if old is None:
            inserts.append({"run_pk": run.id, "path": path, "state_changed_scan_id": scan.id, **values})
            continue
        if state != old.data_state:
            values["state_changed_scan_id"] = scan.id
            deleted += state == DataState.DELETED
        if any(getattr(old, k) != v for k, v in values.items() if k in old._fields) or f:
            updates.append({"id": old.id, **values})
    for path in existing.keys() - expected.keys() - on_disk.keys():
        old = existing[path]
        if path.startswith(unlisted):
            continue
        if old.data_state in PRESENT_STATES:
            updates.append(
                {"id": old.id, "data_state": DataState.DELETED, "expected": False, "state_changed_scan_id": scan.id}
            )
            deleted += 1
        elif old.data_state == DataState.NON_EXISTENT:
            drop.append(old.id)  # the sheet no longer asks for it and it never existed
    if inserts:
        db.session.execute(insert(SequencingFile), inserts)
    if updates:
        db.session.execute(update(SequencingFile), updates)
    if drop:
        db.session.execute(delete(SequencingFile).where(SequencingFile.id.in_(drop)))
    return new, deleted


def _update_counts(run: SequencingRun) -> None:
    states = db.session.execute(
        select(SequencingFile.data_state, SequencingFile.expected).where(SequencingFile.run_pk == run.id)
    ).all()
    run.expected_count = sum(1 for s, e in states if e)
    run.complete_count = sum(1 for s, e in states if e and s == DataState.COMPLETE)
    run.missing_count = sum(1 for s, e in states if e and s in (DataState.NON_EXISTENT, DataState.DELETED))
    run.unexpected_count = sum(1 for s, e in states if s == DataState.UNEXPECTED)


def sync_run(found: FoundRun, root: str, profile: Profile, scan: ScanRun, fingerprint: str) -> SyncResult:
    """Parse one changed run folder and reconcile its records; the caller commits or rolls back."""
    now = datetime.now(UTC)
    run = get_or_create_run(found, root, scan, now)
    result = SyncResult(run)
    if found.skipped:
        # Skipped: earlier records stay as they are; nothing new is expected.
        run.skipped, run.data_state, run.fingerprint, run.warnings = True, DataState.SKIPPED, fingerprint, ""
        return result
    folder = read_run_folder(os.path.join(root, found.path))
    db.session.flush()  # the run needs its id
    _apply_metadata(run, folder)
    sheet = _current_sheet(run, folder, scan, now)
    db.session.flush()
    samples = sheet.samples if sheet else []
    expected = profile.expected(run.name, samples)
    sample_pks = {s.sample_id: s.id for s in reversed(samples)}  # first row of a sample wins
    result.new_files, result.deleted_files = _reconcile_files(
        run, found, expected, profile, sample_pks, scan, now, folder.sheet_error
    )
    _update_counts(run)
    result.warnings = folder.warnings + ([folder.sheet_error] if folder.sheet_error else [])
    run.skipped = False
    run.data_state = DataState.ERROR if folder.sheet_error else DataState.COMPLETE
    run.warnings = "\n".join(result.warnings)
    run.fingerprint = fingerprint
    return result


def mark_vanished(root: str, seen: set[str], blind_spots: list[str], scan: ScanRun) -> tuple[list[str], int, list[str]]:
    """Mark runs under root that are gone from disk Deleted with their files; one transaction per run.

    Returns (deleted run names, files newly deleted, runs not judged because they sit in a blind spot).
    """
    datetime.now(UTC)
    candidates = db.session.scalars(
        select(SequencingRun).where(SequencingRun.root == root, SequencingRun.data_state != DataState.DELETED)
    ).all()
    gone, unjudged, files = [], [], 0
    for run in candidates:
        if run.name in seen:
            continue
        if any(run.path == b or run.path.startswith(b.rstrip("/") + "/") or b == "." for b in blind_spots):
            unjudged.append(run.name)
            continue
        result = db.session.execute(
            update(SequencingFile)
            .where(SequencingFile.run_pk == run.id, SequencingFile.data_state.in_(list(PRESENT_STATES)))
            .values(data_state=DataState.DELETED, state_changed_scan_id=scan.id)
        )
        files += result.rowcount
        run.data_state, run.fingerprint, run.skipped = DataState.DELETED, "", False
        _update_counts(run)
        db.session.commit()
        gone.append(run.name)
    return gone, files, unjudged
