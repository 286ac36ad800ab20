"""`flask scheduler` and `flask schedule ...`: the twice-daily scans."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from seqscan.jobs.scanqueue import refusal
from seqscan.jobs.schedule import get_scheduler, next_scans, register_schedule, wanted_schedule


@click.command("scheduler")
@with_appcontext
@click.option("--burst", is_flag=True, help="Queue the scans that are due, then exit.")
@click.option("--interval", default=30, show_default=True, help="Seconds between looks at the schedule.")
def scheduler_command(burst: bool, interval: int) -> None:
    """Register the schedule, then run rq-scheduler (in the lab's time zone)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = get_scheduler(interval)
    holder = scheduler.take_claim(current_app.config["DATA_DIR"])
    if holder is not None:
        click.echo(
            f"another seqscan scheduler ({holder}) already runs for queue {scheduler.queue_name}; not starting a second",
            err=True,
        )
        sys.exit(2)
    register_schedule(scheduler)
    click.echo(f"schedule: {len(wanted_schedule())} scheduled scans registered ({current_app.config['TIMEZONE']})")
    scheduler.run(burst=burst)


schedule_group = AppGroup("schedule", help="The scheduled scans.")


@schedule_group.command("register")
def schedule_register() -> None:
    """Make the registered scheduled scans match the settings (idempotent; removes them when disabled)."""
    register_schedule()
    why = refusal()
    click.echo(f"{len(wanted_schedule())} scheduled scans registered" + (f" (none: {why})" if why else ""))


@schedule_group.command("show")
def schedule_show() -> None:
    """The next scheduled scans, in the lab's time zone."""
    scans = next_scans()
    if not scans:
        why = refusal()
        click.echo(
            f"no scheduled scans registered: {why}"
            if why
            else "no scheduled scans registered: start `flask scheduler` "
            "(it registers SEQSCAN_SCHEDULE and keeps it registered), or run `flask schedule register`"
        )
    for job_id, cron, when, zone in scans:  # each in the zone it was registered in
        click.echo(f"{when:%Y-%m-%d %H:%M %Z}  ({cron} in {zone})  {job_id}")


COMMANDS = (scheduler_command, schedule_group)
