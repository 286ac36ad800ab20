"""The flask commands of the queue and schedule: scans enqueue, scheduler, schedule, config-check."""

from __future__ import annotations

import os
import sys
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import text

from seqscan.extensions import db
from seqscan.states import Trigger


def enqueue_command() -> None:
    """Queue a scan for the worker (returns the waiting one if a scan already waits)."""
    from seqscan.queue import enqueue_scan
    from seqscan.scanner.pipeline import ScanRefused

    try:
        scan, created = enqueue_scan(Trigger.COMMAND_LINE, os.environ.get("USER", ""))
    except ScanRefused as e:
        raise click.ClickException(f"scan not queued: {e}") from None
    click.echo(f"scan {scan.id} queued" if created else f"scan {scan.id} is already waiting; not adding another")


@click.command("scheduler")
@with_appcontext
@click.option("--burst", is_flag=True, help="Queue the scans that are due, then exit.")
@click.option("--interval", default=30, show_default=True, help="Seconds between looks at the schedule.")
def scheduler_command(burst: bool, interval: int) -> None:
    """Register the schedule, then run rq-scheduler (in the lab's time zone)."""
    import logging

    from seqscan.schedule import get_scheduler, register_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = get_scheduler(interval)
    ids = register_schedule(scheduler)
    click.echo(f"schedule: {len(ids)} scheduled scans registered ({current_app.config['TIMEZONE']})")
    scheduler.run(burst=burst)


@click.group("schedule", cls=AppGroup)
def schedule_group() -> None:
    """The scheduled scans."""


@schedule_group.command("register")
def schedule_register() -> None:
    """Make the registered scheduled scans match the settings (idempotent; removes them when disabled)."""
    from seqscan.queue import refusal
    from seqscan.schedule import register_schedule

    ids = register_schedule()
    why = refusal()
    click.echo(f"{len(ids)} scheduled scans registered" + (f" (none: {why})" if why else ""))


@schedule_group.command("show")
def schedule_show() -> None:
    """The next scheduled scans, in the lab's time zone."""
    from seqscan.schedule import next_scans

    zone = current_app.config["TIMEZONE"]
    scans = next_scans()
    if not scans:
        click.echo("no scheduled scans registered (run `flask scheduler`, or scanning is disabled)")
    for job_id, cron, when in scans:
        click.echo(f"{when:%Y-%m-%d %H:%M %Z}  ({cron} in {zone})  {job_id}")


@click.command("config-check")
@with_appcontext
def config_check_command() -> None:
    """Print the effective settings and check them; exit 1 if a check fails."""
    from redis.exceptions import RedisError

    from seqscan.queue import get_redis
    from seqscan.schedule import validate

    config = current_app.config
    keys = [
        "SCAN_ROOT", "DATABASE_URL", "REDIS_URL", "ENABLED", "SCAN_DISKS", "SKIP_MARKERS", "LAYOUT",
        "SCAN_QUEUE", "SCHEDULE", "TIMEZONE", "SCAN_JOB_TIMEOUT_SECONDS", "SCRIPTS_AND_JOBS", "WORKER_LOG",
        "DATA_DIR", "KEEP_SCAN_LISTS",
    ]  # fmt: skip
    for key in keys:
        value = db.engine.url.render_as_string(hide_password=True) if key == "DATABASE_URL" else config[key]
        click.echo(f"{'SEQSCAN_' + key:<34} {value}")
    failures = 0

    def check(name: str, test) -> None:
        nonlocal failures
        try:
            detail = test()
            click.echo(f"ok    {name}{': ' + detail if detail else ''}")
        except Exception as e:
            failures += 1
            click.echo(f"FAIL  {name}: {e}")

    def root_readable() -> str:
        root = config["SCAN_ROOT"]
        if not root:
            raise ValueError("SEQSCAN_SCAN_ROOT is not set")
        return f"{len(os.listdir(root))} entries in {root}"

    def database() -> str:
        db.session.execute(text("SELECT 1"))
        return db.engine.dialect.name

    def redis() -> str:
        try:
            get_redis().ping()
        except RedisError as e:
            raise ConnectionError(f"{config['REDIS_URL']}: {e}") from None
        return config["REDIS_URL"]

    def schedule() -> str:
        for cron in config["SCHEDULE"]:
            validate(cron)
        return ", ".join(config["SCHEDULE"])

    def layout() -> str:
        from seqscan.layout import load_profile

        return load_profile(config["LAYOUT"]).name

    check("scan root readable", root_readable)
    check("database reachable", database)
    check("Redis reachable", redis)
    check("schedule valid", schedule)
    check("time zone known", lambda: str(ZoneInfo(config["TIMEZONE"])))
    check("layout profile loads", layout)
    if not (config["ENABLED"] and config["SCAN_DISKS"]):
        click.echo("note  scanning is switched off: no scheduled or button scans (ENABLED / SCAN_DISKS)")
    if failures:
        click.echo(f"{failures} check(s) failed", err=True)
        sys.exit(1)


def init_app(app: Flask, scans_group: AppGroup) -> None:
    scans_group.command("enqueue")(enqueue_command)
    for command in (scheduler_command, schedule_group, config_check_command):
        app.cli.add_command(command)
