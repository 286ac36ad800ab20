"""The twice-daily scans: rq-scheduler cron jobs in the lab's time zone, each with an id made from
what it schedules (seqscan.jobs.keys), reconciled with the settings as the scheduler starts and on
each of its looks: a job no longer wanted is cancelled, a wanted one missing is added.

rq-scheduler would read cron on the process's local clock; seqscan computes every firing itself on
the lab's (seqscan.clock) and stores it, so no process sets TZ. Each firing queues one new ScanRun
per root through enqueue_scans (trigger "scheduled"), each on its root's queue; rq-scheduler re-uses its cron job's id on every firing,
so nothing is keyed on that id.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from seqscan import alerts, clock, roots
from seqscan.dberrors import is_outage, reason
from seqscan.enums import Trigger
from seqscan.extensions import db
from seqscan.jobs import keys
from seqscan.jobs.backoff import Backoff
from seqscan.jobs.claim import Claim
from seqscan.jobs.process_record import ProcessRecord
from seqscan.jobs.scanqueue import enqueue_scans, get_redis, record_dead_scans, refusal
from seqscan.jobs.watch import watch_worker
from seqscan.jobs.worker_lock import local_worker, lock_path, lock_this_machine
from seqscan.scans import ScanRefused

log = logging.getLogger("seqscan.schedule")


def job_id_prefix() -> str:
    return keys.schedule_job_prefix(current_app.config["SCAN_QUEUE"])


class ScanScheduler(Scheduler):
    """rq-scheduler that turns each firing of a seqscan cron job into a queued ScanRun, claims the
    queue's scheduling for itself (take_claim: the one scheduler of the queue; the claim, expiring with
    its heartbeat, tells the status page it is alive), and on each look at the schedule puts the
    schedule back if Redis lost it and deals with scans whose process or job is gone. A Redis outage
    is waited out: the process never ends because of one."""

    last_look: float | None = None  # when the schedule was last seen registered (unix time)
    owed = False  # a firing fell due while the database was away: queue its scan when it is back

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scheduled_jobs_key = keys.scheduled_jobs(self.queue_name)
        self.scheduler_lock_key = keys.scheduler_lock(self.queue_name)
        what = f"the scheduler of queue {self.queue_name}"
        self.claim = Claim(self.connection, keys.scheduler_alive(self.queue_name), int(self._interval) + 10, what)
        self.lock_file = None  # this machine's lock file, held while it runs (take_claim)

    def take_claim(self, data_dir: str) -> str | None:
        """Become the queue's one scheduler: None, or the live one (host:pid) if another runs. On this
        machine a lock file says so even while Redis has lost the other's claim (seqscan.jobs.worker_lock)."""
        path = lock_path(data_dir, self.queue_name, "scheduler")
        self.lock_file = lock_this_machine(path)
        if self.lock_file is None:
            return (
                local_worker(data_dir, self.queue_name, "scheduler")
                or f"pid {path.read_text().strip()} on this machine"
            )
        self.claim.record = ProcessRecord(self.connection, "scheduler", self.queue_name)
        return self.claim.take()

    # rq-scheduler holds its lock for each look only, and removes it whenever it believes it holds it;
    # a look that outlived the lock's expiry would remove a lock another look took since. Ours names
    # its holder, and only the holder removes it.
    def acquire_lock(self):
        expires = int(self._interval) + 10
        self._lock_acquired = bool(self.connection.set(self.scheduler_lock_key, self.claim.me, ex=expires, nx=True))
        return self._lock_acquired

    def remove_lock(self):
        if self._lock_acquired:
            self._lock_acquired = False
            if (self.connection.get(self.scheduler_lock_key) or b"").decode() == self.claim.me:
                self.connection.delete(self.scheduler_lock_key)

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
        self.claim.renew()  # put back if a restarted Redis lost it; never taken from another scheduler

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
        now = datetime.fromtimestamp(until, UTC)
        due = [crons[i] for i in job_ids if i in crons and clock.previous_firing(crons[i], now).timestamp() > since]
        if due:
            log.warning("schedule: %s fell due while Redis had lost the schedule; queueing it now", ", ".join(due))
            self.queue_scheduled_scan()

    def queue_scheduled_scan(self) -> None:
        self.owed = False
        try:
            for scan, created in enqueue_scans(Trigger.SCHEDULED, "scheduler"):
                what = "queued scan" if created else "scan already waiting:"
                log.info("scheduled scan of %s: %s %s", roots.name_of(scan.root), what, scan.id)
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
        self.claim.release()  # only if it is still this scheduler's

    def enqueue_job(self, job):
        if not job.id.startswith(job_id_prefix()):
            return super().enqueue_job(job)
        self.queue_scheduled_scan()
        self.connection.zadd(self.scheduled_jobs_key, {job.id: next_firing(job).timestamp()})


