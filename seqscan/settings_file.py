"""instance/seqscan.toml: reading it (tomllib), writing one `KEY = value` line of it, and TOML's notation
of a setting's value (tomllib cannot write)."""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from seqscan.settings_check import SettingError

FILE_NAME = "seqscan.toml"
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(value: Any) -> str:
    """value in TOML's notation: true/false, numbers, "quoted" strings, [lists] and { inline tables }."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes (\" \\ \n \t \uXXXX) are TOML's; TOML also forbids a raw DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = [f"{k if BARE_KEY.fullmatch(k) else toml_value(k)} = {toml_value(v)}" for k, v in value.items()]
        return "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    raise TypeError(f"no TOML notation for {value!r}")


def mtime(path: str | Path) -> float | None:
    """The file's modification time (unix time), None when there is no file (or it cannot be looked at)."""
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def read(path: Path) -> dict[str, Any]:
    """The file's keys and values ({} when there is no file); SettingError when it cannot be read or parsed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise SettingError(f"{path} cannot be read: {e.strerror}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingError(f"{path} is not valid TOML: it is not UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise SettingError(f"{path} is not valid TOML: {e}") from None


def set_key(path: Path, key: str, value: Any) -> None:
    """Write `KEY = value` into the file (made if missing), replacing the key's line or adding one
    before the first table; every other line is kept. SettingError, with the file untouched, when
    the key is written in a way this simple edit cannot replace (over several lines, quoted)."""
    before = read(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines(keepends=True)
    line = f"{key} = {toml_value(value)}\n"
    own = re.compile(rf"\s*{re.escape(key)}\s*=")
    first_table = next((i for i, old in enumerate(lines) if old.lstrip().startswith("[")), len(lines))
    found = next((i for i, old in enumerate(lines[:first_table]) if own.match(old)), None)
    if found is not None:
        lines[found] = line
    else:
        if first_table and not lines[first_table - 1].endswith("\n"):
            lines[first_table - 1] += "\n"
        lines.insert(first_table, line)
    after = "".join(lines)
    # The edit is proved by reading it back: the key changed, and nothing else.
    try:
        written = tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        written = None
    if written != {**before, key: value}:
        raise SettingError(f"{path}: {key} cannot be set by this command as the file writes it; edit the file")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomic, and the owner's only: the file may hold the secret key or a password.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".seqscan.toml.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(after)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
