"""Every setting checked once, at start: by the type of its default in seqscan.config, and by a rule
of its own where its type says too little (a time zone, a rate limit, cron strings, addresses).

A value seqscan cannot use stops the process with one line naming SEQSCAN_<KEY>, the value and what
is expected, instead of quietly doing something else (a limit Flask-Limiter cannot parse switches
brute-force protection off; the string "flase" is true) or failing later on a page or in every scan.
seqscan.settings_load reads a SEQSCAN_* variable as JSON when it parses, so a value arrives
typed (false, 3, ["a"]) or as the text written ("False", "abc"); seqscan.toml gives TOML's types,
seqscan.cfg and test_config Python values. All are handled, and each setting is stored converted to its type.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Callable, MutableMapping
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crontab import CronTab
from limits import parse_many

from seqscan import roots
from seqscan.settings_types import (
    Expected,
    to_bool,
    to_dict,
    to_float,
    to_int,
    to_list,
    to_optional_bool,
    to_optional_text,
    to_text,
)

# Numbers are never negative; these must be above 0 (a whole number: at least 1).
ABOVE_ZERO = {
    "MAX_DEPTH", "SCAN_THREADS", "MAX_SAMPLES_PER_SHEET", "SCAN_JOB_TIMEOUT_SECONDS", "JOB_RESULT_TTL_SECONDS",
    "JOB_FAILURE_TTL_SECONDS", "HEARTBEAT_SECONDS", "STALE_AFTER_SECONDS", "SCRIPT_TIMEOUT_SECONDS",
    "SESSION_HOURS", "STALE_AFTER_HOURS", "DOWN_ALERT_MINUTES",
    "SCAN_POLL_SECONDS", "STATUS_POLL_SECONDS", "HEALTH_POLL_SECONDS", "HOME_POLL_SECONDS",
}  # fmt: skip


class SettingError(ValueError):
    """A setting seqscan cannot start with; the message (one line) says which and what is expected."""


def _zone(value: Any) -> str:
    name = to_text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, not a key ("../x"), a folder ("Australia")
        raise Expected("a time zone of the tz database, e.g. Europe/London or Australia/Adelaide") from None
    return name


def _networks(value: Any) -> list[str]:
    entries = to_list(value)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise Expected(
                f"IP addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8, ::1); {entry!r} is neither"
            ) from None
    return entries


def _rate_limit(value: Any) -> str:
    text = to_text(value)
    try:
        parse_many(text)
    except ValueError:
        raise Expected("a rate limit in Flask-Limiter's notation, e.g. '20 per 10 minutes'") from None
    return text


def _crons(value: Any) -> list[str]:
    # One string is one cron string: cron fields have commas of their own ("0 6,19 * * *").
    entries = [value] if isinstance(value, str) else to_list(value)
    for entry in entries:
        try:
            CronTab(entry)
        except ValueError as e:
            raise Expected(f'cron strings, e.g. ["0 6 * * *", "0 19 * * *"]; {entry!r}: {e}') from None
    return entries


def _fraction(value: Any) -> float:
    number = to_float(value, above_zero=False)
    if number > 1:
        raise Expected("a number from 0 to 1")
    return number


def _redis_url(value: Any) -> str:
    url = to_text(value)
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise Expected("a Redis URL: redis://host:port/db, rediss://… or unix://…")
    return url


def _samesite(value: Any) -> str:
    text = to_text(value)
    if text.title() not in ("Strict", "Lax", "None"):
        raise Expected("Strict, Lax or None")
    return text


def _templates(value: Any) -> dict[str, str]:
    templates = to_dict(value)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in templates.items()):
        raise Expected('a JSON object of file type: command text, e.g. {"bam": "requeue {path}"}')
    return templates


ROOT_KEYS = {"name": True, "path": True, "layout": False, "sentinel": False, "queue": False}  # key: required
ROOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ROOTS_EXAMPLE = '[[roots]] tables with name and path, e.g. name = "clinical", path = "/data/clinical"'


def _roots(value: Any) -> list[dict[str, str]]:
    """[[roots]]: each a table of text values; names short, unique, fit for a URL and a command line;
    no path twice (two roots over one folder would each judge its runs)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise Expected(ROOTS_EXAMPLE)
    out, names, paths = [], set(), set()
    for i, table in enumerate(value, start=1):
        if not isinstance(table, dict):
            raise Expected(ROOTS_EXAMPLE)
        where = f"root {i}" + (f" ({table['name']})" if isinstance(table.get("name"), str) else "")
        unknown = sorted(set(table) - set(ROOT_KEYS))
        if unknown:
            raise Expected(f"{where}: only {', '.join(ROOT_KEYS)}; {', '.join(unknown)} is no key of a root")
        for key, required in ROOT_KEYS.items():
            if (required and not table.get(key)) or not isinstance(table.get(key, ""), str):
                raise Expected(f"{where}: {key} {'is required, as ' if required else 'must be '}text")
        if not ROOT_NAME.fullmatch(table["name"]):
            raise Expected(f"{where}: a name of letters, digits, '_', '.' or '-', at most 40, e.g. clinical")
        path = os.path.abspath(os.path.expanduser(table["path"]))
        if table["name"] in names or path in paths:
            raise Expected(f"{where}: each root's name and path once; {table['name']} or {path} is there twice")
        names.add(table["name"])
        paths.add(path)
        out.append({key: table[key] for key in ROOT_KEYS if table.get(key)} | {"path": path})
    return out


