"""What operators do to the scan queue from the pages: cancel a waiting scan, and accept the runs a
refused scan found gone (a scan queued that marks them Deleted). Each is kept as an operator action."""

from __future__ import annotations

import logging

from rq.job import Job

from seqscan import roots, scans
from seqscan.enums import EndReason, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import enqueue_scans, get_redis
from seqscan.models import ScanRun

log = logging.getLogger("seqscan.queue")


def accept_vanished(refused: ScanRun, who: str, reason: str) -> ScanRun:
    """An operator says the runs scan `refused` would not mark Deleted (its mass-deletion guard: more
    likely a lost mount) really were removed: a scan of its root is queued that marks them so, as
    `flask scan --accept-vanished` does. Only the newest scan of its root can be accepted, and not
    while another waits (it could be cancelled first). Raises ScanRefused saying why not."""
    if refused.end_reason != EndReason.TOO_MANY_VANISHED:
        raise scans.ScanRefused(f"scan #{refused.id} was not stopped by the mass-deletion guard")
    if not scans.one_line(reason):
        raise scans.ScanRefused("say why the runs really are gone (the reason is kept with the action)")
    later = scans.newest_after(refused)
    if later is not None:
        if later.is_active:
            raise scans.ScanRefused(
                f"scan #{later.id} of this root is waiting or running: cancel it or let it end first"
            )
        raise scans.ScanRefused(f"scan #{later.id} of this root has run since: look there for what is gone now")
    root = roots.of_scan(refused.root, refused.layout)
    scan, created = enqueue_scans(Trigger.MANUAL, who, [root], accept_vanished=True)[0]
    if not created:  # one was queued between the look above and the enqueue lock
        raise scans.ScanRefused(f"scan #{scan.id} of this root is waiting already: cancel it first")
    scans.record_action(
        who, f"accepted the runs that scan #{refused.id} found gone as removed: scan #{scan.id} marks them Deleted",
        refused.id, reason,
    )  # fmt: skip
    db.session.commit()
    return scan


def cancel_waiting(scan: ScanRun, who: str, reason: str = "") -> bool:
    """Cancel a waiting scan (scans.cancel) and take its job off the queue; whether it was cancelled.
    A job Redis cannot drop now is harmless: a worker that picks it up finds its scan ended."""
    if not scans.cancel(scan, who, reason):
        return False
    try:
        Job.fetch(scan.task_id, connection=get_redis()).cancel()
    except Exception as e:  # gone, Redis away, or already started: a worker that runs it finds its scan ended
        log.info("scan %s cancelled; its job %s stays for the worker to skip: %s", scan.id, scan.task_id, e)
    return True
