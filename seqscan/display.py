"""How times, durations and states read on the pages: in the lab's time zone, in human units."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

from seqscan import clock, roots
from seqscan.enums import PHASES, DataState, RunVerdict, ScanState
from seqscan.settings_shown import shown


def localtime(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if dt is None:
        return "–"
    return clock.lab_time(dt).strftime(fmt)


def duration(delta: timedelta | float | None) -> str:
    """0.4 s, 12 s, 3 min 05 s, 2 h 07 min, 3 d 4 h."""
    if delta is None:
        return "–"
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def ago(dt: datetime | None) -> str:
    return "never" if dt is None else f"{duration(clock.now() - dt)} ago"


def count(n: int | None, noun: str, plural: str | None = None) -> str:
    """1 run, 2 runs, 0 warnings; "1,234 files" (thousands separated)."""
    n = n or 0
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def size(n: int | None) -> str:
    """1.2 GB, 340 kB, 17 bytes (powers of 1,000, as ls -h --si and file managers show them); "" for none."""
    if n is None:
        return ""
    if n < 1000:
        return count(n, "byte")
    value, units = n / 1000, ["kB", "MB", "GB", "TB", "PB"]
    # Move up a unit while the number would read 1000 or more once rounded (999,950 bytes: 1.0 MB).
    while round(value) >= 1000 and len(units) > 1:
        value, units = value / 1000, units[1:]
    return f"{value:.1f} {units[0]}" if round(value, 1) < 100 else f"{value:.0f} {units[0]}"


def setting(value: Any, key: str = "") -> str:
    """A setting's value as seqscan.toml writes it (true, ["0 6 * * *", …], "Australia/Adelaide"),
    secrets hidden; "(unset)" for none."""
    shown_value = shown(key, value)
    return "(unset)" if shown_value is None else shown_value


def code_spans(text: str | None) -> Markup:
    """Messages name commands between backticks (start `flask scheduler`): shown as code, the rest
    escaped as any text is."""
    parts = str(escape(text or "")).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: shown as it is
        return Markup("`".join(parts))
    return Markup("".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)))


def css(state: str) -> str:
    """A CSS class from a state name: "Non-existent" -> "st-non-existent"."""
    return "st-" + str(state).lower().replace(" ", "-")


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(duration)
    app.add_template_filter(ago)
    app.add_template_filter(css)
    app.add_template_filter(count)
    app.add_template_filter(size)
    app.add_template_filter(setting)
    app.add_template_filter(code_spans)
    app.add_template_global(lambda: current_app.config["TIMEZONE"], "lab_timezone")
    app.add_template_global(roots.name_of, "root_name")  # a recorded root path as pages name it
    app.add_template_global(roots.configured, "configured_roots")
    # Templates compare states with the enums, never with spelled-out names.
    app.jinja_env.globals.update(ScanState=ScanState, DataState=DataState, RunVerdict=RunVerdict, PHASES=PHASES)
