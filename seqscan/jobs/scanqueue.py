"""The scan queues: each root's scans go on its queue (the default queue, SCAN_QUEUE, unless the root
names its own), and each queue has one worker, so a queue's scans never overlap.

A queued scan is a ScanRun (Created) of one root plus an RQ job holding its id. While a root's scan
waits, asking for another of that root returns the waiting one: a lab never gets a pile of
identical scans.
"""

from __future__ import annotations

import logging
import socket
import traceback

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from seqscan import roots, scans
from seqscan.enums import EndReason, Trigger
from seqscan.extensions import db
from seqscan.jobs import keys, lock
from seqscan.jobs.claim import live_worker
from seqscan.jobs.processes import died_here, holder_of_worker
from seqscan.models import ScanRun
from seqscan.roots import Root

log = logging.getLogger("seqscan.queue")
JOB_FUNCTION = "seqscan.jobs.run.run_queued_scan"  # enqueued by name: RQ imports it in the worker
REQUEUED = "-requeued"  # the end of the task id of a scan whose lost job was queued again


class ScanEndedInError(Exception):
    """Raised by a scan's RQ job once the scan has recorded that it ended in Error: RQ then counts the
    job failed (`rq info`, rq-dashboard), with the scan's reason in the job's exc_info, rather than
    logging "Job OK" for it."""


