"""The flask commands, one module per command group."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from seqscan.cli import alerts, config_check, database, demo, runs, scan, scans, schedule, users

    for module in (database, scan, scans, runs, demo, schedule, config_check, users, alerts):
        for command in module.COMMANDS:
            app.cli.add_command(command)
