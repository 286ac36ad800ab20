"""The one loader of seqscan's settings, in this order: the defaults (seqscan.config), instance/seqscan.toml,
instance/seqscan.cfg (deprecated, read for one more release), the SEQSCAN_* environment variables, then a
test's own settings. Each key's source is kept in SETTINGS_SOURCES, for `flask config-check`.

A key no setting has, in the file or the environment, stops the process naming the closest one: a
misspelt setting silently ignored is a setting the lab believes in and does not have."""

from __future__ import annotations

import difflib
import json
import logging
import os
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from flask import Config

from seqscan import config as defaults
from seqscan import settings_file
from seqscan.settings_check import SettingError, check_settings

PREFIX = "SEQSCAN_"
# The test suite's own variables (SEQSCAN_TEST_DATABASE_URL, SEQSCAN_TEST_REDIS_URL) are read by
# tests/conftest.py, never by seqscan: they are not settings, and not refused as unknown ones.
TEST_PREFIX = "SEQSCAN_TEST_"
# What Scripts and Jobs sets for its commands (seqscan.scanner.scripts): not settings, so that a
# command that runs seqscan itself (`flask scans enqueue`) is not refused for them.
SCRIPT_VARIABLES = frozenset({"SEQSCAN_PATH", "SEQSCAN_RUN_PATH", "SEQSCAN_RUN", "SEQSCAN_SAMPLE", "SEQSCAN_FILE_TYPE"})
SOURCES = "SETTINGS_SOURCES"  # in app.config: {key: "default" | "file" | "seqscan.cfg" | "environment" | "test"}
SETTINGS_FILE = "SETTINGS_FILE"  # in app.config: the path of seqscan.toml, read or not there
# In app.config: {"at": unix time the settings were read, "mtime": seqscan.toml's mtime then, None if absent}.
# A worker or scheduler keeps these settings until restarted (seqscan.jobs.process_record compares).
SETTINGS_READ = "SETTINGS_READ"

_warned_cfg = False
log = logging.getLogger("seqscan.settings")


def known_keys() -> list[str]:
    """Every setting's name: the upper-case names of seqscan.config."""
    return [key for key in vars(defaults) if key.isupper()]


def unknown(name: str, prefix: str = "", where: str = "") -> SettingError:
    """The error for a key no setting has, with the closest known one when there is one."""
    close = difflib.get_close_matches(name.upper().removeprefix(prefix), known_keys(), n=1)
    hint = f" (did you mean {prefix}{close[0]}?)" if close else " (the settings are listed in README.md, Configuration)"
    return SettingError(f"unknown setting {prefix}{name.removeprefix(prefix)}{where}{hint}")


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The SEQSCAN_* variables as settings: JSON when the value parses as JSON ("false", "3", '["a"]'), else the text."""
    known = set(known_keys())
    values = {}
    for name in sorted(environ):
        if not name.startswith(PREFIX) or name.startswith(TEST_PREFIX) or name in SCRIPT_VARIABLES:
            continue
        key = name.removeprefix(PREFIX)
        if key not in known:
            raise unknown(name, PREFIX)
        try:
            values[key] = json.loads(environ[name])
        except ValueError:
            values[key] = environ[name]
    return values


def _from_cfg(instance_path: str) -> dict[str, Any]:
    """instance/seqscan.cfg (Python), as before seqscan.toml; a warning, once per process, that it goes."""
    global _warned_cfg
    path = Path(instance_path) / "seqscan.cfg"
    if not path.exists():
        return {}
    if not _warned_cfg:
        _warned_cfg = True
        log.warning("%s is deprecated and will not be read by the next release: move its settings to %s", path,
                    path.with_name(settings_file.FILE_NAME))  # fmt: skip
    cfg = Config(instance_path)
    cfg.from_pyfile(str(path))
    return dict(cfg)


def _named(sources: Mapping[str, str], file: Path):
    """How a refusal names a setting: as the file writes it when it came from the file, else as its variable."""

    def name(key: str, value: Any, shown: str) -> str:
        if sources.get(key) == "file":
            return f"{key} = {'(not shown)' if key == 'SECRET_KEY' else settings_file.toml_value(value)} in {file}"
        return f"{PREFIX}{key}={shown}"

    return name


def load_settings(
    config: MutableMapping[str, Any], instance_path: str, test_config: Mapping[str, Any] | None = None
) -> None:
    """Fill config from every source in order, check and type each setting, and record where each came from."""
    sources = {}
    for key in known_keys():
        config[key] = getattr(defaults, key)
        sources[key] = "default"
    file = Path(instance_path) / settings_file.FILE_NAME
    known = set(known_keys())
    read = {"at": time.time(), "mtime": settings_file.mtime(file)}  # before reading: a later write is seen as later
    layers: list[tuple[str, Mapping[str, Any]]] = []
    from_file = settings_file.read(file)
    if "roots" in from_file:  # [[roots]] tables, as TOML writes them
        from_file["ROOTS"] = from_file.pop("roots")
    for key in from_file:
        if key not in known:
            raise unknown(key, where=f" in {file}")
    layers.append(("file", from_file))
    layers.append(("seqscan.cfg", _from_cfg(instance_path)))
    layers.append(("environment", from_environment(os.environ)))
    layers.append(("test", test_config or {}))
    for source, values in layers:
        for key, value in values.items():
            config[key] = value
            if key in known:
                sources[key] = source
    config[SOURCES] = sources
    config[SETTINGS_FILE] = str(file)
    config[SETTINGS_READ] = read
    check_settings(config, defaults, _named(sources, file))