def get_redis() -> Redis:
    """The app's Redis client: one connection pool per URL, so a page does not reconnect per call."""
    url = current_app.config["REDIS_URL"]
    clients = current_app.extensions.setdefault("seqscan_redis", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
    return clients[url]


def get_queue(connection: Redis | None = None, name: str | None = None) -> Queue:
    """An RQ queue of scans: the default one (SCAN_QUEUE), or a root's own."""
    return Queue(name or current_app.config["SCAN_QUEUE"], connection=connection or get_redis())


def refusal() -> str | None:
    """Why scans may not be queued now, or None."""
    config = current_app.config
    if not config["ENABLED"]:
        return "scanning is disabled (SEQSCAN_ENABLED=false)"
    if not config["SCAN_DISKS"]:
        return "disk scanning is switched off (SEQSCAN_SCAN_DISKS=false)"
    if not roots.configured():
        return "no scan root is configured ([[roots]] in instance/seqscan.toml, or SEQSCAN_SCAN_ROOT)"
    return None


def job_state(connection: Redis):
    """A function task_id -> RQ job status ("missing" if Redis no longer has it; None if Redis is down)."""

    def state(task_id: str) -> str | None:
        try:
            job = Job.fetch(task_id, connection=connection)
            status = job.get_status(refresh=False)
            status = getattr(status, "value", status) or "missing"
            if status == "started" and _worker_stopped(job, connection):
                return "held by a worker that stopped"
            return status
        except NoSuchJobError:
            return "gone from Redis again" if task_id.endswith(REQUEUED) else "missing"
        except RedisError:
            return None

    return state


def _worker_stopped(job: Job, connection: Redis) -> bool:
    """Whether the worker that started job (it may be waiting for the scan lock) has died since.

    A worker on this machine is dead when its process is; one elsewhere when its claim on the
    queue has lapsed (a claim a Redis restart lost is back within a second or two).
    """
    holder = holder_of_worker(job.worker_name or "")
    host, _, pid = holder.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return died_here(holder)
    return live_worker(connection, job.origin) is None


def record_dead_scans() -> list[int]:
    """Record scans whose process or queue job is gone; returns the ids set to Error.

    A working scan without a live scan lock is interrupted (Error). A waiting scan whose job Redis
    lost (a restart empties it) is queued again, once: the scan rows are the truth and the queue is
    rebuilt from them. Called by those that act, never by a read: the worker as it starts, each look
    of the scheduler, and a trigger (enqueue_scan, `flask scan`). Pages and the CLI show a dead scan
    as such meanwhile, read-only (seqscan.jobs.liveness).
    """
    connection = get_redis()
    try:
        with connection.lock(keys.enqueue_lock(current_app.config["SCAN_QUEUE"]), timeout=60, blocking_timeout=30):
            return _resolve(connection)
    except RedisError:
        # Waiting scans are left alone until the queue can be asked.
        return scans.fail_dead(lock.live_scan_ids, None, lock.why_dead)


def _resolve(connection: Redis) -> list[int]:
    """record_dead_scans, under the enqueue lock (so a job being queued now is not taken for lost)."""
    states = job_state(connection)
    for scan in scans.all_waiting():
        if states(scan.task_id) == "missing":
            scans.record_task(scan, scan.task_id + REQUEUED)
            _queue_job(connection, scan)
            log.warning("scan %s: its queue job was gone from Redis; queued again as %s", scan.id, scan.task_id)
    dead = scans.fail_dead(lock.live_scan_ids, states, lock.why_dead)
    for scan_id in dead:
        scan = db.session.get(ScanRun, scan_id)
        if scan is not None and scan.task_id:
            _fail_abandoned_job(connection, scan.task_id, f"scan {scan_id} ended in Error: {scan.error_line}")
    return dead


def _fail_abandoned_job(connection: Redis, job_id: str, why: str) -> None:
    """The RQ job of a scan found dead leaves RQ's started registry for its failed one, with why: RQ
    would keep it "executing" (`rq info`) until its job timeout (12 h) ran out."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return
    started = StartedJobRegistry(job.origin, connection=connection)
    entries = [f"{jid}:{eid}" for jid, eid in started.get_job_and_execution_ids(cleanup=False) if jid == job_id]
    if not entries:
        return  # never started (waiting in a dead worker's hands), or RQ moved it already
    with connection.pipeline() as pipeline:
        pipeline.zrem(started.key, *entries)
        job.set_status(JobStatus.FAILED, pipeline=pipeline)
        # As RQ's own StartedJobRegistry.cleanup fails an abandoned job: to the failed registry, with a
        # failure result holding why (what rq info and rq-dashboard read).
        job._handle_failure(why, pipeline, worker_name="")
        pipeline.execute()
    log.info("scan job %s moved from RQ's started registry to its failed one", job_id)


def _queue_job(connection: Redis, scan: ScanRun) -> None:
    config = current_app.config
    who = f", {scan.requested_by}" if scan.requested_by else ""
    get_queue(connection, roots.of_scan(scan.root, scan.layout).queue).enqueue(
        JOB_FUNCTION,
        scan.id,
        job_id=scan.task_id,
        job_timeout=int(config["SCAN_JOB_TIMEOUT_SECONDS"]),
        result_ttl=int(config["JOB_RESULT_TTL_SECONDS"]),
        failure_ttl=int(config["JOB_FAILURE_TTL_SECONDS"]),
        description=f"seqscan scan {scan.id} ({scan.trigger}{who})",
    )


def enqueue_scans(
    trigger: Trigger, requested_by: str = "", only: list[Root] | None = None, accept_vanished: bool = False
) -> list[tuple[ScanRun, bool]]:
    """One scan per configured root (or per root of only), each on its root's queue: [(the scan that
    will run, whether it was created now)]. A root with a scan waiting already gets no second one.
    Raises ScanRefused with the reason; RedisError if the queue cannot be reached."""
    why = refusal()
    if why:
        raise scans.ScanRefused(why)
    connection = get_redis()
    out = []
    # Across web processes and the scheduler: look for a waiting scan and add one atomically.
    with connection.lock(keys.enqueue_lock(current_app.config["SCAN_QUEUE"]), timeout=60, blocking_timeout=30):
        _resolve(connection)
        for root in roots.configured() if only is None else only:
            waiting = scans.waiting(root.path)
            if waiting is not None:
                out.append((waiting, False))
                continue
            scan = scans.create(root, trigger, requested_by, accept_vanished=accept_vanished)
            scans.record_task(scan, keys.scan_job_id(root.queue, scan.id))
            try:
                _queue_job(connection, scan)
            except RedisError as e:
                scans.fail(scan, EndReason.NOT_QUEUED, str(e))
                raise
            log.info(
                "scan %s of %s queued (%s%s)",
                scan.id,
                root.name,
                trigger,
                f" by {requested_by}" if requested_by else "",
            )
            out.append((scan, True))
    return out


def enqueue_scan(trigger: Trigger, requested_by: str = "", root: Root | None = None) -> tuple[ScanRun, bool]:
    """enqueue_scans for one root: root, or the only one configured (ScanRefused if there are several)."""
    if root is None and len(roots.configured()) > 1:
        names = ", ".join(r.name for r in roots.configured())
        raise scans.ScanRefused(f"several roots are configured ({names}): name the one to scan")
    return enqueue_scans(trigger, requested_by, None if root is None else [root])[0]


def record_job_failure(job: Job, exc_type, exc_value, tb) -> bool:
    """RQ exception handler: a job that died outside the scan's own handling leaves its traceback on the scan
    (a scan that ended in Error has recorded why itself: left as it is)."""
    if exc_type is ScanEndedInError:
        return True  # to RQ's failed registry, with the scan's reason
    try:
        scan_id = int(job.args[0])
        scan = db.session.get(ScanRun, scan_id)
        if scan is not None:
            scans.fail(scan, EndReason.FAILED, "".join(traceback.format_exception(exc_type, exc_value, tb)))
        lock.release(scan_id)  # the job is over, whatever point it was stopped at
    except Exception:
        log.exception("could not record the failure of job %s", job.id)
    finally:
        db.session.remove()  # as after every job (see run_queued_scan)
    return True  # let RQ's own handling (failed registry) go on