def get_scheduler(interval: int = 30) -> ScanScheduler:
    return ScanScheduler(queue_name=current_app.config["SCAN_QUEUE"], connection=get_redis(), interval=interval)


def scheduled_scan() -> None:
    """What a seqscan cron job runs if a plain rqscheduler (not ScanScheduler) fires it: queue the scans."""
    enqueue_scans(Trigger.SCHEDULED, "rqscheduler")


def wanted_schedule() -> dict[str, str]:
    """{cron job id: cron string} the settings ask for (none while scanning is refused)."""
    if refusal() is not None:
        return {}
    queue, zone = current_app.config["SCAN_QUEUE"], current_app.config["TIMEZONE"]
    return {keys.schedule_job_id(queue, cron, zone): cron for cron in current_app.config["SCHEDULE"]}


def next_firing(job) -> datetime:
    """The next firing of a seqscan cron job, on the wall clock of the zone it was registered in."""
    zone = job.meta.get("timezone")
    return clock.next_firing(job.meta["cron_string"], zone=ZoneInfo(zone) if zone else None)


def register_schedule(scheduler: ScanScheduler | None = None) -> list[str]:
    """Make the registered cron jobs match the settings; idempotent. Returns the ids added now
    (none when the registered schedule already matched)."""
    config = current_app.config
    scheduler = scheduler or get_scheduler()
    ours = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(job_id_prefix())}
    wanted, added = wanted_schedule(), []
    for cron in wanted.values():
        clock.check_cron(cron)
    # Registered by a release before the schedule had a key of its own per queue: not looked at any more.
    legacy = [
        i
        for i in scheduler.connection.zrange(Scheduler.scheduled_jobs_key, 0, -1)
        if i.decode().startswith(job_id_prefix())
    ]
    if legacy:
        scheduler.connection.zrem(Scheduler.scheduled_jobs_key, *legacy)
    for job_id, job in ours.items():
        if job_id not in wanted:  # its cron string, time zone or queue changed, or scanning is off
            scheduler.cancel(job)
            job.delete()
            log.info("schedule: removed %s (%s)", job_id, job.meta.get("cron_string"))
    for job_id, cron in wanted.items():
        if job_id in ours:
            continue  # unchanged: keep its next firing time
        with warnings.catch_warnings():
            # cron() computes a first firing of its own (replaced below) without telling crontab
            # (pinned) how to read it, and crontab warns that a future release reads cron in UTC.
            warnings.simplefilter("ignore", FutureWarning)
            job = scheduler.cron(
                cron,
                func="seqscan.jobs.schedule.scheduled_scan",
                id=job_id,
                queue_name=config["SCAN_QUEUE"],
                meta={"timezone": config["TIMEZONE"]},
                description=f"seqscan scheduled scan ({cron}, {config['TIMEZONE']})",
            )
        scheduler.connection.zadd(scheduler.scheduled_jobs_key, {job_id: next_firing(job).timestamp()})
        log.info("schedule: registered %s (%s %s)", job_id, cron, config["TIMEZONE"])
        added.append(job_id)
    return added


def next_scans(scheduler: ScanScheduler | None = None) -> list[tuple[str, str, datetime, str]]:
    """(job id, cron string, next firing on its zone's wall clock, that zone) of each registered scan,
    soonest first."""
    scheduler = scheduler or get_scheduler()
    out = []
    for job, when in scheduler.get_jobs(with_times=True):
        if job.id.startswith(job_id_prefix()):
            zone = job.meta.get("timezone") or current_app.config["TIMEZONE"]
            out.append(
                (job.id, job.meta.get("cron_string", ""), when.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)), zone)
            )
    return sorted(out, key=lambda item: item[2])
