"""The scan queue: one RQ queue, one worker, so scans never overlap.

A queued scan is a ScanRun (Created) plus an RQ job holding its id. While one scan waits, asking
for another returns the waiting one: a lab never gets a pile of identical scans.
"""

from __future__ import annotations

import logging
import traceback
import uuid

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from seqscan import scans
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.jobs import lock
from seqscan.jobs.claim import live_worker
from seqscan.models import ScanRun

log = logging.getLogger("seqscan.queue")
JOB_FUNCTION = "seqscan.jobs.run.run_queued_scan"  # enqueued by name: RQ imports it in the worker


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


def resolve_dead_scans(suspect: ScanRun | None = None) -> list[int]:
    """Set scans whose process is gone to Error (through scans.fail_dead); returns their ids.

    Called on a schedule (the scheduler's heartbeat, the worker's start) and when a page is first
    loaded. A poll passes its scan as suspect: then nothing is asked unless that scan is working
    without holding the live scan lock, so a poll costs one read of the lock row.
    """
    live = lock.live_scan_id()
    if suspect is not None and not (suspect.state.is_working and suspect.id != live):
        return []
    connection = get_redis()
    try:
        connection.ping()
        states = job_state(connection)
    except RedisError:
        states = None  # waiting scans are left alone until the queue can be asked
    return scans.fail_dead(live, states)


def enqueue_scan(trigger: Trigger, requested_by: str = "") -> tuple[ScanRun, bool]:
    """(the scan that will run, whether it was created now). Raises ScanRefused with the reason."""
    why = refusal()
    if why:
        raise scans.ScanRefused(why)
    config = current_app.config
    connection = get_redis()
    # Across web processes and the scheduler: look for a waiting scan and add one atomically.
    with connection.lock("seqscan:enqueue", timeout=60, blocking_timeout=30):
        scans.fail_dead(lock.live_scan_id(), job_state(connection))
        waiting = scans.waiting()
        if waiting is not None:
            return waiting, False
        scan = scans.create(config["SCAN_ROOT"], trigger, requested_by)
        # Unique even if the database is reset while Redis keeps old jobs (unlike rq-scheduler's cron ids).
        scan.task_id = f"seqscan-scan-{scan.id}-{uuid.uuid4().hex[:8]}"
        db.session.commit()
        try:
            get_queue(connection).enqueue(
                JOB_FUNCTION,
                scan.id,
                job_id=scan.task_id,
                job_timeout=int(config["SCAN_JOB_TIMEOUT_SECONDS"]),
                result_ttl=int(config["JOB_RESULT_TTL_SECONDS"]),
                failure_ttl=int(config["JOB_FAILURE_TTL_SECONDS"]),
                description=f"seqscan scan {scan.id} ({trigger}{', ' + requested_by if requested_by else ''})",
            )
        except RedisError as e:
            scans.fail(scan, f"could not be queued: {e}")
            raise
    log.info("scan %s queued (%s%s)", scan.id, trigger, f" by {requested_by}" if requested_by else "")
    return scan, True


def record_job_failure(job: Job, exc_type, exc_value, tb) -> bool:
    """RQ exception handler: a job that died outside the scan's own handling leaves its traceback on the scan."""
    try:
        scan_id = int(job.args[0])
        scan = db.session.get(ScanRun, scan_id)
        if scan is not None:
            scans.fail(scan, "".join(traceback.format_exception(exc_type, exc_value, tb)))
        lock.release(scan_id)  # the job is over, whatever point it was stopped at
    except Exception:
        log.exception("could not record the failure of job %s", job.id)
    return True  # let RQ's own handling (failed registry) go on
