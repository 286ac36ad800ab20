"""Every Redis key and queue job id seqscan makes, each namespaced by the scan queue's name, so that
two installations (or the tests) sharing one Redis database never meet. RQ names its own keys
(rq:queue:<queue>, rq:job:<job id>); the job ids below carry the queue's name into those too."""

from __future__ import annotations

import hashlib
import uuid


def enqueue_lock(queue: str) -> str:
    """Held while a scan is queued or dead scans are recorded (one writer of the queue at a time)."""
    return f"seqscan:enqueue:{queue}"


def worker_claim(queue: str) -> str:
    """Names the one live worker of the queue (seqscan.jobs.claim)."""
    return f"seqscan:worker-of:{queue}"


def scheduler_alive(queue: str) -> str:
    """Names the queue's one running scheduler (host:pid), expiring with its heartbeat (seqscan.jobs.claim)."""
    return f"seqscan:scheduler-of:{queue}"


def process_record(queue: str, role: str, served_queue: str) -> str:
    """What a running worker or scheduler ("worker", "scheduler") of the queue served_queue started
    with, expiring with its claim (seqscan.jobs.process_record)."""
    return f"{process_records(queue)}{role}:{served_queue}"


def process_records(queue: str) -> str:
    """The prefix of every process record of the installation whose scan queue is queue."""
    return f"seqscan:process:{queue}:"


def down_since(queue: str, what: str) -> str:
    """When `what` ("worker", "scheduler") was first seen down."""
    return f"seqscan:{what}-down-since:{queue}"


def rate_limits(queue: str) -> str:
    """The prefix of Flask-Limiter's sign-in counters."""
    return f"seqscan:{queue}"


def scan_job_id(queue: str, scan_id: int) -> str:
    """A scan's RQ job id: unique even if the database is reset while Redis keeps old jobs."""
    return f"seqscan-scan-{queue}-{scan_id}-{uuid.uuid4().hex[:8]}"


def scheduled_jobs(queue: str) -> str:
    """rq-scheduler's sorted set of job ids by next firing (its own default is one for the whole Redis database)."""
    return f"seqscan:scheduled-jobs:{queue}"


def scheduler_lock(queue: str) -> str:
    """Held by the queue's one running scheduler (rq-scheduler's default lock is one for the whole
    Redis database: a second installation's scheduler would never look at its schedule)."""
    return f"seqscan:scheduler-lock:{queue}"


def schedule_job_prefix(queue: str) -> str:
    return f"seqscan-schedule-{queue}-"


def schedule_job_id(queue: str, cron: str, zone: str) -> str:
    """A cron job's id, made from what it schedules: a changed cron string or time zone is a new id
    (the old job is then cancelled, the new one added; nothing compares metadata)."""
    digest = hashlib.sha256(f"{cron}\n{zone}".encode()).hexdigest()[:12]
    return f"{schedule_job_prefix(queue)}{digest}"
