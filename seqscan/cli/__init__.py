"""The flask commands, one module per command group."""

from __future__ import annotations

import functools

import click
from flask import Flask

from seqscan import roots
from seqscan.dberrors import is_disk_full, is_outage, reason
from seqscan.roots import Root


class NoSuchThing(click.ClickException):
    """No scan, run, user or root of that name or id: exit 2, as for any other bad input (click's
    usage errors). Exit 1 is kept for a command that ran and found a failure (a scan in Error, a
    failed check)."""

    exit_code = 2


def root_named(name: str) -> Root:
    """The configured root of that name (--root NAME); NoSuchThing naming the roots if none is."""
    root = roots.named(name)
    if root is None:
        known = ", ".join(r.name for r in roots.configured()) or "none"
        raise NoSuchThing(f"no root is named {name} (the roots: {known})")
    return root


def _database_errors_as_one_line(command: click.Command) -> None:
    """A database that is away or full ends a command with one line saying so, not a traceback."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _database_errors_as_one_line(sub)
        return
    callback = command.callback

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception as e:
            if not is_outage(e):
                raise
            what = "the database's disk is full" if is_disk_full(e) else "the database is unreachable"
            raise click.ClickException(f"{what}: {reason(e)}") from None

    command.callback = guarded


def init_app(app: Flask) -> None:
    from seqscan.cli import alerts, config_check, database, demo, runs, scan, scans, schedule, settings, users

    for module in (database, scan, scans, runs, demo, schedule, config_check, settings, users, alerts):
        for command in module.COMMANDS:
            _database_errors_as_one_line(command)
            app.cli.add_command(command)
