"""What the scanner reports: seqscan.scanner.pipeline tells the scan record what the scan found
through these (progress for the live page, counts, warnings); the scanner writes no column of a
scan itself."""

from __future__ import annotations

from sqlalchemy import func, select

from seqscan.extensions import db
from seqscan.models import ScanRun, ScanWarning, missing_files
from seqscan.scans.life import record_action


def record_walk(scan: ScanRun, dirs_walked: int, files_seen: int, runs_total: int) -> None:
    """Scanning Files' progress (or its totals, at its end), committed for the live page."""
    scan.dirs_walked, scan.files_seen, scan.runs_total = dirs_walked, files_seen, runs_total
    db.session.commit()


def record_unchanged_runs(scan: ScanRun, runs: int) -> None:
    """Runs not parsed again (unchanged since their last scan) count as done."""
    scan.runs_done = runs


def record_current_run(scan: ScanRun, name: str) -> None:
    """The run being recorded now, committed before the run's own work for the live page; the run
    counts as done with the run's own commit (a run rolled back is not counted)."""
    scan.current_run = name
    db.session.commit()
    scan.runs_done += 1


def record_run_reparsed(scan: ScanRun, new_files: int, deleted_files: int) -> None:
    scan.files_new += new_files
    scan.files_deleted += deleted_files
    scan.runs_reparsed += 1


def record_deleted_runs(scan: ScanRun, files: int) -> None:
    """Files marked Deleted because their run folder is gone."""
    scan.files_deleted += files


def record_runs_found(scan: ScanRun, runs: int, files: int) -> None:
    """Create Models' end: the runs recorded (one per name) and the files found in them."""
    scan.runs_count, scan.files_found, scan.current_run = runs, files, ""


def record_totals(scan: ScanRun) -> None:
    """The files missing under the root (every run's missing_count, of runs not Deleted or Skipped)
    and the scan's warnings, counted from the records."""
    scan.root_files_missing = missing_files(scan.root)
    scan.warnings_count = db.session.scalar(
        select(func.count()).select_from(ScanWarning).where(ScanWarning.scan_id == scan.id)
    )


def add_warning(scan: ScanRun, run_name: str | None, path: str, message: str) -> None:
    """A warning on the scan (committed with the caller's transaction)."""
    db.session.add(ScanWarning(scan_id=scan.id, run_name=run_name, path=path, message=message))


def accept_deletions(scan: ScanRun, run_name: str | None, what: str) -> None:
    """The operator accepted a mass deletion (`flask scan --accept-vanished`): a warning on the scan
    and an operator action."""
    who = f" by {scan.requested_by}" if scan.requested_by else ""
    add_warning(scan, run_name, "", f"{what}: accepted as Deleted{who}")
    record_action(scan.requested_by, f"accepted {what}{' in ' + run_name if run_name else ''} as Deleted", scan.id)
