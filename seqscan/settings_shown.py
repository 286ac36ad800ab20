"""How a process's settings are shown outside it (`flask config-check`, the status page): in
seqscan.toml's notation with every secret hidden, and a digest of them all that says whether two
processes run with the same settings without showing any."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from seqscan.settings_file import toml_value
from seqscan.settings_load import known_keys

PASSWORD = re.compile(r"(://[^/:@]*:)[^@/]*@")
# Settings that differ between processes of one installation by design: each worker of
# seqscan-worker@<queue> logs to a file of its own. Not in the digest, not a difference.
PER_PROCESS = frozenset({"WORKER_LOG"})
NOT_SHOWN = "(not shown)"


def shown(key: str, value: Any) -> str | None:
    """The value in seqscan.toml's notation, with secrets hidden; None for an unset setting."""
    if value is None:
        return None
    if key == "SECRET_KEY":
        return NOT_SHOWN
    if key == "ALERT_WEBHOOK_URL":  # a chat webhook's path is its secret
        parts = urlsplit(value)
        value = f"{parts.scheme}://{parts.netloc}/***" if parts.path.strip("/") else value
    if isinstance(value, str):
        value = PASSWORD.sub(r"\1***@", value)  # DATABASE_URL, REDIS_URL, SMTP_URL
    return toml_value(value)


def shown_settings(config: Mapping[str, Any]) -> dict[str, str | None]:
    """{key: shown value} of every setting."""
    return {key: shown(key, config[key]) for key in known_keys()}


def digest(config: Mapping[str, Any]) -> str:
    """A digest of every setting's value, secrets included (a changed password is a changed setting).
    Keyed by the secret key, so that the digest, kept in Redis next to the shown settings, gives no way
    to try passwords against it; processes with another secret key have other settings anyway."""
    shared = {key: config[key] for key in known_keys() if key not in PER_PROCESS}
    values = json.dumps(shared, sort_keys=True, default=str)
    return hmac.new(str(config["SECRET_KEY"]).encode(), values.encode(), hashlib.sha256).hexdigest()[:16]
