"""`flask config-check`: the effective settings, and whether each works."""

from __future__ import annotations

import os
import sys
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from seqscan.extensions import db
from seqscan.jobs.scanqueue import get_redis
from seqscan.jobs.schedule import validate
from seqscan.layout import load_profile


@click.command("config-check")
@with_appcontext
def config_check_command() -> None:
    """Print the effective settings and check them; exit 1 if a check fails."""
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
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as e:
            reason = " ".join(str(getattr(e, "orig", None) or e).split())  # the driver's words, on one line
            raise ConnectionError(f"{db.engine.url.render_as_string(hide_password=True)}: {reason}") from None
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


COMMANDS = (config_check_command,)
