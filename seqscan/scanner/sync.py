"""Create Models for one changed run folder: parse it, reconcile its records (reconcile.py), store
them (store.py), in the caller's transaction: the caller commits, or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from seqscan.enums import PRESENT_STATES, DataState
from seqscan.layout import Profile
from seqscan.models import SequencingRun
from seqscan.scanner import moves, store
from seqscan.scanner.ahead import Reads, read_now
from seqscan.scanner.disk import DIRECT, Disk
from seqscan.scanner.found import FoundFile, FoundRun
from seqscan.scanner.reads import fastq_reads
from seqscan.scanner.reconcile import mtime_of, reconcile_files
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


@dataclass
class SyncResult:
    run: SequencingRun
    new_files: int = 0
    deleted_files: int = 0
    vanished_files: int = 0  # listed by the walk, gone when looked at
    present_before: int = 0  # of the run's file records, those that were on disk before this scan
    bgzf_checked: int = 0
    warnings: list[str] = field(default_factory=list)


class RunOnDisk(NamedTuple):
    """What Create Models reads of a changed run folder before writing anything (read ahead by the pool)."""

    analysis: str  # the analysis folder judged (onboard analysis)
    files: list[FoundFile]  # the files judged: the walk's, less those of older analysis folders
    folder: RunFolder
    stats: dict[str, FileStat]
    vanished: list[str]  # listed by the walk, gone now


# Files stat'ed by one read: a run's stats are spread over the pool's threads, so that the run being
# written next is read by all of them, not by one.
STAT_CHUNK = 64


def run_reads(
    found: FoundRun,
    root: str,
    profile: Profile,
    max_samples: int = MAX_SAMPLES,
    max_bytes: int = MAX_BYTES,
    disk: Disk = DIRECT,
) -> Reads[RunOnDisk | None]:
    """The reads of a changed run folder (its sheet and XML; the stats of its listed files, in chunks),
    filesystem only, to be run in any thread; put together, a RunOnDisk (None for a skipped run)."""
    if found.skipped:
        return Reads([], lambda results: None)
    run_dir = f"{root}/{found.path}"
    # Onboard analysis: the newest analysis folder is judged; earlier ones are out of sight.
    analysis = profile.newest_analysis(f.path for f in found.files)
    files = [f for f in found.files if not profile.in_older_analysis(f.path, analysis)]
    paths = [f.path for f in files]
    tasks: list[Callable[[], Any]] = [
        partial(read_run_folder, run_dir, profile, max_samples, max_bytes, analysis, disk)
    ]
    tasks += [partial(stat_files, run_dir, paths[i : i + STAT_CHUNK], disk) for i in range(0, len(paths), STAT_CHUNK)]

    def combine(results: list[Any]) -> RunOnDisk:
        folder, *chunks = results
        stats: dict[str, FileStat] = {}
        vanished: list[str] = []
        for chunk_stats, chunk_vanished in chunks:  # in the files' order, as one stat_files call gives
            stats.update(chunk_stats)
            vanished.extend(chunk_vanished)
        return RunOnDisk(analysis, files, folder, stats, vanished)

    return Reads(tasks, combine)


def _check_bgzf(
    run_dir: str, stats: dict[str, FileStat], existing: dict[str, dict[str, Any]], suffixes: tuple[str, ...]
) -> int:
    """Mark truncated BGZF files of stats (in place). Only new or changed files are read; an unchanged
    one keeps what the last check found. Returns how many files were read."""
    checked = 0
    for path, st in stats.items():
        if st.error or not path.endswith(suffixes):
            continue
        old = existing.get(path)
        if old is not None and old["size"] == st.size and old["mtime"] == mtime_of(st.mtime_ns):
            truncated = old["message"] == TRUNCATED
        else:
            checked += 1
            truncated = bgzf_truncated(f"{run_dir}/{path}", st.size)
        if truncated:
            stats[path] = st._replace(error=TRUNCATED)
    return checked


def _still_on_disk(
    run_dir: str,
    found: FoundRun,
    stats: dict[str, FileStat],
    vanished: list[str],
    existing: dict[str, dict],
    disk: Disk,
) -> dict[str, FileStat]:
    """Files recorded as present that the walk did not list, but that are still there: the root is
    read with another layout than last time. A file is only ever Deleted when it is not on disk."""
    unlisted = tuple(f"{d}/" for d in found.unlisted)
    candidates = [
        path
        for path, row in existing.items()
        if row["data_state"] in PRESENT_STATES
        and path not in stats
        and path not in vanished
        and not path.startswith(unlisted)
    ]
    return stat_files(run_dir, candidates, disk)[0] if candidates else {}


def sync_run(
    session: Session,
    found: FoundRun,
    root: str,
    profile: Profile,
    scan_id: int,
    fingerprint: str,
    check_bgzf: bool = True,
    max_samples: int = MAX_SAMPLES,
    max_bytes: int = MAX_BYTES,
    on_disk: RunOnDisk | None = None,
    disk: Disk = DIRECT,
) -> SyncResult:
    """Parse one changed run folder and reconcile its records; the caller commits or rolls back.

    check_bgzf: read the end of new or changed .gz and .bam files for the BGZF end-of-file block.
    max_samples: a sheet listing more is an unreadable sheet (the run is Error with the count).
    max_bytes: a sheet or run XML larger than this is not read (the run is Error with its size).
    on_disk: what run_reads read of the run already (else it is read now, through disk).
    """
    now = datetime.now(UTC)
    run = store.get_or_create_run(session, found, root, scan_id, now)
    result = SyncResult(run)
    twin_warnings = [
        f"the same run name is also recorded at {r}/{p}: two runs, each judged under its own root"
        for r, p in store.twins(session, found.name, root)
    ]
    if found.skipped:
        # Skipped: earlier records stay as they are; nothing new is expected.
        run.skipped, run.data_state, run.fingerprint, run.warnings = True, DataState.SKIPPED, fingerprint, ""
        run.skip_reason = f"marker {found.skip_marker} in the run folder"
        return result
    run_dir = f"{root}/{found.path}"
    if on_disk is None:
        on_disk = read_now(run_reads(found, root, profile, max_samples, max_bytes, disk))
    analysis, found_files, folder = on_disk.analysis, on_disk.files, on_disk.folder
    session.flush()  # the run needs its id
    store.apply_metadata(run, folder)
    if run.first_seen_scan_id == scan_id and (old := moves.link_to_deleted(session, run, scan_id)):
        # Not a twin: the same run, moved here (its old record says so, and is no longer Deleted).
        twin_warnings = [w for w in twin_warnings if f" at {old.root}/{old.path}:" not in w]
        twin_warnings.append(f"moved here from {old.root}/{old.path} (the run recorded there was Deleted)")
    run.sequencing = folder.sequencing(
        found.markers, has_output=any(profile.is_sample_type(f.file_type) for f in found_files)
    )
    if run.sequencing:
        # Being written: listed with what its XML says, never judged; earlier records stay as they are.
        run.skipped, run.skip_reason, run.no_sheet, run.data_state = False, "", False, DataState.COMPLETE
        run.warnings = "\n".join(twin_warnings + folder.warnings)
        run.fingerprint = fingerprint
        return result
    stats, vanished = on_disk.stats, on_disk.vanished
    sheet = store.current_sheet(session, run, folder.sheet, scan_id, now)
    samples = store.sheet_samples(session, sheet)
    # No sheet now nor ever: only the run's own files (the sheet among them) can be expected.
    run.no_sheet = folder.no_sheet and sheet is None
    reads, reads_warning = fastq_reads(
        folder.identity.reads,
        profile.converter,
        override_cycles=sheet.override_cycles if sheet else "",
        index_fastqs=bool(sheet and sheet.index_fastqs),
        sheet_reads=sheet.reads if sheet else 0,
    )
    lane_count = folder.identity.lane_count
    layout_warnings: list[str] = [reads_warning] if reads_warning and profile.converter and samples else []
    existing = store.existing_rows(session, run.id)
    expected = profile.expected(
        run.name,
        samples,
        lanes=range(1, lane_count + 1) if lane_count else (),
        no_lane_splitting=bool(sheet and sheet.no_lane_splitting),
        on_disk=[f.path for f in found_files],
        warnings=layout_warnings,
        reads=reads,
        analysis=analysis,
        seen_before=[p for p, row in existing.items() if row["data_state"] != DataState.NON_EXISTENT],
    )
    result.present_before = sum(1 for row in existing.values() if row["data_state"] in PRESENT_STATES)
    result.vanished_files = len(vanished)
    if check_bgzf:
        result.bgzf_checked = _check_bgzf(run_dir, stats, existing, profile.bgzf_suffixes)
    result.warnings = twin_warnings + folder.warnings + layout_warnings + folder.errors
    result.warnings += [folder.sheet_error] if folder.sheet_error else []
    result.warnings += [f"{p}: vanished while scanning" for p in vanished]
    result.warnings += [f"{p}: {st.error}" for p, st in stats.items() if st.error]
    sheet_path = folder.sheet_path
    if folder.sheet_error and sheet_path in stats:  # the sheet is there but unusable: an Error file
        stats[sheet_path] = stats[sheet_path]._replace(error=folder.sheet_error)
    plan = reconcile_files(
        expected=expected,
        stats=stats,
        existing=existing,
        file_types={f.path: f.file_type for f in found_files},
        unlisted=found.unlisted,
        elsewhere=_still_on_disk(run_dir, found, stats, vanished, existing, disk),
        is_run_file=lambda path, name=run.name: profile.run_file_type(name, path) is not None,
        sample_pks={s.sample_id: s.id for s in reversed(samples)},  # first row of a sample wins
        scan_id=scan_id,
        run_pk=run.id,
        now=now,
    )
    store.write_plan(session, run, plan)
    result.new_files, result.deleted_files = plan.new, plan.deleted
    store.update_counts(run, plan.states)
    run.skipped, run.skip_reason = False, ""
    run.data_state = DataState.ERROR if folder.sheet_error or folder.errors else DataState.COMPLETE
    run.warnings = "\n".join(result.warnings)
    # Judged under an error (files vanished mid-scan, a folder or the sheet unreadable): no
    # fingerprint, so the next scan parses the run again even if no mtime moves (a folder moved
    # away and back, a sheet rewritten with the same size and mtime).
    under_error = vanished or found.unlisted or folder.sheet_error or folder.errors
    run.fingerprint = "" if under_error else fingerprint
    return result
