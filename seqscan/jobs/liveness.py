"""Whether a scan the database calls working is in fact dead: read-only, for the pages and the CLI.

A scan in a working phase holds the scan lock (it takes it before it starts and gives it back after
it has ended). One whose lock no live process holds was interrupted: the pages and the CLI show it
so at once, without writing. It is recorded as Error only by those that act: the worker as it
starts, the scheduler's every look and a trigger (seqscan.jobs.scanqueue.record_dead_scans).
"""

from __future__ import annotations

from sqlalchemy import select

from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.models import ScanRun

SHOWN = "interrupted during {phase}: its process stopped (recorded as Error at the next scan, worker start or scheduler look)"


def interrupted(scan: ScanRun | None) -> str | None:
    """Why scan is dead though the database says it works (the text a page shows), or None."""
    if scan is None or not scan.state.is_working or scan.id in lock.live_scan_ids():
        return None
    # Read again after the lock: a scan that ended meanwhile has ended its state before giving the
    # lock back, so a state still working here belongs to a dead scan.
    state = db.session.scalar(select(ScanRun.state).where(ScanRun.id == scan.id))
    return SHOWN.format(phase=state) if state is not None and state.is_working else None
