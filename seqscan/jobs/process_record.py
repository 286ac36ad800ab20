"""What each running worker and scheduler started with, kept in Redis for the status page.

A worker or scheduler reads its settings once, as it starts, and keeps them until it is restarted.
Each keeps a record of itself (role, queue, host:pid, when it read its settings, seqscan.toml's
mtime then, a digest of its settings and the settings with secrets hidden), written and refreshed
with its claim (seqscan.jobs.claim) and removed when it stops. The status page reads the records
(reads only) and warns when seqscan.toml changed after a process read it, or when the web app's own
settings are not the process's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

from seqscan import clock
from seqscan.jobs import keys
from seqscan.jobs.processes import died_here, this_process
from seqscan.settings_file import mtime
from seqscan.settings_load import SETTINGS_FILE, SETTINGS_READ
from seqscan.settings_shown import PER_PROCESS, digest, shown_settings

RESTART = "systemctl restart 'seqscan-worker@*' seqscan-scheduler"


class ProcessRecord:
    """This process's record (build it in the app context, once the app is built)."""

    def __init__(self, connection: Redis, role: str, served_queue: str) -> None:
        config = current_app.config
        self.connection = connection
        self.key = keys.process_record(config["SCAN_QUEUE"], role, served_queue)
        read = config[SETTINGS_READ]
        self.value = json.dumps(
            {
                "role": role,
                "queue": served_queue,
                "holder": this_process(),
                "started_at": read["at"],
                "settings_file": config[SETTINGS_FILE],
                "settings_file_mtime": read["mtime"],
                "digest": digest(config),
                "settings": shown_settings(config),
            }
        )

    def write(self, ttl: int) -> None:
        self.connection.set(self.key, self.value, ex=ttl)

    def remove(self) -> None:
        """Remove the record if it is still this process's (never a later process's)."""
        try:
            if self.connection.get(self.key) == self.value.encode():
                self.connection.delete(self.key)
        except RedisError:  # it expires by itself
            pass


def running(connection: Redis) -> list[dict]:
    """The record of each running worker and scheduler of this installation, schedulers first, each
    with started_at a datetime and `changed` (see changed): reads only."""
    pattern = _glob_escaped(keys.process_records(current_app.config["SCAN_QUEUE"])) + "*"
    names = sorted(connection.scan_iter(match=pattern, count=1000))
    mine = digest(current_app.config), shown_settings(current_app.config)
    records = []
    for raw in connection.mget(names) if names else []:
        if raw is None:  # expired between the scan and the read
            continue
        record = json.loads(raw)
        if died_here(record["holder"]):  # killed on this machine: its record outlives it by its ttl
            continue
        record["started_at"] = datetime.fromtimestamp(record["started_at"], UTC)
        record["changed"] = changed(record, mine)
        records.append(record)
    return sorted(records, key=lambda r: (r["role"] != "scheduler", r["queue"]))


def changed(record: dict, web: tuple[str, dict[str, str | None]]) -> dict | None:
    """How this process's settings are not the current ones: {"at": when seqscan.toml changed (None
    if unknown), "why": ...}, or None when they are. Current: seqscan.toml as this web process sees it
    now, and the web process's own settings (web: their digest and shown settings)."""
    now = mtime(record["settings_file"])
    if now != record["settings_file_mtime"]:
        if now is None:
            return {"at": None, "why": "the settings file was removed after it started"}
        return {"at": datetime.fromtimestamp(now, UTC), "why": "the settings file changed after it started"}
    web_digest, web_shown = web
    if record["digest"] != web_digest:
        differ = [k for k, v in web_shown.items() if k not in PER_PROCESS and record["settings"].get(k) != v]
        differ = ", ".join(differ) or "a secret"
        return {"at": None, "why": f"its settings are not this web app's: {differ} differ"}
    return None


def warning(records: list[dict]) -> str | None:
    """The status page's warning when a running process's settings are not the current ones, or None."""
    behind = [r for r in records if r["changed"]]
    if not behind:
        return None
    times = [r["changed"]["at"] for r in behind if r["changed"]["at"]]
    who = ", ".join(
        f"the {r['role']} of queue {r['queue']} ({r['holder']}, started {clock.lab_time(r['started_at']):%H:%M})"
        for r in behind
    )
    if not times:  # the file is as they read it, but the web app runs with other settings (its environment)
        return (
            f"the web app runs with other settings than {who}: give every process the same settings (one "
            f"instance folder, one environment), then restart the worker and the scheduler (`{RESTART}`) "
            "and reload the web app"
        )
    return (
        f"settings changed at {clock.lab_time(max(times)):%H:%M}; restart the worker and the scheduler "
        f"(`{RESTART}`). Still on the settings read at start: {who}"
    )


def _glob_escaped(text: str) -> str:
    """text matched literally in a Redis SCAN pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
