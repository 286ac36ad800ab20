"""A scan's phases, as a recipe: Scanning Files (walk) → Create Models (which runs changed; parse,
reconcile and store each; then the runs gone from disk) → [Scripts and Jobs].

The scanner's Flask-facing layer: it alone reads settings, and tells the scan record's owner
(seqscan.scans) what each step found; the modules below it take values and a session. How the scan
ends (and the lock around it) is the business of seqscan.jobs.run. `check()` is called between runs
and phases: it raises when the scan must stop (its lock was lost).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from seqscan import roots, scans
from seqscan.dberrors import is_disk_full
from seqscan.enums import ScanState
from seqscan.extensions import db
from seqscan.models import ScanRun
from seqscan.scanner import guards, moves, store, vanished
from seqscan.scanner.ahead import read_ahead
from seqscan.scanner.bulk import commit_without_waiting_for_disk
from seqscan.scanner.found import FoundRun, Snapshot, StoredFiles, WalkResult
from seqscan.scanner.inplace import rewritten_in_place
from seqscan.scanner.lists import ListsMissing, prune_scan_folders, read_lists, spill, store_of, write_lists
from seqscan.scanner.options import ScanOptions, scan_options
from seqscan.scanner.reconcile import plan_runs
from seqscan.scanner.scripts import run_scripts
from seqscan.scanner.sync import run_reads, sync_run
from seqscan.scanner.vanished import Guard
from seqscan.scanner.walk import walk

log = logging.getLogger("seqscan.scan")
Check = Callable[[], None]
# Not a setting: the benchmark and the tests may put a Disk (scanner/disk.py) in app.extensions under
# this key, which every scan of the app then lists and stats through: a slow one simulates a network disk.
DISK = "seqscan.disk"


def _guard(scan: ScanRun, options: ScanOptions, accept: bool) -> Guard:
    limits = options.max_vanished_runs, options.max_vanished_fraction
    return Guard(scan.root, options.sentinel, *limits, accept, partial(scans.accept_deletions, scan))


class _Progress:
    """Reports walk progress to the scan record at most every two seconds; stops the walk when told."""

    def __init__(self, scan: ScanRun, check: Check) -> None:
        self.scan, self.check, self.last = scan, check, 0.0

    def __call__(self, result: WalkResult) -> None:
        self.check()
        if time.monotonic() - self.last >= 2:
            self.last = time.monotonic()
            scans.record_walk(self.scan, result.dirs_walked, result.files_seen, len(result.runs))


def reusable_lists(scan_id: int, root: str) -> WalkResult:
    """The found-file lists of scan scan_id, for a new scan of root; ScanRefused says why not.

    Any scan whose lists are complete may be re-used: a Finished one, or one that failed after
    Scanning Files (in Create Models: what --reuse-prev-scan-id is for).
    """
    previous = db.session.get(ScanRun, scan_id)
    if previous is None:
        raise scans.ScanRefused(f"no scan {scan_id} to re-use")
    if previous.state.is_active:
        raise scans.ScanRefused(f"scan {scan_id} cannot be re-used: it is still {previous.state}")
    if previous.root != root:
        raise scans.ScanRefused(f"scan {scan_id} scanned {previous.root}, not {root}: its lists do not apply")
    try:
        return read_lists(scans.folder(scan_id))
    except ListsMissing:
        raise scans.ScanRefused(
            f"scan {scan_id} has no complete found-file lists to re-use (it failed before Scanning Files "
            f"ended, or is older than the last {current_app.config['KEEP_SCAN_LISTS']} scans, which keep them)"
        ) from None


def _scanning_files(scan: ScanRun, options: ScanOptions, check: Check) -> WalkResult:
    if scan.reused_scan_id:
        result = reusable_lists(scan.reused_scan_id, scan.root)
        log.info("re-using the lists of scan %s: %d runs", scan.reused_scan_id, len(result.runs))
    else:
        scans.advance(scan, ScanState.SCANNING_FILES)
        store = partial(spill, store_of(scans.folder(scan.id)))  # one run's files in memory at a time
        result = walk(scan.root, options.walk, _Progress(scan, check), _previous_snapshot(scan), store, options.disk)
        guards.check_root(scan.root, options.sentinel, ScanState.SCANNING_FILES)  # did the disk stay?
    write_lists(scans.folder(scan.id), result)
    scans.record_walk(scan, result.dirs_walked, result.files_seen, len(result.runs))
    walked = len(result.runs), result.files_seen, result.dirs_walked, result.dirs_reused
    log.info("walked %d run folders, %d files on disk; %d folders listed, %d unchanged since the last scan", *walked)
    return result


def _previous_snapshot(scan: ScanRun) -> Snapshot | None:
    """The listing of the newest finished scan of the same root, if its lists are still kept."""
    previous = scans.previous_finished(scan)
    if previous is None:
        return None
    try:
        return Snapshot(read_lists(scans.folder(previous.id)))
    except (ListsMissing, OSError, ValueError, KeyError) as e:
        log.info("no usable listing from scan %s (%s): listing every folder", previous.id, e)
        return None


def _warn(scan: ScanRun, run_name: str | None, path: str, message: str) -> None:
    scans.add_warning(scan, run_name, path, message)
    log.warning("%s: %s", path or run_name or scan.root, message)


def _create_models(
    scan: ScanRun, result: WalkResult, options: ScanOptions, full: bool, check: Check, guard: Guard
) -> None:
    scans.advance(scan, ScanState.CREATE_MODELS)
    known = store.known_fingerprints(db.session, scan.root)
    plan = plan_runs(result, known, f"{options.walk.profile.fingerprint}|{scan.root}", full)
    for run_name, path, message in plan.warnings:
        _warn(scan, run_name, path, message)
    if not result.runs:
        _warn(scan, None, "", f"0 runs found in {scan.root}")
    found = {r.path for r in result.runs}
    lost = vanished.vanished_runs(db.session, scan.root, found, result.blind_spots, result.skipped_folders)
    _record_moves(scan, lost.gone, [f for f, _ in plan.changed if f.path not in known])
    vanished.refuse_mass_deletion(guard, lost)
    for path in rewritten_in_place(db.session, scan.root, list(plan.unchanged)):  # a file finished in place
        plan.changed.append(plan.unchanged.pop(path))
    _touch_unchanged(scan, list(plan.unchanged))
    scans.record_unchanged_runs(scan, len(plan.unchanged))
    db.session.commit()
    planned = len(plan.changed), len(lost.gone), len(lost.skipped)
    log.info("%d run folders new or changed: parsed; %d gone from disk; %d below a skipped kit folder", *planned)
    vanished.refuse_held(_record_changed(scan, plan.changed, options, check, guard))
    if lost.gone:
        guards.check_root(scan.root, guard.sentinel, ScanState.CREATE_MODELS)
    scans.record_deleted_runs(scan, vanished.mark_deleted(db.session, lost.gone, scan.id))
    vanished.mark_skipped(db.session, lost.skipped)
    for run in lost.gone:
        _warn(scan, run.name, "", "run folder gone from disk: run and its files marked Deleted")
    for run in lost.still_there:
        message = "run folder still on disk but no longer found as a run (no completion marker, or below MAX_DEPTH "
        _warn(scan, run.name, "", message + "or a NEVER_DESCEND folder): its records are kept as they were, not judged")
    for name in lost.unjudged:
        log.info("run %s not checked: it sits below a skipped or unreadable folder", name)
    files = sum(len(r.files) for r in result.runs if r.name in plan.names)
    scans.record_runs_found(scan, len(plan.names), files)
    db.session.commit()


def _record_moves(scan: ScanRun, gone: list, new: list[FoundRun]) -> None:
    """Runs gone from one path and found at another in this scan: moved, not Deleted (taken out of gone)."""
    for run, found in moves.pair_moves(gone, new):
        _warn(
            scan, found.name, found.path, f"run folder moved from {run.path} to {found.path}: one run, its history kept"
        )
        moves.move(db.session, run, found, scan.root, scan.id)
        gone.remove(run)
    db.session.commit()


def _touch_unchanged(scan: ScanRun, paths: list[str]) -> None:
    """Unchanged runs cost one UPDATE; their standing warnings are carried onto this scan."""
    for run_name, message in store.touch_unchanged(db.session, scan.root, scan.id, paths):
        scans.add_warning(scan, run_name, "", message)
    db.session.commit()
    log.info("%d run folders unchanged since their last scan: not re-parsed", len(paths))


def _record_changed(
    scan: ScanRun, changed: list[tuple[FoundRun, str]], options: ScanOptions, check: Check, guard: Guard
) -> list[str]:
    """Parse, reconcile and store each changed run, one transaction each; returns why the deletions
    of some runs were held back. Meanwhile a pool of SCAN_THREADS reads the next runs' folders (sheet,
    XML, stats): the database is written by this thread only."""
    limits = options.check_bgzf, options.max_samples, options.max_sheet_bytes
    plan = partial(
        run_reads,
        root=scan.root,
        profile=options.walk.profile,
        max_samples=options.max_samples,
        max_bytes=options.max_sheet_bytes,
        disk=options.disk,
    )
    refused: list[str] = []
    bgzf_checked = 0
    ahead = options.walk.threads > 1
    with read_ahead(plan, [found for found, _ in changed], options.walk.threads, options.disk.slow) as readings:
        for (found, fingerprint), reading in zip(changed, readings, strict=True):
            check()
            scans.record_current_run(scan, found.name)
            time.sleep(options.pause_per_run_s)
            try:
                commit_without_waiting_for_disk(db.session)  # a run lost to a crash is parsed again
                on_disk = reading()  # raises what the read raised, as if it were read here
                if ahead:  # read before the runs written since: written only if the root stayed
                    guards.check_root(scan.root, guard.sentinel, ScanState.CREATE_MODELS, options.disk)
                synced = sync_run(
                    db.session,
                    found,
                    scan.root,
                    options.walk.profile,
                    scan.id,
                    fingerprint,
                    *limits,
                    on_disk,
                    options.disk,
                )
                held = vanished.held_deletions(guard, found.name, synced)
                if held:  # most of the run's files gone at once: nothing of it is written
                    db.session.rollback()
                    _warn(scan, found.name, found.path, held)
                    db.session.commit()
                    refused.append(held)
                    continue
                bgzf_checked += synced.bgzf_checked
                for message in synced.warnings:
                    _warn(scan, found.name, found.path, message)
                scans.record_run_reparsed(scan, synced.new_files, synced.deleted_files)
                db.session.commit()
            except Exception as e:  # one bad run must not fail the scan
                if isinstance(e, guards.RootGone) or is_disk_full(e):  # but a full disk fails every run after it
                    raise
                db.session.rollback()
                log.exception("run %s could not be recorded", found.name)
                why = f"{type(e).__name__}: {e}"
                _warn(scan, found.name, found.path, f"run not recorded; it is parsed again by the next scan: {why}")
                db.session.commit()
            finally:
                if isinstance(found.files, StoredFiles):
                    found.files.release()  # read for this run only (and its reads, done ahead)
    if options.check_bgzf:
        log.info("%d new or changed .gz/.bam files read for their BGZF end-of-file block", bgzf_checked)
    return refused


def _scripts_and_jobs(scan: ScanRun, options: ScanOptions) -> None:
    scans.advance(scan, ScanState.SCRIPTS_AND_JOBS)
    commands = options.script_templates, options.script_timeout_s, options.symlink_roots
    run_scripts(db.session, scan.root, scans.folder(scan.id), *commands, partial(scans.add_warning, scan))
    scans.record_totals(scan)


def scan_disk(scan: ScanRun, check: Check, full: bool = False, accept_vanished: bool = False) -> None:
    """Run a Created scan's phases; raises if the scan fails (the caller records how it ended).

    full: re-parse every run, even those whose folders' mtimes are unchanged (files rewritten in place).
    accept_vanished: mark runs gone from disk Deleted even when so many are gone that it looks like
    a lost mount (the operator's decision).
    """
    root = roots.of_scan(scan.root, scan.layout)  # read with its own layout, always
    options = scan_options(current_app.config, root.profile, root.sentinel, current_app.extensions.get(DISK))
    guards.check_sentinel(scan.root, options.sentinel)
    result = _scanning_files(scan, options, check)
    check()
    _create_models(scan, result, options, full, check, _guard(scan, options, accept_vanished))
    scans.record_totals(scan)
    check()
    if options.scripts:
        _scripts_and_jobs(scan, options)
        check()
    found = scan.runs_count, scan.runs_reparsed, scan.files_found, scan.root_files_missing
    changed = scan.files_new, scan.files_deleted, scan.warnings_count
    log.info(
        "scan %s finished: %d runs (%d re-parsed), %d expected files found, %d missing, %d new, %d deleted, %d warnings",
        scan.id,
        *found,
        *changed,
    )


def prune_lists() -> None:
    """Delete the found-file lists of all but the newest KEEP_SCAN_LISTS scans, keeping also each
    root's newest finished scan and every scan still active: with several roots, another root's
    scans must not take the lists (and the stored files) a running scan re-uses."""
    keep = int(current_app.config["KEEP_SCAN_LISTS"])
    ids = set(db.session.scalars(select(ScanRun.id).order_by(ScanRun.id.desc()).limit(keep)))
    newest = select(func.max(ScanRun.id)).where(ScanRun.state == ScanState.FINISHED).group_by(ScanRun.root)
    ids |= set(db.session.scalars(newest))
    ids |= set(db.session.scalars(select(ScanRun.id).where(ScanRun.state.in_([s for s in ScanState if s.is_active]))))
    prune_scan_folders(Path(current_app.config["DATA_DIR"]) / "scans", ids)
