"""A scan's phases: Scanning Files → Create Models → [Scripts and Jobs].

The phases advance the scan through seqscan.scans; how the scan ends (and the lock around it) is
the business of seqscan.jobs.run. `check()` is called between runs and phases: it raises when the
scan must stop (its lock was lost).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from seqscan import roots, scans
from seqscan.dberrors import is_disk_full
from seqscan.enums import ScanState
from seqscan.extensions import db
from seqscan.layout import Profile
from seqscan.models import ScanRun, ScanWarning, SequencingRun, missing_files
from seqscan.roots import Root
from seqscan.scanner import guards
from seqscan.scanner.found import FoundRun, Snapshot, WalkResult
from seqscan.scanner.inplace import rewritten_in_place
from seqscan.scanner.lists import ListsMissing, prune_scan_folders, read_lists, write_lists
from seqscan.scanner.scripts import run_scripts
from seqscan.scanner.sync import mark_deleted, mark_skipped, sync_run, vanished_runs
from seqscan.scanner.walk import WalkOptions, walk

log = logging.getLogger("seqscan.scan")
Check = Callable[[], None]


def walk_options(profile: Profile) -> WalkOptions:
    config = current_app.config
    return WalkOptions(
        profile=profile,
        skip_markers=tuple(config["SKIP_MARKERS"]),
        completion_markers=tuple(config["COMPLETION_MARKERS"]),
        never_descend=frozenset(config["NEVER_DESCEND"]),
        max_depth=int(config["MAX_DEPTH"]),
        mtime_margin_ns=int(float(config["MTIME_MARGIN_SECONDS"]) * 10**9),
        pause_per_run_s=float(config["PAUSE_PER_RUN_SECONDS"]),
        symlink_roots=tuple(config["SYMLINK_ROOTS"]),
    )


class _Progress:
    """Writes walk progress to the scan row at most every two seconds; stops the walk when told."""

    def __init__(self, scan: ScanRun, check: Check) -> None:
        self.scan, self.check, self.last = scan, check, 0.0

    def __call__(self, result: WalkResult) -> None:
        self.check()
        if time.monotonic() - self.last >= 2:
            self.last = time.monotonic()
            self.scan.dirs_walked, self.scan.files_seen = result.dirs_walked, result.files_seen
            self.scan.runs_total = len(result.runs)
            db.session.commit()


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


def _scanning_files(scan: ScanRun, root: Root, check: Check) -> WalkResult:
    if scan.reused_scan_id:
        result = reusable_lists(scan.reused_scan_id, scan.root)
        log.info("re-using the lists of scan %s: %d runs", scan.reused_scan_id, len(result.runs))
    else:
        scans.advance(scan, ScanState.SCANNING_FILES)
        result = walk(scan.root, walk_options(root.profile), _Progress(scan, check), _previous_snapshot(scan))
    if not scan.reused_scan_id:
        guards.check_root(scan.root, root.sentinel, ScanState.SCANNING_FILES)  # did the disk stay while it was walked?
    write_lists(scans.folder(scan.id), result)
    scan.dirs_walked, scan.files_seen, scan.runs_total = result.dirs_walked, result.files_seen, len(result.runs)
    log.info(
        "found %d run folders, %d files; %d folders listed, %d unchanged since the last scan",
        len(result.runs),
        result.files_seen,
        result.dirs_walked,
        result.dirs_reused,
    )
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
    db.session.add(ScanWarning(scan_id=scan.id, run_name=run_name, path=path, message=message))
    log.warning("%s: %s", path or run_name or scan.root, message)


def _create_models(
    scan: ScanRun, result: WalkResult, root: Root, full: bool, check: Check, accept_vanished: bool
) -> None:
    profile = root.profile
    scans.advance(scan, ScanState.CREATE_MODELS)
    walk_warnings: dict[str, list] = {}
    run_paths = sorted((r.path for r in result.runs), key=len, reverse=True)
    for w in result.warnings:
        owner = next((p for p in run_paths if w.path == p or w.path.startswith(p + "/")), None)
        walk_warnings.setdefault(owner, []).append(w)
    for w in walk_warnings.pop(None, []):
        _warn(scan, None, w.path, w.message)
    db.session.commit()

    # A run is its root plus its path: a scan only reads and changes the runs of its own root.
    known = dict(
        db.session.execute(
            select(SequencingRun.path, SequencingRun.fingerprint).where(SequencingRun.root == scan.root)
        ).all()
    )
    salt = f"{profile.fingerprint}|{scan.root}"
    seen: set[str] = set()  # run names: the same name twice in one root is one run and a warning
    unchanged: dict[str, tuple[FoundRun, str]] = {}
    changed: list[tuple[FoundRun, str]] = []
    for found in result.runs:
        if found.name in seen:
            _warn(scan, found.name, found.path, "a run of the same name was already found; this copy is ignored")
            continue
        seen.add(found.name)
        for w in walk_warnings.get(found.path, []):
            _warn(scan, found.name, w.path, w.message)
        fingerprint = hashlib.blake2b(f"{found.fingerprint}|{salt}".encode(), digest_size=16).hexdigest()
        if known.get(found.path) == fingerprint and not full:
            unchanged[found.path] = (found, fingerprint)
        else:
            changed.append((found, fingerprint))
    if not result.runs:
        _warn(scan, None, "", f"0 runs found in {scan.root}")
    found_paths = {r.path for r in result.runs}
    vanished = vanished_runs(scan.root, found_paths, result.blind_spots, result.skipped_folders)
    guards.refuse_mass_deletion(scan, vanished, accept_vanished)
    for path in rewritten_in_place(scan.root, list(unchanged)):  # a file finished in place
        changed.append(unchanged.pop(path))
    _touch_unchanged(scan, list(unchanged))
    scan.runs_done = len(unchanged)
    db.session.commit()

    pause = float(current_app.config["PAUSE_PER_RUN_SECONDS"])
    check_bgzf, bgzf_checked = bool(current_app.config["CHECK_BGZF_EOF"]), 0
    max_samples = int(current_app.config["MAX_SAMPLES_PER_SHEET"])
    max_bytes = int(current_app.config["MAX_SHEET_BYTES"])
    refused: list[str] = []  # runs whose deletions were held back
    for found, fingerprint in changed:
        check()
        scan.current_run = found.name  # for the live page: committed before the run's own work
        db.session.commit()
        time.sleep(pause)
        scan.runs_done += 1
        try:
            synced = sync_run(found, scan.root, profile, scan, fingerprint, check_bgzf, max_samples, max_bytes)
            held = guards.held_deletions(scan, root.sentinel, found.name, synced, accept_vanished)
            if held:  # most of the run's files gone at once: nothing of it is written
                db.session.rollback()
                _warn(scan, found.name, found.path, held)
                db.session.commit()
                refused.append(held)
                continue
            bgzf_checked += synced.bgzf_checked
            for message in synced.warnings:
                _warn(scan, found.name, found.path, message)
            scan.files_new += synced.new_files
            scan.files_deleted += synced.deleted_files
            scan.runs_reparsed += 1
            db.session.commit()
        except Exception as e:  # one bad run must not fail the scan
            if isinstance(e, guards.RootGone) or is_disk_full(
                e
            ):  # but a full database disk fails every run after it: one clear Error
                raise
            db.session.rollback()
            log.exception("run %s could not be recorded", found.name)
            why = f"{type(e).__name__}: {e}"
            _warn(scan, found.name, found.path, f"run not recorded; it is parsed again by the next scan: {why}")
            db.session.commit()
    if check_bgzf:
        log.info("%d new or changed .gz/.bam files read for their BGZF end-of-file block", bgzf_checked)
    guards.refuse_held(refused)
    if vanished.gone:
        guards.check_root(scan.root, root.sentinel, ScanState.CREATE_MODELS)
    scan.files_deleted += mark_deleted(vanished.gone, scan)
    mark_skipped(vanished.skipped)
    for run in vanished.gone:
        _warn(scan, run.name, "", "run folder gone from disk: run and its files marked Deleted")
    for run in vanished.still_there:
        _warn(
            scan,
            run.name,
            "",
            "run folder still on disk but no longer found as a run (no completion marker, or "
            "below MAX_DEPTH or a NEVER_DESCEND folder): its records are kept as they were, not judged",
        )
    for name in vanished.unjudged:
        log.info("run %s not checked: it sits below a skipped or unreadable folder", name)
    scan.runs_count, scan.current_run = len(seen), ""
    scan.files_found = sum(len(r.files) for r in result.runs if r.name in seen)
    db.session.commit()


def _touch_unchanged(scan: ScanRun, paths: list[str]) -> None:
    """Unchanged runs (by path under the scan's root) cost one UPDATE; their standing warnings are
    carried onto this scan."""
    now = datetime.now(UTC)
    for i in range(0, len(paths), 500):
        ours = [SequencingRun.root == scan.root, SequencingRun.path.in_(paths[i : i + 500])]
        db.session.execute(update(SequencingRun).where(*ours).values(last_seen_at=now, last_seen_scan_id=scan.id))
        for name, warnings in db.session.execute(
            select(SequencingRun.name, SequencingRun.warnings).where(*ours, SequencingRun.warnings != "")
        ):
            for message in warnings.splitlines():
                db.session.add(ScanWarning(scan_id=scan.id, run_name=name, path="", message=message))
    db.session.commit()
    log.info("%d run folders unchanged since their last scan: not re-parsed", len(paths))


def _finish_counts(scan: ScanRun) -> None:
    scan.root_files_missing = missing_files(scan.root)
    scan.warnings_count = db.session.scalar(
        select(func.count()).select_from(ScanWarning).where(ScanWarning.scan_id == scan.id)
    )


def scan_disk(scan: ScanRun, check: Check, full: bool = False, accept_vanished: bool = False) -> None:
    """Run a Created scan's phases; raises if the scan fails (the caller records how it ended).

    full: re-parse every run, even those whose folders' mtimes are unchanged (files rewritten in place).
    accept_vanished: mark runs gone from disk Deleted even when so many are gone that it looks like
    a lost mount (the operator's decision).
    """
    root = roots.of_scan(scan.root, scan.layout)
    guards.check_sentinel(root.path, root.sentinel)
    result = _scanning_files(scan, root, check)
    check()
    _create_models(scan, result, root, full, check, accept_vanished)
    _finish_counts(scan)
    check()
    if current_app.config["SCRIPTS_AND_JOBS"]:
        scans.advance(scan, ScanState.SCRIPTS_AND_JOBS)
        run_scripts(scan, scans.folder(scan.id))
        check()
    log.info(
        "scan %s finished: %d runs (%d re-parsed), %d files found, %d missing, %d new, %d deleted, %d warnings",
        scan.id,
        scan.runs_count,
        scan.runs_reparsed,
        scan.files_found,
        scan.root_files_missing,
        scan.files_new,
        scan.files_deleted,
        scan.warnings_count,
    )


def prune_lists() -> None:
    """Delete the found-file lists of all but the newest KEEP_SCAN_LISTS scans."""
    keep = int(current_app.config["KEEP_SCAN_LISTS"])
    ids = db.session.scalars(select(ScanRun.id).order_by(ScanRun.id.desc()).limit(keep)).all()
    prune_scan_folders(Path(current_app.config["DATA_DIR"]) / "scans", set(ids))
