"""One scan from start to finish: Scanning Files → Create Models → [Scripts and Jobs] → Finished (or Error)."""

from __future__ import annotations

import hashlib
import logging
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from seqscan import scanlock
from seqscan.extensions import db
from seqscan.layout import Profile, load_profile
from seqscan.models import ScanRun, ScanWarning, SequencingRun
from seqscan.scanner.found import FoundRun, Snapshot, WalkResult
from seqscan.scanner.lists import ListsMissing, prune_scan_folders, read_lists, write_lists
from seqscan.scanner.scripts import run_scripts
from seqscan.scanner.sync import mark_vanished, sync_run
from seqscan.scanner.walk import RootUnreadable, WalkOptions, walk
from seqscan.states import DataState, ScanState

log = logging.getLogger("seqscan.scan")
log.setLevel(logging.INFO)  # every scan's own scan.log holds its INFO lines, whoever runs it


class ScanRefused(Exception):
    """The scan cannot start; the message says why."""


def scan_folder(scan_id: int) -> Path:
    return Path(current_app.config["DATA_DIR"]) / "scans" / str(scan_id)


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
    )


def _set_state(scan: ScanRun, state: ScanState) -> None:
    now = datetime.now(UTC)
    scan.state = state
    column = {
        ScanState.SCANNING_FILES: "scan_start",
        ScanState.CREATE_MODELS: "create_models_start",
        ScanState.SCRIPTS_AND_JOBS: "scripts_and_jobs_start",
        ScanState.FINISHED: "finished",
        ScanState.ERROR: "finished",
    }[state]
    setattr(scan, column, now)
    db.session.commit()
    log.info("scan %s: %s", scan.id, state)


class _Progress:
    """Writes walk progress to the scan row at most every two seconds."""

    def __init__(self, scan: ScanRun) -> None:
        self.scan, self.last = scan, 0.0

    def __call__(self, result: WalkResult) -> None:
        if time.monotonic() - self.last >= 2:
            self.last = time.monotonic()
            self.scan.dirs_walked, self.scan.files_seen = result.dirs_walked, result.files_seen
            self.scan.runs_total = len(result.runs)
            db.session.commit()


def _scanning_files(scan: ScanRun, profile: Profile) -> WalkResult:
    if scan.reused_scan_id:
        previous = db.session.get(ScanRun, scan.reused_scan_id)
        if previous is None or previous.state != ScanState.FINISHED:
            state = previous.state if previous else "no such scan"
            raise ScanRefused(f"scan {scan.reused_scan_id} cannot be re-used: it did not finish ({state})")
        if previous.root != scan.root:
            raise ScanRefused(f"scan {previous.id} scanned {previous.root}, not {scan.root}: its lists do not apply")
        try:
            result = read_lists(scan_folder(previous.id))
        except ListsMissing:
            raise ScanRefused(
                f"scan {previous.id}'s found-file lists are gone (only the last "
                f"{current_app.config['KEEP_SCAN_LISTS']} scans keep them)"
            ) from None
        log.info("re-using the lists of scan %s: %d runs", previous.id, len(result.runs))
    else:
        _set_state(scan, ScanState.SCANNING_FILES)
        result = walk(scan.root, walk_options(profile), _Progress(scan), _previous_snapshot(scan))
    write_lists(scan_folder(scan.id), result)
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
    """The listing of the newest finished scan of the same root whose lists are still kept."""
    previous = db.session.scalars(
        select(ScanRun)
        .where(ScanRun.root == scan.root, ScanRun.state == ScanState.FINISHED, ScanRun.id < scan.id)
        .order_by(ScanRun.id.desc())
        .limit(1)
    ).first()
    if previous is None:
        return None
    try:
        return Snapshot(read_lists(scan_folder(previous.id)))
    except (ListsMissing, OSError, ValueError, KeyError) as e:
        log.info("no usable listing from scan %s (%s): listing every folder", previous.id, e)
        return None


