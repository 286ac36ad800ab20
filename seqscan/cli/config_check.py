"""`flask config-check`: the effective settings, and whether each works."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from seqscan import roots
from seqscan.clock import check_cron
from seqscan.extensions import db
from seqscan.jobs.scanqueue import get_redis
from seqscan.settings_load import SETTINGS_FILE, SOURCES, known_keys
from seqscan.settings_shown import shown


def setting_lines(config: Mapping[str, Any]) -> list[str]:
    """One line per setting: `KEY = value  # where it came from` (default, file, environment, test)."""
    sources = config[SOURCES]
    lines = []
    for key in known_keys():
        value = shown(key, config[key])
        if key == "SECRET_KEY" and value is not None:
            line = f"# {key} is set (not shown)"  # a comment: pasted into the file, it must not become the key
        else:
            line = f"# {key} is unset" if value is None else f"{key} = {value}"
        lines.append(f"{line:<47} # {sources[key]}")
    return lines


@click.command("config-check")
@with_appcontext
def config_check_command() -> None:
    """Print the effective settings, each with its source, and check them; exit 1 if a check fails."""
    config = current_app.config
    file = Path(config[SETTINGS_FILE])
    click.echo(f"# settings file {file}{'' if file.exists() else ' (none)'}; each setting's source after its #")
    for line in setting_lines(config):
        click.echo(line)
    failures = 0

    def check(name: str, test) -> None:
        nonlocal failures
        try:
            detail = test()
            click.echo(f"ok    {name}{': ' + detail if detail else ''}")
        except Exception as e:
            failures += 1
            click.echo(f"FAIL  {name}: {e}")

    def root_ready(root: roots.Root):
        def test() -> str:  # readable, mounted (its sentinel), and its layout loads
            entries = len(os.listdir(root.path))
            if root.sentinel and not os.path.lexists(os.path.join(root.path, root.sentinel)):
                raise FileNotFoundError(f"sentinel {root.sentinel} missing in {root.path}: is the disk mounted?")
            sentinel = f", sentinel {root.sentinel} there" if root.sentinel else ""
            return f"{entries} entries in {root.path}{sentinel}; layout {root.profile.name}; queue {root.queue}"

        return test

    def database() -> str:
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as e:
            reason = " ".join(str(getattr(e, "orig", None) or e).split())  # the driver's words, on one line
            raise ConnectionError(f"{db.engine.url.render_as_string(hide_password=True)}: {reason}") from None
        return db.engine.url.render_as_string(hide_password=True)

    def redis() -> str:
        try:
            get_redis().ping()
        except RedisError as e:
            raise ConnectionError(f"{config['REDIS_URL']}: {e}") from None
        return config["REDIS_URL"]

    def schedule() -> str:
        for cron in config["SCHEDULE"]:
            check_cron(cron)
        return ", ".join(config["SCHEDULE"])

    def no_root() -> str:
        raise ValueError("none configured: [[roots]] in the settings file, or SEQSCAN_SCAN_ROOT")

    for root in roots.configured() or [None]:
        check(
            f"scan root readable ({root.name})" if root else "scan root readable", root_ready(root) if root else no_root
        )
    check("database reachable", database)
    check("Redis reachable", redis)
    check("schedule valid", schedule)
    check("time zone known", lambda: str(ZoneInfo(config["TIMEZONE"])))
    off = [f"{key} = false" for key in ("ENABLED", "SCAN_DISKS") if not config[key]]
    if off:
        click.echo(f"note  scanning is switched off ({', '.join(off)}): no scheduled or button scans")
    if failures:
        click.echo(f"{failures} check(s) failed", err=True)
        sys.exit(1)


COMMANDS = (config_check_command,)
