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
import math
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

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
BOOLEAN = "true or false (true/false, yes/no, on/off, 1/0, in any case)"
# Numbers are never negative; these must be above 0 (a whole number: at least 1).
ABOVE_ZERO = {
    "MAX_DEPTH", "MAX_SAMPLES_PER_SHEET", "SCAN_JOB_TIMEOUT_SECONDS", "JOB_RESULT_TTL_SECONDS",
    "JOB_FAILURE_TTL_SECONDS", "HEARTBEAT_SECONDS", "STALE_AFTER_SECONDS", "SCRIPT_TIMEOUT_SECONDS",
    "SESSION_HOURS", "STALE_AFTER_HOURS", "DOWN_ALERT_MINUTES",
    "SCAN_POLL_SECONDS", "STATUS_POLL_SECONDS", "HEALTH_POLL_SECONDS", "HOME_POLL_SECONDS",
}  # fmt: skip


class SettingError(ValueError):
    """A setting seqscan cannot start with; the message (one line) says which and what is expected."""


class _Expected(ValueError):
    """What a converter expected, for SettingError to name with the key and the value."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise _Expected(BOOLEAN)


def _optional_bool(value: Any) -> bool | None:
    if value is None:
        return None
    try:
        return _bool(value)
    except _Expected:
        raise _Expected(f"{BOOLEAN}, or unset") from None


def _int(value: Any, least: int) -> int:
    expected = _Expected(f"a whole number, at least {least}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise expected from None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise expected
    return value


def _float(value: Any, above_zero: bool) -> float:
    expected = _Expected("a number above 0" if above_zero else "a number, 0 or more")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise expected from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise expected
    if value < 0 or (above_zero and value == 0):
        raise expected
    return float(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # SEQSCAN_SCAN_QUEUE=2024 arrives as the number 2024
    raise _Expected("text")


def _optional_text(value: Any) -> str | None:
    try:
        return None if value is None else _text(value)
    except _Expected:
        raise _Expected("text, or unset") from None


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _Expected("a JSON list of text values, or values separated by commas")


def _dict(value: Any) -> dict:
    if isinstance(value, dict):
        return dict(value)
    raise _Expected('a JSON object, e.g. {"bam": "requeue {path}"}')


def _zone(value: Any) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, not a key ("../x"), a folder ("Australia")
        raise _Expected("a time zone of the tz database, e.g. Europe/London or Australia/Adelaide") from None
    return name


def _networks(value: Any) -> list[str]:
    entries = _list(value)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise _Expected(
                f"IP addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8, ::1); {entry!r} is neither"
            ) from None
    return entries


def _rate_limit(value: Any) -> str:
    text = _text(value)
    try:
        parse_many(text)
    except ValueError:
        raise _Expected("a rate limit in Flask-Limiter's notation, e.g. '20 per 10 minutes'") from None
    return text


def _crons(value: Any) -> list[str]:
    # One string is one cron string: cron fields have commas of their own ("0 6,19 * * *").
    entries = [value] if isinstance(value, str) else _list(value)
    for entry in entries:
        try:
            CronTab(entry)
        except ValueError as e:
            raise _Expected(f'cron strings, e.g. ["0 6 * * *", "0 19 * * *"]; {entry!r}: {e}') from None
    return entries


def _fraction(value: Any) -> float:
    number = _float(value, above_zero=False)
    if number > 1:
        raise _Expected("a number from 0 to 1")
    return number


def _redis_url(value: Any) -> str:
    url = _text(value)
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise _Expected("a Redis URL: redis://host:port/db, rediss://… or unix://…")
    return url


def _samesite(value: Any) -> str:
    text = _text(value)
    if text.title() not in ("Strict", "Lax", "None"):
        raise _Expected("Strict, Lax or None")
    return text


def _templates(value: Any) -> dict[str, str]:
    templates = _dict(value)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in templates.items()):
        raise _Expected('a JSON object of file type: command text, e.g. {"bam": "requeue {path}"}')
    return templates


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
    "SESSION_COOKIE_SECURE": _optional_bool,  # None (follow the request), true or false
    "SCRIPT_TEMPLATES": _templates,
}


def _converter(key: str, default: Any) -> Callable[[Any], Any]:
    """The check of a setting: its own, else the one of its default's type."""
    if key in OWN:
        return OWN[key]
    if isinstance(default, bool):
        return _bool
    if isinstance(default, int):
        return lambda value: _int(value, least=1 if key in ABOVE_ZERO else 0)
    if isinstance(default, float):
        return lambda value: _float(value, above_zero=key in ABOVE_ZERO)
    if isinstance(default, list):
        return _list
    if isinstance(default, dict):
        return _dict
    return _optional_text if default is None else _text


def _shown(key: str, value: Any) -> str:
    """The value as the message shows it: never a secret key, nor a URL's password."""
    if key == "SECRET_KEY":
        return "(not shown)"
    if isinstance(value, str):
        value = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", value)
    return repr(value)


def convert(key: str, value: Any, defaults: ModuleType) -> Any:
    """value converted to the type of setting key; _Expected (a ValueError) saying what is expected if it cannot be."""
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
        except _Expected as e:
            name = named(key, value, _shown(key, value)) if named else f"SEQSCAN_{key}={_shown(key, value)}"
            raise SettingError(f"{name}: expected {e}") from None


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