# Settings whose type alone says too little: each converts and checks its value itself.
OWN: dict[str, Callable[[Any], Any]] = {
    "TIMEZONE": _zone,
    "METRICS_ALLOW": _networks,
    "SIGN_IN_LIMIT_PER_ADDRESS": _rate_limit,
    "SIGN_IN_LIMIT_PER_USER": _rate_limit,
    "SCHEDULE": _crons,
    "MAX_VANISHED_FRACTION": _fraction,
    "REDIS_URL": _redis_url,
    "SESSION_COOKIE_SAMESITE": _samesite,
    "SESSION_COOKIE_SECURE": to_optional_bool,  # None (follow the request), true or false
    "SCRIPT_TEMPLATES": _templates,
    "ROOTS": _roots,
}


def _converter(key: str, default: Any) -> Callable[[Any], Any]:
    """The check of a setting: its own, else the one of its default's type."""
    if key in OWN:
        return OWN[key]
    if isinstance(default, bool):
        return to_bool
    if isinstance(default, int):
        return lambda value: to_int(value, least=1 if key in ABOVE_ZERO else 0)
    if isinstance(default, float):
        return lambda value: to_float(value, above_zero=key in ABOVE_ZERO)
    if isinstance(default, list):
        return to_list
    if isinstance(default, dict):
        return to_dict
    return to_optional_text if default is None else to_text


def _shown(key: str, value: Any) -> str:
    """The value as the message shows it: never a secret key, nor a URL's password."""
    if key == "SECRET_KEY":
        return "(not shown)"
    if isinstance(value, str):
        value = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", value)
    return repr(value)


def convert(key: str, value: Any, defaults: ModuleType) -> Any:
    """value converted to the type of setting key; Expected (a ValueError) saying what is expected if it cannot be."""
    return _converter(key, getattr(defaults, key))(value)


def check_settings(
    config: MutableMapping[str, Any], defaults: ModuleType, named: Callable[[str, Any, str], str] | None = None
) -> None:
    """Convert each setting of defaults (seqscan.config) in config to its type; SettingError if one cannot be used.
    named(key, value, shown) names the setting in the message (default: SEQSCAN_<KEY>=shown)."""
    for key, default in vars(defaults).items():
        if not key.isupper():
            continue
        value = config[key]
        try:
            config[key] = _converter(key, default)(value)
        except Expected as e:
            name = named(key, value, _shown(key, value)) if named else f"SEQSCAN_{key}={_shown(key, value)}"
            raise SettingError(f"{name}: expected {e}") from None
    if why := roots.conflict(config):
        raise SettingError(why)


def check_instance_folder(path: str) -> None:
    """Make the instance folder if it is missing, and prove that this process can write in it."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)  # secret key, SQLite file: the owner's only
        # A real write: os.access answers for the real user id and knows nothing of read-only mounts.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise SettingError(
            f"the instance folder {path} cannot be written by this user ({e.strerror}): seqscan keeps its "
            "secret key there, and its SQLite database and scan folders unless SEQSCAN_DATABASE_URL and "
            "SEQSCAN_DATA_DIR say otherwise"
        ) from None
