"""The running worker and scheduler (issue 18, section 3): one scheduler at a time, and the status page
showing the settings each running process started with, yellow when they changed since."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime

from seqscan.display import localtime
from seqscan.health import server_status
from seqscan.jobs.keys import process_record, scheduler_alive, scheduler_lock
from seqscan.jobs.schedule import get_scheduler
from tests.conftest import add_users, sign_in

HOST = socket.gethostname()


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)


def test_a_second_scheduler_refuses_to_start_while_one_runs_and_the_first_stays_up(lab):
    queue = lab.settings["SCAN_QUEUE"]
    first = lab.start("flask", "scheduler", "--interval", "2")
    lab.wait_for(lambda: lab.redis.exists(scheduler_alive(queue)), 30, "the scheduler")
    second = lab.start("flask", "scheduler", "--interval", "2")
    try:
        code = second.wait(15)
    except subprocess.TimeoutExpired:  # it started: stopped, as its operator would
        stop(second)
        code = None
    with lab.app.app_context():
        for _ in range(6):  # several of the first's heartbeats (2 s)
            assert first.poll() is None
            assert server_status()["scheduler_alive"], "the status page says the scheduler is down"
            time.sleep(1)
    said = (lab.tmp / "proc-1.log").read_text()
    assert code == 2, f"a second scheduler started while one runs: {said}"
    assert f"another seqscan scheduler ({HOST}:{first.pid}) already runs for queue {queue}" in said
    stop(first)
    assert lab.redis.get(scheduler_alive(queue)) is None  # its own claim: removed as it stopped
    third = lab.start("flask", "scheduler", "--interval", "1")
    lab.wait_for(lambda: lab.redis.get(scheduler_alive(queue)) == f"{HOST}:{third.pid}".encode(), 30, "a new one")


def test_a_scheduler_claimed_on_another_machine_is_named_and_no_second_starts(lab):
    lab.redis.set(scheduler_alive(lab.settings["SCAN_QUEUE"]), "lab-vm-2:4242", ex=60)
    done = lab.run("flask", "scheduler", "--interval", "1", timeout=30)
    assert done.returncode == 2, done.stderr
    assert "another seqscan scheduler (lab-vm-2:4242) already runs" in done.stderr
    assert lab.redis.get(scheduler_alive(lab.settings["SCAN_QUEUE"])) == b"lab-vm-2:4242"


def test_a_stopping_scheduler_leaves_the_claim_and_the_lock_of_another_alone(lab):
    queue = lab.settings["SCAN_QUEUE"]
    with lab.app.app_context():
        scheduler = get_scheduler(interval=1)
        assert scheduler.take_claim(lab.settings["DATA_DIR"]) is None and scheduler.acquire_lock()
        assert lab.redis.exists(process_record(queue, "scheduler", queue))
        # Another scheduler took both meanwhile (ours expired: Redis lost them, or a look outlived them).
        lab.redis.set(scheduler_alive(queue), "lab-vm-2:4242")
        lab.redis.set(scheduler_lock(queue), "lab-vm-2:4242")
        scheduler.heartbeat()  # nor does it take them back
        scheduler.remove_lock()
        scheduler.register_death()
        scheduler.lock_file.close()  # as its process ending would
    assert lab.redis.get(scheduler_alive(queue)) == b"lab-vm-2:4242"
    assert lab.redis.get(scheduler_lock(queue)) == b"lab-vm-2:4242"
    assert not lab.redis.exists(process_record(queue, "scheduler", queue))  # its own record it removes


def test_the_status_page_shows_what_each_process_started_with_and_warns_in_yellow_when_the_settings_changed(lab):
    toml = lab.own_instance() / "seqscan.toml"
    toml.write_text('ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hooks/T0/s3cret"\n')
    web = lab.make_app()  # the web app, reading the same instance folder
    add_users(web)
    client = sign_in(web.test_client(), "vic")
    worker, scheduler = lab.start("worker.py"), lab.start("flask", "scheduler", "--interval", "1")

    def processes(client=client) -> dict[str, dict]:
        return {p["role"]: p for p in client.get("/api/status").json["processes"]}

    lab.wait_for(lambda: len(processes()) == 2, 60, "the worker and the scheduler to record themselves")
    status = client.get("/api/status").json
    shown = processes()
    assert (
        shown["worker"]["holder"] == f"{HOST}:{worker.pid}"
        and shown["scheduler"]["holder"] == f"{HOST}:{scheduler.pid}"
    )
    assert {p["queue"] for p in shown.values()} == {lab.settings["SCAN_QUEUE"]}
    assert shown["worker"]["settings"]["ALERT_WEBHOOK_URL"] == '"http://127.0.0.1:9/***"'
    assert shown["worker"]["settings"]["SECRET_KEY"] == "(not shown)"
    assert shown["worker"]["settings_file"] == str(toml) and shown["worker"]["changed"] is None
    assert status["settings_warning"] is None
    page = client.get("/status").text
    started = datetime.fromisoformat(shown["worker"]["started_at"])
    with web.app_context():
        assert "Running processes" in page and localtime(started) in page
    assert "s3cret" not in page and "s3cret" not in str(status)
    assert "health stale" not in page

    # The settings change (an operator edits the file, a minute or two after the processes started).
    toml.write_text('ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hooks/T0/s3cret"\nSTATUS_POLL_SECONDS = 7\n')
    changed_at = time.time() + 120
    os.utime(toml, (changed_at, changed_at))
    with web.app_context():
        hhmm = localtime(datetime.fromtimestamp(changed_at, UTC), "%H:%M")
    status = client.get("/api/status").json
    assert status["settings_warning"].startswith(f"settings changed at {hhmm}; restart the worker and the scheduler")
    assert "systemctl restart 'seqscan-worker@*' seqscan-scheduler" in status["settings_warning"]
    assert all(p["changed"]["at"] for p in status["processes"])
    page = client.get("/status").text
    assert 'class="health stale"' in page and f"settings changed at {hhmm}" in page
    assert 'class="health down"' not in client.get("/status/strip").text  # nothing is down: no red

    # The worker restarted: it read the new file. The web app reloaded too (until then its own
    # settings are the old ones, which the status page also tells apart).
    stop(worker)
    # As seqscan-worker@<queue> starts it: a log file of its own, which is no difference of settings.
    worker = lab.start("worker.py", WORKER_LOG=str(lab.tmp / "worker-own-queue.log"))
    lab.wait_for(lambda: processes().get("worker", {}).get("holder") == f"{HOST}:{worker.pid}", 60, "the new worker")
    assert processes()["worker"]["changed"]["why"] == "its settings are not this web app's: STATUS_POLL_SECONDS differ"
    reloaded = sign_in(lab.make_app().test_client(), "vic")
    now = processes(reloaded)
    assert now["worker"]["changed"] is None and now["scheduler"]["changed"]["at"]
    warning = reloaded.get("/api/status").json["settings_warning"]
    still = warning.split("Still on the settings read at start: ")[1]
    assert still.startswith(f"the scheduler of queue {lab.settings['SCAN_QUEUE']} ({HOST}:{scheduler.pid}, started ")
    assert "the worker" not in still

    stop(scheduler)
    scheduler = lab.start("flask", "scheduler", "--interval", "1")
    lab.wait_for(lambda: processes(reloaded).get("scheduler", {}).get("holder") == f"{HOST}:{scheduler.pid}", 60, "it")
    assert reloaded.get("/api/status").json["settings_warning"] is None
    assert "health stale" not in reloaded.get("/status").text
    # The web app not reloaded: the file is as both read it, but its own settings are the old ones.
    stale = client.get("/api/status").json["settings_warning"]
    assert stale.startswith("the web app runs with other settings than the scheduler of queue ")
    assert "and reload the web app" in stale
