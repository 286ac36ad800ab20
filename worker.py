"""The one worker of the seqscan scan queue: `python worker.py` (make run starts it).

It refuses to start while another live worker serves the queue, marks scans left behind by a
dead worker as interrupted, then runs queued scans one at a time, in this process: RQ's
SimpleWorker, so a scan runs inside the app context built here, no database connection crosses a
fork, and killing the worker stops its scan.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import socket
import sys
from pathlib import Path

from rq import SimpleWorker, Worker

from seqscan import create_app
from seqscan.jobs.claim import QueueClaim
from seqscan.jobs.processes import died_here
from seqscan.jobs.scanqueue import get_queue, get_redis, record_job_failure, resolve_dead_scans


def setup_logging(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the one worker of the seqscan scan queue.")
    parser.add_argument("--burst", action="store_true", help="run the queued scans, then exit")
    args = parser.parse_args(argv)
    app = create_app()
    setup_logging(Path(app.root_path) / app.config["WORKER_LOG"])
    log = logging.getLogger("seqscan.worker")
    with app.app_context():
        connection = get_redis()
        queue = get_queue(connection)
        claim = QueueClaim(connection, queue.name)
        holder = claim.take()
        if holder is not None:
            log.error("another seqscan worker (%s) already serves queue %s; not starting a second", holder, queue.name)
            return 2
        claim.keep()
        try:
            forget_dead_workers(queue)
            resolve_dead_scans()  # scans left behind by a dead worker: each is logged as it is set to Error
            name = f"seqscan-{socket.gethostname()}-{os.getpid()}"
            worker = SimpleWorker([queue], connection=connection, name=name, exception_handlers=[record_job_failure])
            log.info("worker %s serving queue %s", name, queue.name)
            worker.work(burst=args.burst, with_scheduler=False)
        finally:
            claim.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
