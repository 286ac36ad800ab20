"""The health of the installation (database, Redis, worker, scheduler, scans), as the status page
and the API report it. Every check reports, none raises."""

from __future__ import annotations

import time
from datetime import UTC

from flask import current_app
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text

from seqscan import alerts, clock, roots, scans
from seqscan.extensions import db
from seqscan.jobs import keys, process_record
from seqscan.jobs.claim import live_worker
from seqscan.jobs.processes import died_here, holder_of_worker
from seqscan.jobs.scanqueue import get_queue, get_redis
from seqscan.jobs.schedule import next_scans, wanted_schedule


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "detail": db.engine.dialect.name}
    except Exception as e:  # the page must render whatever the database says
        db.session.rollback()
        return {"ok": False, "detail": str(e).splitlines()[0]}


def _scheduler(alive: bool, registered: list) -> tuple[bool, str]:
    """OK only if a scheduler runs and the registered cron jobs are the configured schedule (a Redis
    restart empties it until the scheduler's next look puts it back)."""
    if not alive:
        return False, "not running: no scheduled scans will be queued"
    wanted = sorted(wanted_schedule().values())
    if sorted(cron for _, cron, _, _ in registered) != wanted:
        return False, f"running, but the schedule is not registered ({len(registered)} of {len(wanted)} scans)"
    return True, f"running; {len(wanted)} scheduled scans registered" if wanted else "running; no scans scheduled"


def _worker(worker: Worker, queue: str) -> dict:
    # RQ keeps a killed worker registered (and "busy") until its registration expires; one of ours
    # on this machine whose process is gone is known dead now.
    dead = died_here(holder_of_worker(worker.name))
    return {
        "name": worker.name,
        "queue": queue,
        "dead": dead,
        "state": "dead" if dead else str(getattr(worker.get_state(), "value", worker.get_state())),
        "current_job": worker.get_current_job_id(),
        "last_heartbeat": worker.last_heartbeat.replace(tzinfo=UTC) if worker.last_heartbeat else None,
    }


def server_status() -> dict:
    """Everything the status page shows, and how long gathering it took (took_ms); reads only."""
    start = time.perf_counter()
    config = current_app.config
    status: dict = {"database": _database(), "checked_at": clock.now()}
    connection = get_redis()
    try:
        connection.ping()
        status["redis"] = {"ok": True, "detail": config["REDIS_URL"]}
    except RedisError as e:
        status["redis"] = {"ok": False, "detail": f"{config['REDIS_URL']}: {e}"}
    status["queues"], status["workers"], status["scheduler_alive"], status["next_scans"] = [], [], None, []
    status["workers_ok"] = False
    status["scheduler_ok"], status["scheduler_detail"] = False, "unknown: Redis is unreachable"
    status["processes"] = []
    if status["redis"]["ok"]:
        configured = roots.configured()
        for name in roots.queues():
            queue = get_queue(connection, name)
            workers = [_worker(worker, name) for worker in Worker.all(queue=queue)]
            status["workers"] += workers
            status["queues"].append(
                {
                    "name": name,
                    "roots": [root.name for root in configured if root.queue == name],
                    "owner": live_worker(connection, name, config["DATA_DIR"]),
                    "workers": workers,
                    "default": name == config["SCAN_QUEUE"],
                }
            )
        status["workers_ok"] = all(queue["owner"] for queue in status["queues"])
        status["scheduler_alive"] = bool(connection.exists(keys.scheduler_alive(config["SCAN_QUEUE"])))
        registered = next_scans()
        status["next_scans"] = [when for _, _, when, _ in registered[:2]]
        status["scheduler_ok"], status["scheduler_detail"] = _scheduler(status["scheduler_alive"], registered)
        status["processes"] = process_record.running(connection)
    if status["database"]["ok"]:
        status["waiting"] = scans.all_waiting()
        status["running"] = scans.all_running()
        status["last_success"] = scans.last_success()
        status["alert_failures"] = alerts.recent_failures()
    status["settings"] = {key: config[key] for key in ("ENABLED", "SCAN_DISKS", "SCHEDULE", "TIMEZONE", "SCAN_QUEUE")}
    status["settings"]["roots"] = (
        ", ".join(f"{r.name}: {r.path} (layout {r.layout}, queue {r.queue})" for r in roots.configured()) or "none"
    )
    status["settings_warning"] = process_record.warning(status["processes"])
    status["took_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return status
