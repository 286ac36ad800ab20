"""Redis key names and schedule job ids (seqscan.jobs.keys): namespaced by the queue, and made from
what they schedule."""

from __future__ import annotations

import inspect

from seqscan.jobs import keys

NAMERS = {
    name: f
    for name, f in inspect.getmembers(keys, inspect.isfunction)
    if f.__module__ == keys.__name__ and name != "scan_job_id"
}


def _every_key(queue: str) -> set[str]:
    made = set()
    for f in NAMERS.values():
        extra = {"what": "worker", "cron": "0 6 * * *", "zone": "Europe/London", "role": "worker", "served_queue": "q"}
        params = inspect.signature(f).parameters
        made.add(f(queue, **{k: v for k, v in extra.items() if k in params}))
    made.add(keys.scan_job_id(queue, 1))
    return made


def test_every_key_names_its_queue_and_two_queues_share_none():
    first, second = _every_key("lab-a"), _every_key("lab-b")
    assert len(first) == len(NAMERS) + 1  # no two kinds of key share a name
    assert all("lab-a" in key for key in first)
    assert not first & second


def test_a_changed_cron_or_time_zone_is_a_new_schedule_job_id_and_the_same_one_is_the_same():
    same = keys.schedule_job_id("q", "0 6 * * *", "Europe/London")
    assert keys.schedule_job_id("q", "0 6 * * *", "Europe/London") == same
    assert keys.schedule_job_id("q", "0 7 * * *", "Europe/London") != same
    assert keys.schedule_job_id("q", "0 6 * * *", "Europe/Paris") != same
    assert same.startswith(keys.schedule_job_prefix("q"))


def test_the_schedulers_of_two_queues_on_one_redis_both_run_and_see_only_their_own_jobs(app, lab_redis):
    from seqscan.jobs.schedule import ScanScheduler, register_schedule

    first, second = (ScanScheduler(queue_name=q, connection=lab_redis) for q in ("lab-a", "lab-b"))
    assert first.acquire_lock() and second.acquire_lock()  # rq-scheduler's own lock is one per Redis database
    with app.app_context():
        app.config["SCAN_QUEUE"] = "lab-a"
        assert len(register_schedule(first)) == 2
    assert len(list(first.get_jobs())) == 2 and list(second.get_jobs()) == []
