"""`flask settings set KEY VALUE` writes one setting into instance/seqscan.toml (make run writes its demo's
there); `flask settings get KEY` prints one effective setting."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from seqscan import config as defaults
from seqscan import roots, settings_file
from seqscan.settings_check import SettingError, convert
from seqscan.settings_load import PREFIX, SETTINGS_FILE, known_keys, unknown

settings_group = AppGroup("settings", help="The settings file, instance/seqscan.toml.")


def _refuse(message: str) -> None:
    click.echo(f"settings: {message}", err=True)
    sys.exit(2)


@settings_group.command("set")
@click.option("--if-unset", is_flag=True, help="Leave the key alone when the file or the environment sets it.")
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str, if_unset: bool) -> None:
    """Write KEY = VALUE into instance/seqscan.toml, keeping the rest of the file. VALUE is read as an
    environment variable is (JSON when it parses, else text), checked, and written in TOML."""
    path = Path(current_app.config[SETTINGS_FILE])
    if key not in known_keys():
        _refuse(str(unknown(key)))
    if if_unset:
        where = None
        if f"{PREFIX}{key}" in os.environ:
            where = f"the environment ({PREFIX}{key})"
        elif key in settings_file.read(path):
            where = str(path)
        elif key in roots.SHORTHAND and roots.tables_given():  # the one-root shorthand is not for [[roots]]
            where = "[[roots]], which lists the roots"
        if where:
            click.echo(f"{key} is set in {where}: left alone")
            return
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    try:
        typed = convert(key, parsed, defaults)
    except ValueError as e:
        _refuse(f"{key}={value!r}: expected {e}")
    if typed is None:
        _refuse(f"{key}: TOML has no notation for unset; delete the line from {path} instead")
    try:
        settings_file.set_key(path, key, typed)
    except SettingError as e:
        _refuse(str(e))
    click.echo(f"{path}: {key} = {settings_file.toml_value(typed)}")


@settings_group.command("get")
@click.argument("key")
def settings_get(key: str) -> None:
    """Print the effective value of KEY: text as it is, other values in TOML, nothing when unset."""
    if key not in known_keys():
        _refuse(str(unknown(key)))
    value = current_app.config[key]
    if value is not None:
        click.echo(value if isinstance(value, str) else settings_file.toml_value(value))


@settings_group.command("queues")
def settings_queues() -> None:
    """Print the queues the roots' scans run on, one per line: each needs its worker (`worker.py --queue NAME`)."""
    for queue in roots.queues():
        click.echo(queue)


COMMANDS = (settings_group,)
