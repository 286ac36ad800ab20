"""Doing a write once the database answers again (waiting 1, 2, 4, 5, 5 … s between tries, and saying so in the log)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from seqscan.dberrors import is_outage, reason
from seqscan.extensions import db
from seqscan.jobs.backoff import Backoff

log = logging.getLogger("seqscan.scan")
T = TypeVar("T")
DATABASE_MOST_SECONDS = 5.0


def rollback() -> None:
    """Roll the session back, whatever state its connection is in."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is clean enough for the next try
        pass


def when_back(action: Callable[[], T], give_up: Callable[[], bool] = lambda: False) -> T:
    """action(), tried again while the database is away, until it succeeds or give_up() says to stop
    waiting (the worker is shutting down); any other error is raised at once."""
    # At most 5 s apart: a try costs one connection attempt, and the scan should end soon after it is back.
    backoff = Backoff(log, "the database", most=DATABASE_MOST_SECONDS)
    while True:
        try:
            return action()
        except Exception as e:
            if not is_outage(e) or give_up():
                raise
            rollback()
            # New connections for the next try: one SQLite opened while its files could not be
            # written stays read-only ("attempt to write a readonly database") after they can be.
            db.engine.dispose()
            backoff.wait(reason(e))
