"""Who watches the watchers: the scheduler looks for the worker on each look, the worker for the
scheduler every minute; either down for SEQSCAN_DOWN_ALERT_MINUTES is an alert (seqscan.alerts).
When each was first seen down is kept in Redis, so that every process agrees on it."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

from seqscan import alerts, roots
from seqscan.extensions import db
from seqscan.jobs import keys
from seqscan.jobs.claim import live_worker

log = logging.getLogger("seqscan.watch")


def down_since(connection: Redis, what: str, up: bool) -> float | None:
    """When `what` was first seen down (unix time), or None while it is up."""
    key = keys.down_since(current_app.config["SCAN_QUEUE"], what)
    if up:
        connection.delete(key)
        return None
    connection.set(key, time.time(), nx=True)
    return float(connection.get(key) or time.time())


def watch_worker(connection: Redis) -> None:
    """Each queue's worker (named by its queue when there are several)."""
    queues = roots.queues()
    for queue in queues:
        up = live_worker(connection, queue, current_app.config["DATA_DIR"]) is not None
        what = "worker" if len(queues) == 1 else f"worker of {queue}"
        alerts.check_down(what, up, down_since(connection, what, up))


def watch_scheduler(connection: Redis) -> None:
    up = bool(connection.exists(keys.scheduler_alive(current_app.config["SCAN_QUEUE"])))
    alerts.check_down("scheduler", up, down_since(connection, "scheduler", up))


def start_scheduler_watch(app: Flask, connection: Redis, every: float = 60) -> threading.Event:
    """In the worker: look for the scheduler every `every` seconds from a thread; set the returned
    event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            with app.app_context():
                try:
                    watch_scheduler(connection)
                except RedisError:
                    pass  # Redis is down: the status page says so; nothing to tell apart
                except Exception:
                    log.exception("could not look for the scheduler")
                finally:
                    db.session.remove()

    threading.Thread(target=loop, name="watch-scheduler", daemon=True).start()
    return stop
