"""Waiting out an outage (Redis restarting, a database going away): try again after 1, 2, 4 … s,
at most MOST_SECONDS apart, saying so in the log each time."""

from __future__ import annotations

import logging
import time

MOST_SECONDS = 30.0


class Backoff:
    def __init__(self, log: logging.Logger, what: str = "Redis", most: float = MOST_SECONDS) -> None:
        self.log, self.what, self.delay, self.most = log, what, 1.0, most

    def wait(self, error: Exception) -> None:
        """Log the error and sleep before the next try."""
        self.log.error("%s is unreachable (%s); trying again in %.0f s", self.what, error, self.delay)
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, self.most)

    def reset(self) -> None:
        """It worked: the next outage starts again from 1 s."""
        self.delay = 1.0
