"""The server's state, as the status page and the API report it. Every check reports, none raises."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import current_app
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import select, text

from seqscan.extensions import db
from seqscan.models import ScanRun
from seqscan.queue import get_queue, get_redis, resolve_dead_scans
from seqscan.states import ScanState
from seqscan.workerclaim import live_worker


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "detail": db.engine.dialect.name}
    except Exception as e:  # the page must render whatever the database says
        db.session.rollback()
        return {"ok": False, "detail": str(e).splitlines()[0]}


def server_status() -> dict:
    """Everything the status page shows, and how long gathering it took (took_ms)."""
    start = time.perf_counter()
    config = current_app.config
    status: dict = {"database": _database(), "checked_at": datetime.now(UTC)}
    connection = get_redis()
    try:
        connection.ping()
        status["redis"] = {"ok": True, "detail": config["REDIS_URL"]}
    except RedisError as e:
        status["redis"] = {"ok": False, "detail": f"{config['REDIS_URL']}: {e}"}
    if status["database"]["ok"]:
        resolve_dead_scans()
    status["workers"], status["scheduler_alive"], status["next_scans"] = [], None, []
    if status["redis"]["ok"]:
        queue = get_queue(connection)
        status["queue_owner"] = live_worker(connection, queue.name)
        for worker in Worker.all(queue=queue):
            job = worker.get_current_job_id()
            status["workers"].append(
                {
                    "name": worker.name,
                    "state": str(getattr(worker.get_state(), "value", worker.get_state())),
                    "current_job": job,
                    "last_heartbeat": worker.last_heartbeat.replace(tzinfo=UTC) if worker.last_heartbeat else None,
                }
            )
        from seqscan.schedule import alive_key, next_scans

        status["scheduler_alive"] = bool(connection.exists(alive_key(queue.name)))

        status["next_scans"] = [when for _, _, when in next_scans()[:2]]
    if status["database"]["ok"]:
        status["waiting"] = db.session.scalars(
            select(ScanRun).where(ScanRun.state == ScanState.CREATED).order_by(ScanRun.id)
        ).all()
        status["running"] = db.session.scalars(
            select(ScanRun).where(ScanRun.state.in_([s for s in ScanState if s.is_active and s != ScanState.CREATED]))
        ).all()
        status["last_success"] = db.session.scalars(
            select(ScanRun).where(ScanRun.state == ScanState.FINISHED).order_by(ScanRun.id.desc()).limit(1)
        ).first()
    status["settings"] = {
        key: config[key]
        for key in ("ENABLED", "SCAN_DISKS", "SCAN_ROOT", "SCHEDULE", "TIMEZONE", "LAYOUT", "SCAN_QUEUE")
    }
    status["took_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return status
