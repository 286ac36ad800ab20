"""The scan queue: one RQ queue, one worker, so scans never overlap.

A queued scan is a ScanRun (Created) plus an RQ job holding its id. While one scan waits, asking
for another returns the waiting one: a lab never gets a pile of identical scans.
"""

from __future__ import annotations

import logging
import os
import traceback
import uuid

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from seqscan import scanlock
from seqscan.extensions import db
from seqscan.models import ScanRun, utcnow
from seqscan.scanner.pipeline import ScanRefused, create_scan, execute_scan
from seqscan.states import ScanState, Trigger
from seqscan.workerclaim import live_worker

log = logging.getLogger("seqscan.queue")


def get_redis() -> Redis:
    """The app's Redis client: one connection pool per URL, so a page does not reconnect per call."""
    url = current_app.config["REDIS_URL"]
    clients = current_app.extensions.setdefault("seqscan_redis", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
    return clients[url]


def get_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["SCAN_QUEUE"], connection=connection or get_redis())


def refusal() -> str | None:
    """Why scans may not be queued now, or None."""
    config = current_app.config
    if not config["ENABLED"]:
        return "scanning is disabled (SEQSCAN_ENABLED=false)"
    if not config["SCAN_DISKS"]:
        return "disk scanning is switched off (SEQSCAN_SCAN_DISKS=false)"
    if not config["SCAN_ROOT"]:
        return "no scan root is configured (SEQSCAN_SCAN_ROOT)"
    return None


def job_state(connection: Redis):
    """A function task_id -> RQ job status ("missing" if Redis no longer has it; None if Redis is down)."""

    def state(task_id: str) -> str | None:
        try:
            status = Job.fetch(task_id, connection=connection).get_status(refresh=False)
            status = getattr(status, "value", status) or "missing"
            # Started, waiting for the scan lock, by a worker that has died since.
            if status == "started" and live_worker(connection, current_app.config["SCAN_QUEUE"]) is None:
                return "held by a worker that stopped"
            return status
        except NoSuchJobError:
            return "missing"
        except RedisError:
            return None

    return state


def resolve_dead_scans() -> list[int]:
    """Set dead scans to Error; asks Redis about waiting ones when it can be reached."""
    connection = get_redis()
    try:
        connection.ping()
        states = job_state(connection)
    except RedisError:
        states = None
    return scanlock.resolve_dead_scans(states)


def waiting_scan() -> ScanRun | None:
    return db.session.scalars(
        select(ScanRun)
        .where(ScanRun.state == ScanState.CREATED, ScanRun.task_id.is_not(None))
        .order_by(ScanRun.id)
        .limit(1)
    ).first()


def enqueue_scan(trigger: Trigger, requested_by: str = "") -> tuple[ScanRun, bool]:
    """(the scan that will run, whether it was created now). Raises ScanRefused with the reason."""
    why = refusal()
    if why:
        raise ScanRefused(why)
    config = current_app.config
    connection = get_redis()
    # Across web processes and the scheduler: look for a waiting scan and add one atomically.
    with connection.lock("seqscan:enqueue", timeout=60, blocking_timeout=30):
        scanlock.resolve_dead_scans(job_state(connection))
        waiting = waiting_scan()
        if waiting is not None:
            return waiting, False
        scan = create_scan(os.path.abspath(config["SCAN_ROOT"]), trigger, requested_by)
        # Unique even if the database is reset while Redis keeps old jobs (unlike rq-scheduler's cron ids).
        scan.task_id = f"seqscan-scan-{scan.id}-{uuid.uuid4().hex[:8]}"
        db.session.commit()
        try:
            get_queue(connection).enqueue(
                "seqscan.queue.run_queued_scan",
                scan.id,
                job_id=scan.task_id,
                job_timeout=int(config["SCAN_JOB_TIMEOUT_SECONDS"]),
                result_ttl=int(config["JOB_RESULT_TTL_SECONDS"]),
                failure_ttl=int(config["JOB_FAILURE_TTL_SECONDS"]),
                description=f"seqscan scan {scan.id} ({trigger}{', ' + requested_by if requested_by else ''})",
            )
        except RedisError as e:
            scan.state, scan.error = ScanState.ERROR, f"could not be queued: {e}"
            db.session.commit()
            raise
    log.info("scan %s queued (%s%s)", scan.id, trigger, f" by {requested_by}" if requested_by else "")
    return scan, True


def run_queued_scan(scan_id: int) -> str:
    """The RQ job: run scan scan_id, waiting for the scan lock if a command-line scan holds it."""
    if not has_app_context():  # run by a plain `rq worker` rather than worker.py
        from seqscan import create_app

        with create_app().app_context():
            return run_queued_scan(scan_id)
    scan = db.session.get(ScanRun, scan_id)
    if scan is None:
        raise LookupError(f"scan {scan_id} is not in the database")
    if scan.state != ScanState.CREATED:
        return f"scan {scan_id} is {scan.state}; nothing to do"
    why = refusal()
    if why:
        scan.state, scan.error, scan.finished = ScanState.ERROR, f"refused: {why}", utcnow()
        db.session.commit()
        return scan.error

    def waiting(holder) -> None:
        log.info("scan %s waits for scan %s to finish", scan_id, holder.scan_id if holder else "?")

    execute_scan(scan, wait=True, on_wait=waiting)
    return f"scan {scan_id}: {scan.state}"


def record_job_failure(job: Job, exc_type, exc_value, tb) -> bool:
    """RQ exception handler: a job that died outside the scan's own handling leaves its traceback on the scan."""
    try:
        scan_id = int(job.args[0])
        scan = db.session.get(ScanRun, scan_id)
        if scan is not None and scan.state not in (ScanState.FINISHED, ScanState.ERROR):
            db.session.rollback()
            scan.state = ScanState.ERROR
            scan.error = "".join(traceback.format_exception(exc_type, exc_value, tb))
            scan.finished = utcnow()
            db.session.commit()
        scanlock.release(scan_id)  # the job is over, whatever point it was stopped at
    except Exception:
        log.exception("could not record the failure of job %s", job.id)
    return True  # let RQ's own handling (failed registry) go on
