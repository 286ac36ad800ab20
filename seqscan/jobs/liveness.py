"""Whether a scan the database calls working is in fact dead, and what a waiting one waits for:
read-only, for the pages and the CLI.

A scan in a working phase holds the scan lock (it takes it before it starts and gives it back after
it has ended). One whose lock no live process holds was interrupted: the pages and the CLI show it
so at once, without writing. It is recorded as Error only by those that act: the worker as it
starts, the scheduler's every look and a trigger (seqscan.jobs.scanqueue.record_dead_scans).
"""

from __future__ import annotations

from flask import current_app, g
from redis.exceptions import RedisError
from sqlalchemy import select

from seqscan import roots, scans
from seqscan.enums import ScanState
from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.jobs.claim import live_worker
from seqscan.jobs.scanqueue import get_redis
from seqscan.models import ScanRun

SHOWN = "interrupted during {phase}: {why} (recorded as Error at the next scan, worker start or scheduler look)"


def interrupted(scan: ScanRun | None) -> str | None:
    """Why scan is dead though the database says it works (the text a page shows), or None."""
    if scan is None or not scan.state.is_working or scan.id in lock.live_scan_ids():
        return None
    # Read again after the lock: a scan that ended meanwhile has ended its state before giving the
    # lock back, so a state still working here belongs to a dead scan.
    state = db.session.scalar(select(ScanRun.state).where(ScanRun.id == scan.id))
    return SHOWN.format(phase=state, why=lock.why_dead(scan.id)) if state is not None and state.is_working else None


def worker_command(queue: str) -> str:
    """The command that starts the worker of queue."""
    return "worker.py" if queue == current_app.config["SCAN_QUEUE"] else f"worker.py --queue {queue}"


def waiting_for(scan: ScanRun) -> str:
    """What a waiting (Created) scan waits for, as the pages say it ("" for any other): the scan
    ahead of it on its root, or the worker, and whether any worker serves its queue at all. Asked
    once per row: the running scans and each queue's worker are looked up once per request."""
    if scan.state != ScanState.CREATED:
        return ""
    if "running_scans" not in g:
        g.running_scans = {running.root: running.id for running in scans.all_running()}
        g.queue_workers = {}
    ahead = g.running_scans.get(scan.root)
    if ahead and ahead != scan.id:
        return f"waiting behind scan #{ahead}"
    queue = roots.of_scan(scan.root, scan.layout).queue
    if queue not in g.queue_workers:
        try:
            g.queue_workers[queue] = live_worker(get_redis(), queue, current_app.config["DATA_DIR"]) is not None
        except RedisError:
            g.queue_workers[queue] = None  # not known: the health strip says Redis is down
    if g.queue_workers[queue] is False:
        return f"waiting for the worker — no worker is running: start it: `{worker_command(queue)}`"
    return "waiting for the worker"
