"""The checks of a setting by the type of its default: each turns a value, however it was written
(TOML, JSON from a SEQSCAN_* variable, the text written, a Python value), into that type, or raises
Expected saying what a value of the setting must be."""

from __future__ import annotations

import math
import os
from typing import Any

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
BOOLEAN = "true or false (true/false, yes/no, on/off, 1/0, in any case)"


class Expected(ValueError):
    """What a converter expected, for SettingError to name with the key and the value."""


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise Expected(BOOLEAN)


def to_optional_bool(value: Any) -> bool | None:
    if value is None:
        return None
    try:
        return to_bool(value)
    except Expected:
        raise Expected(f"{BOOLEAN}, or unset") from None


def to_int(value: Any, least: int) -> int:
    expected = Expected(f"a whole number, at least {least}")
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


def to_float(value: Any, above_zero: bool) -> float:
    expected = Expected("a number above 0" if above_zero else "a number, 0 or more")
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


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # SEQSCAN_SCAN_QUEUE=2024 arrives as the number 2024
    raise Expected("text")


def to_optional_text(value: Any) -> str | None:
    try:
        return None if value is None else to_text(value)
    except Expected:
        raise Expected("text, or unset") from None


def to_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise Expected("a JSON list of text values, or values separated by commas")


def to_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return dict(value)
    raise Expected('a JSON object, e.g. {"bam": "requeue {path}"}')