def _warn(scan: ScanRun, run_name: str | None, path: str, message: str) -> None:
    db.session.add(ScanWarning(scan_id=scan.id, run_name=run_name, path=path, message=message))
    log.warning("%s: %s", path or run_name or scan.root, message)


def _create_models(scan: ScanRun, result: WalkResult, profile: Profile, full: bool, heartbeat) -> None:
    _set_state(scan, ScanState.CREATE_MODELS)
    walk_warnings: dict[str, list] = {}
    run_paths = sorted((r.path for r in result.runs), key=len, reverse=True)
    for w in result.warnings:
        owner = next((p for p in run_paths if w.path == p or w.path.startswith(p + "/")), None)
        walk_warnings.setdefault(owner, []).append(w)
    for w in walk_warnings.pop(None, []):
        _warn(scan, None, w.path, w.message)
    db.session.commit()

    known = dict(db.session.execute(select(SequencingRun.name, SequencingRun.fingerprint)).all())
    salt = f"{profile.fingerprint}|{scan.root}"
    seen: set[str] = set()
    unchanged: list[str] = []
    changed: list[tuple[FoundRun, str]] = []
    for found in result.runs:
        if found.name in seen:
            _warn(scan, found.name, found.path, "a run of the same name was already found; this copy is ignored")
            continue
        seen.add(found.name)
        for w in walk_warnings.get(found.path, []):
            _warn(scan, found.name, w.path, w.message)
        fingerprint = hashlib.blake2b(f"{found.fingerprint}|{salt}".encode(), digest_size=16).hexdigest()
        if known.get(found.name) == fingerprint and not full:
            unchanged.append(found.name)
        else:
            changed.append((found, fingerprint))
    _touch_unchanged(scan, unchanged)
    scan.runs_done = len(unchanged)
    db.session.commit()

    pause = float(current_app.config["PAUSE_PER_RUN_SECONDS"])
    for found, fingerprint in changed:
        heartbeat.check()
        time.sleep(pause)
        scan.runs_done += 1
        try:
            synced = sync_run(found, scan.root, profile, scan, fingerprint)
            for message in synced.warnings:
                _warn(scan, found.name, found.path, message)
            scan.files_new += synced.new_files
            scan.files_deleted += synced.deleted_files
            scan.runs_reparsed += 1
            db.session.commit()
        except Exception as e:  # one bad run must not fail the scan
            db.session.rollback()
            log.exception("run %s could not be recorded", found.name)
            _warn(scan, found.name, found.path, f"run not recorded, earlier records kept: {type(e).__name__}: {e}")
            db.session.commit()
    gone, deleted_files, unjudged = mark_vanished(scan.root, seen, result.blind_spots, scan)
    scan.files_deleted += deleted_files
    for name in gone:
        _warn(scan, name, "", "run folder gone from disk: run and its files marked Deleted")
    for name in unjudged:
        log.info("run %s not checked: it sits below a skipped or unreadable folder", name)
    scan.runs_count = len(seen)
    scan.files_found = sum(len(r.files) for r in result.runs if r.name in seen)
    db.session.commit()


def _touch_unchanged(scan: ScanRun, names: list[str]) -> None:
    """Unchanged runs cost one UPDATE; their standing warnings are carried onto this scan."""
    now = datetime.now(UTC)
    for i in range(0, len(names), 500):
        chunk = names[i : i + 500]
        db.session.execute(
            update(SequencingRun)
            .where(SequencingRun.name.in_(chunk))
            .values(last_seen_at=now, last_seen_scan_id=scan.id)
        )
        for name, warnings in db.session.execute(
            select(SequencingRun.name, SequencingRun.warnings).where(
                SequencingRun.name.in_(chunk), SequencingRun.warnings != ""
            )
        ):
            for message in warnings.splitlines():
                db.session.add(ScanWarning(scan_id=scan.id, run_name=name, path="", message=message))
    db.session.commit()
    log.info("%d run folders unchanged since their last scan: not re-parsed", len(names))


