"""The twice-daily scans: rq-scheduler cron jobs with stable ids, in the lab's time zone.

rq-scheduler computes the next cron time from the process's local clock, so every process that
registers or runs the schedule first sets TZ to SEQSCAN_TIMEZONE. Each firing queues a new
ScanRun through enqueue_scan (trigger "scheduled"); rq-scheduler re-uses its cron job's id on
every firing, so nothing is keyed on that id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crontab import CronTab
from flask import current_app
from redis.exceptions import RedisError
from rq_scheduler import Scheduler
from rq_scheduler.utils import get_next_scheduled_time, to_unix

from seqscan import alerts
from seqscan.dberrors import is_outage, reason
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.jobs import keys
from seqscan.jobs.backoff import Backoff
from seqscan.jobs.scanqueue import enqueue_scan, get_redis, record_dead_scans, refusal
from seqscan.jobs.watch import watch_worker
from seqscan.scans import ScanRefused

log = logging.getLogger("seqscan.schedule")
# crontab (pinned) warns that a future release will read cron in UTC; rq-scheduler relies on the
# local-time reading, which the time zone tests check. The warning would only alarm operators.
warnings.filterwarnings("ignore", category=FutureWarning, module="rq_scheduler.utils")


def use_lab_timezone() -> ZoneInfo:
    """Make this process's local time the lab's (rq-scheduler reads cron in local time)."""
    name = current_app.config["TIMEZONE"]
    zone = ZoneInfo(name)  # raises for an unknown zone
    os.environ["TZ"] = name
    time.tzset()
    return zone


def job_id_prefix() -> str:
    return f"seqscan-schedule-{current_app.config['SCAN_QUEUE']}-"


def validate(cron: str) -> None:
    CronTab(cron)  # raises ValueError with the reason


class ScanScheduler(Scheduler):
    """rq-scheduler that turns each firing of a seqscan cron job into a queued ScanRun, keeps a key
    saying it is alive (expiring with its heartbeat) for the status page, and on each look at the
    schedule puts the schedule back if Redis lost it and deals with scans whose process or job is
    gone. A Redis outage is waited out: the process never ends because of one."""

    last_look: float | None = None  # when the schedule was last seen registered (unix time)
    owed = False  # a firing fell due while the database was away: queue its scan when it is back

    def run(self, burst=False):
        backoff = Backoff(log)
        while True:
            try:
                return super().run(burst)
            except RedisError as e:
                backoff.wait(e)

    def _install_signal_handlers(self):
        def stop(signum, frame):
            log.info("shutting down the scheduler")
            with contextlib.suppress(RedisError):  # stopping during an outage must still stop
                self.register_death()
                self.remove_lock()
            raise SystemExit()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    def register_birth(self):
        # Our own key (the name is this instance's uuid), left without a death mark by an outage.
        self.connection.delete(self.key)
        super().register_birth()

    def heartbeat(self):
        super().heartbeat()
        self.connection.set(keys.scheduler_alive(self.queue_name), self.name, ex=int(self._interval) + 10)

    def enqueue_jobs(self):
        # Once per loop (rq-scheduler beats twice per loop). A restarted Redis is empty: the cron
        # jobs are registered again from the settings, a firing missed meanwhile is made up for,
        # and waiting scans' jobs are queued again (record_dead_scans).
        now = time.time()
        if self.owed:
            self.queue_scheduled_scan()
        added = register_schedule(self)
        if added and self.last_look is not None:
            self.make_up_missed(added, since=self.last_look, until=now)
        try:
            record_dead_scans()
            watch_worker(self.connection)
            alerts.check_stale()
        except RedisError:
            raise
        except Exception:  # the schedule must go on whatever the database says
            log.exception("could not check for dead scans, the worker or stale scans")
        try:
            jobs = super().enqueue_jobs()
            self.last_look = now
            return jobs
        finally:
            db.session.remove()  # no transaction held between looks; the next look pings a fresh connection

    def make_up_missed(self, job_ids: list[str], since: float, until: float) -> None:
        """Queue one scan if a cron job that had to be registered again was due while it was gone
        (the last look saw the schedule; this one did not)."""
        crons = wanted_schedule()
        zone = use_lab_timezone()
        now = datetime.fromtimestamp(until, zone).replace(tzinfo=None)
        due = [
            crons[i]
            for i in job_ids
            if i in crons and until + CronTab(crons[i]).previous(now=now, default_utc=False) > since
        ]
        if due:
            log.warning("schedule: %s fell due while Redis had lost the schedule; queueing it now", ", ".join(due))
            self.queue_scheduled_scan()

    def queue_scheduled_scan(self) -> None:
        self.owed = False
        try:
            scan, created = enqueue_scan(Trigger.SCHEDULED, "scheduler")
            log.info("scheduled scan: %s %s", "queued scan" if created else "scan already waiting:", scan.id)
        except ScanRefused as e:
            log.warning("scheduled scan not queued: %s", e)
        except RedisError:
            raise
        except Exception as e:  # the next firing must still be scheduled
            if is_outage(e):  # owed: queued on the first look that finds the database back
                self.owed = True
                db.session.rollback()
                log.error(
                    "scheduled scan not queued yet: the database is unreachable (%s); trying on every look", reason(e)
                )
            else:
                log.exception("scheduled scan could not be queued")

    def register_death(self):
        super().register_death()
        self.connection.delete(keys.scheduler_alive(self.queue_name))

    def enqueue_job(self, job):
        if not job.id.startswith(job_id_prefix()):
            return super().enqueue_job(job)
        self.queue_scheduled_scan()
        cron = job.meta["cron_string"]
        next_time = get_next_scheduled_time(cron, use_local_timezone=True)
        self.connection.zadd(self.scheduled_jobs_key, {job.id: to_unix(next_time)})


def get_scheduler(interval: int = 30) -> ScanScheduler:
    return ScanScheduler(queue_name=current_app.config["SCAN_QUEUE"], connection=get_redis(), interval=interval)


def scheduled_scan() -> None:
    """What a seqscan cron job runs if a plain rqscheduler (not ScanScheduler) fires it: queue a scan."""
    enqueue_scan(Trigger.SCHEDULED, "rqscheduler")


def wanted_schedule() -> dict[str, str]:
    """{cron job id: cron string} the settings ask for (none while scanning is refused)."""
    if refusal() is not None:
        return {}
    return {f"{job_id_prefix()}{i}": cron for i, cron in enumerate(current_app.config["SCHEDULE"], start=1)}


def register_schedule(scheduler: ScanScheduler | None = None) -> list[str]:
    """Make the registered cron jobs match the settings; idempotent. Returns the ids added now
    (none when the registered schedule already matched)."""
    use_lab_timezone()
    scheduler = scheduler or get_scheduler()
    prefix = job_id_prefix()
    ours = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(prefix)}
    wanted, added = wanted_schedule(), []
    for cron in wanted.values():
        validate(cron)
    for job_id, job in ours.items():
        if wanted.get(job_id) != job.meta.get("cron_string"):
            scheduler.cancel(job)
            job.delete()
            log.info("schedule: removed %s (%s)", job_id, job.meta.get("cron_string"))
    for job_id, cron in wanted.items():
        if job_id in ours and ours[job_id].meta.get("cron_string") == cron:
            continue  # unchanged: keep its next firing time
        scheduler.cron(
            cron,
            func="seqscan.jobs.schedule.scheduled_scan",
            id=job_id,
            queue_name=current_app.config["SCAN_QUEUE"],
            use_local_timezone=True,
            description=f"seqscan scheduled scan ({cron}, {current_app.config['TIMEZONE']})",
        )
        log.info("schedule: registered %s (%s %s)", job_id, cron, current_app.config["TIMEZONE"])
        added.append(job_id)
    return added


def next_scans(scheduler: ScanScheduler | None = None) -> list[tuple[str, str, datetime]]:
    """(job id, cron string, next firing in the lab time zone) of each registered scan, soonest first."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    scheduler = scheduler or get_scheduler()
    prefix = job_id_prefix()
    out = [
        (job.id, job.meta.get("cron_string", ""), when.replace(tzinfo=UTC).astimezone(zone))
        for job, when in scheduler.get_jobs(with_times=True)
        if job.id.startswith(prefix)
    ]
    return sorted(out, key=lambda item: item[2])
