"""The one worker of a seqscan scan queue (`python worker.py [--queue NAME]`; make run starts it).

Each queue has one worker: the default queue (SCAN_QUEUE) serves the roots without a queue of their
own, and a root that names one is served by `worker.py --queue NAME`, on this host or another near
that storage (a worker needs only the database and Redis).

It builds the app once and serves the queue inside its context: the scans it runs (the RQ job
seqscan.jobs.run.run_queued_scan) use that app, none builds its own. It refuses to start while another live worker serves the queue (on this machine a file lock says
so even while Redis is down or restarting; across machines, the Redis claim), marks scans left
behind by a dead worker as interrupted, then runs queued scans one at a time, in this process:
RQ's SimpleWorker, so a scan runs inside the app context built here, no database connection
crosses a fork, and killing the worker stops its scan. A Redis outage is waited out, not fatal.
A database away at start is waited for, and its schema checked once it answers (seqscan.schema).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import logging.handlers
import sys
from pathlib import Path

from redis.exceptions import RedisError
from rq import SimpleWorker, Worker

from seqscan import SCHEMA_PENDING, create_app_or_exit, roots
from seqscan.extensions import db
from seqscan.jobs import run
from seqscan.jobs.backoff import Backoff
from seqscan.jobs.claim import QueueClaim
from seqscan.jobs.outage import when_back
from seqscan.jobs.process_record import ProcessRecord
from seqscan.jobs.processes import died_here, worker_name
from seqscan.jobs.scanqueue import get_queue, get_redis, record_dead_scans, record_job_failure
from seqscan.jobs.watch import start_scheduler_watch
from seqscan.jobs.worker_lock import lock_path, lock_this_machine
from seqscan.schema import check_or_upgrade
from seqscan.settings_check import SettingError


def setup_logging(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A crash Python cannot catch (SIGBUS: SQLite's shared-memory file made unwritable under it, a
    # full tmpfs) still leaves its reason and every thread's stack in the worker's log.
    faulthandler.enable(open(path, "a"), all_threads=True)  # noqa: SIM115 (held until exit)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in (
        logging.handlers.RotatingFileHandler(path, maxBytes=10 * 2**20, backupCount=5, encoding="utf-8"),
        logging.StreamHandler(sys.stderr),
    ):
        handler.setFormatter(formatter)
        root.addHandler(handler)


def forget_dead_workers(queue) -> None:
    """Remove RQ registrations of this machine's workers that were killed, so `rq info` tells the truth."""
    for worker in Worker.all(queue=queue):
        if died_here(f"{worker.hostname}:{worker.pid}"):
            logging.getLogger("seqscan.worker").info("forgetting dead worker %s (pid %s)", worker.name, worker.pid)
            worker.register_death()


class ScanWorker(SimpleWorker):
    """RQ's SimpleWorker whose warm shutdown (the first SIGTERM or Ctrl-C) also tells the running
    scan to stop at its next run boundary (it is then queued again); RQ makes the second signal a
    cold shutdown, which stops the scan at once."""

    def request_stop(self, signum, frame):
        run.shutdown.set()
        super().request_stop(signum, frame)

    def heartbeat(self, timeout=None, pipeline=None):
        # A Redis restarted empty has forgotten this worker: register it again, so that `rq info`
        # and the status page list it. (A heartbeat alone would leave a bare, unlisted hash.)
        if pipeline is None and not self.connection.hexists(self.key, "birth"):
            logging.getLogger("seqscan.worker").warning(
                "Redis had forgotten worker %s: registering it again", self.name
            )
            self.connection.delete(self.key)
            self.register_birth()
        return super().heartbeat(timeout, pipeline)


def take_claim(claim: QueueClaim, log: logging.Logger) -> str | None:
    """claim.take(), once Redis answers."""
    backoff = Backoff(log)
    while True:
        try:
            return claim.take()
        except RedisError as e:
            backoff.wait(e)


def serve(queue, burst: bool, log: logging.Logger) -> None:
    """RQ's work loop, started again after Redis went away mid-job (RQ itself only waits out an
    outage while it is idle)."""
    name = worker_name()
    backoff = Backoff(log)
    while True:
        try:
            worker = ScanWorker(
                [queue], connection=queue.connection, name=name, exception_handlers=[record_job_failure]
            )
            worker.connection.delete(worker.key)  # our own registration, left behind by the outage
            forget_dead_workers(queue)
            # Scans left behind by a dead worker, each logged as it is set to Error; the database may be
            # away too (an outage can overlap a Redis restart, which brings the loop back here).
            when_back(record_dead_scans)
            db.session.remove()  # hold no connection while idle (see run_queued_scan)
            log.info("worker %s serving queue %s", name, queue.name)
            worker.work(burst=burst, with_scheduler=False)
            return
        except RedisError as e:
            backoff.wait(e)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the one worker of a seqscan scan queue.")
    parser.add_argument("--burst", action="store_true", help="run the queued scans, then exit")
    parser.add_argument("--queue", help="the queue to serve: a root's own queue (default: SEQSCAN_SCAN_QUEUE)")
    args = parser.parse_args(argv)
    app = create_app_or_exit()
    log_file = Path(app.root_path) / app.config["WORKER_LOG"]
    # One file per process (rotation is not shared): a root's own queue's worker adds its queue's name,
    # unless SEQSCAN_WORKER_LOG names it already (seqscan-worker@.service sets worker-<queue>.log).
    if args.queue and args.queue != app.config["SCAN_QUEUE"] and args.queue not in log_file.name:
        log_file = log_file.with_name(f"{log_file.stem}.{args.queue}{log_file.suffix}")
    try:
        setup_logging(log_file)
    except OSError as e:  # a read-only project folder (the units' ProtectSystem=strict), a full disk
        print(f"worker: cannot write its log {log_file}: {e.strerror} (SEQSCAN_WORKER_LOG says where)", file=sys.stderr)
        return 2
    log = logging.getLogger("seqscan.worker")
    with app.app_context():
        if app.extensions.get(SCHEMA_PENDING):  # started while the database is away: wait for it
            try:
                when_back(check_or_upgrade)
            except SettingError as e:  # the schema is behind: as create_app_or_exit would have said
                log.error("refusing to start: %s", e)
                return 2
        known = roots.queues()
        if args.queue and args.queue not in known and args.queue != app.config["SCAN_QUEUE"]:
            log.error("no root's scans go on queue %s (the queues: %s); not starting", args.queue, ", ".join(known))
            return 2
        connection = get_redis()
        queue = get_queue(connection, args.queue)
        claim = QueueClaim(connection, queue.name, ProcessRecord(connection, "worker", queue.name))
        lock_file = lock_path(app.config["DATA_DIR"], queue.name)
        held = lock_this_machine(lock_file)  # kept referenced: closing the file would drop the lock
        if held is None:
            holder = f"pid {lock_file.read_text().strip() or '?'} on this machine"
        else:
            holder = take_claim(claim, log)
        if holder is not None:
            log.error("another seqscan worker (%s) already serves queue %s; not starting a second", holder, queue.name)
            return 2
        claim.keep()
        watching = start_scheduler_watch(app, connection)
        try:
            serve(queue, args.burst, log)
        finally:
            watching.set()
            claim.release()
    return 0