def _finish_counts(scan: ScanRun) -> None:
    scan.files_missing = db.session.scalar(
        select(func.coalesce(func.sum(SequencingRun.missing_count), 0)).where(
            SequencingRun.root == scan.root, SequencingRun.data_state.notin_([DataState.DELETED, DataState.SKIPPED])
        )
    )
    scan.warnings_count = db.session.scalar(
        select(func.count()).select_from(ScanWarning).where(ScanWarning.scan_id == scan.id)
    )


def execute_scan(scan: ScanRun, full: bool = False, wait: bool = False, on_wait=None) -> ScanRun:
    """Run a Created scan through its phases; never raises for a failed scan, it records Error.

    full: re-parse every run, even those whose folders' mtimes are unchanged (files rewritten in place).
    wait: if another scan holds the scan lock, wait for it (on_wait(holder) is told once) instead
    of refusing.
    """
    folder = scan_folder(scan.id)
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "scan.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    locked = False
    try:
        if wait:
            scanlock.wait_for_lock(scan.id, on_wait=on_wait)
        elif not scanlock.try_acquire(scan.id):
            holder = scanlock.live_holder()
            running = f"scan {holder.scan_id} is running ({holder.holder})" if holder else "another scan is running"
            raise ScanRefused(f"{running}; only one scan runs at a time")
        locked = True
        with scanlock.Heartbeat(scan.id) as heartbeat:
            _run_phases(scan, full, heartbeat)
    except Exception as e:
        db.session.rollback()
        if isinstance(e, (ScanRefused, RootUnreadable, scanlock.LockLost)):  # the message says it all
            scan.error = str(e)
            log.error("scan %s failed: %s", scan.id, e)
        else:
            scan.error = traceback.format_exc()
            log.exception("scan %s failed", scan.id)
        _set_state(scan, ScanState.ERROR)
    finally:
        log.removeHandler(handler)
        handler.close()
        _keep_log(scan, folder / "scan.log")
        if locked:
            scanlock.release(scan.id)
        _prune_lists()
    return scan


def _run_phases(scan: ScanRun, full: bool, heartbeat: scanlock.Heartbeat) -> None:
    profile = load_profile(current_app.config["LAYOUT"])
    scan.layout = profile.name
    result = _scanning_files(scan, profile)
    heartbeat.check()
    _create_models(scan, result, profile, full, heartbeat)
    _finish_counts(scan)
    heartbeat.check()
    if current_app.config["SCRIPTS_AND_JOBS"]:
        _set_state(scan, ScanState.SCRIPTS_AND_JOBS)
        run_scripts(scan, scan_folder(scan.id))
        heartbeat.check()
    _set_state(scan, ScanState.FINISHED)
    log.info(
        "scan %s finished: %d runs (%d re-parsed), %d files found, %d missing, %d new, %d deleted, %d warnings",
        scan.id,
        scan.runs_count,
        scan.runs_reparsed,
        scan.files_found,
        scan.files_missing,
        scan.files_new,
        scan.files_deleted,
        scan.warnings_count,
    )


def _keep_log(scan: ScanRun, path: Path, limit: int = 256 * 1024) -> None:
    """Keep the scan's log with the scan (the tail, if huge): the scan folder is pruned later."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    scan.log = text if len(text) <= limit else "[... earlier lines cut ...]\n" + text[-limit:]
    db.session.commit()


def _prune_lists() -> None:
    keep = int(current_app.config["KEEP_SCAN_LISTS"])
    ids = db.session.scalars(select(ScanRun.id).order_by(ScanRun.id.desc()).limit(keep)).all()
    prune_scan_folders(Path(current_app.config["DATA_DIR"]) / "scans", set(ids))


def create_scan(root: str, trigger, requested_by: str = "", reuse: int | None = None) -> ScanRun:
    scan = ScanRun(root=root, trigger=trigger, requested_by=requested_by, reused_scan_id=reuse)
    db.session.add(scan)
    db.session.commit()
    return scan
