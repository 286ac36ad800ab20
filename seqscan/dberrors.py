"""Telling a database outage (stopped, restarted, a connection cut, a full disk, unwritable files)
from a statement the database refused."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError

DISK_FULL = ("database or disk is full", "No space left on device", "could not extend file")
# SQLite's errors that mean its files cannot be used at all (as opposed to "database is locked", a
# busy writer, or "no such table", a schema that is not there).
SQLITE_OUTAGES = ("unable to open database file", "disk I/O error", "readonly database", *DISK_FULL)


def is_outage(e: BaseException) -> bool:
    """The database stopped answering or cannot be written: stopped, restarted, a connection cut,
    its disk full, its files unwritable."""
    if not isinstance(e, DBAPIError):
        return False
    if e.connection_invalidated:
        return True
    if isinstance(e.orig, sqlite3.Error):
        return any(m in str(e.orig) for m in SQLITE_OUTAGES)
    return isinstance(e, OperationalError)


def is_disk_full(e: BaseException) -> bool:
    return isinstance(e, DBAPIError) and any(m in str(e.orig) for m in DISK_FULL)


def reason(e: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's wrapping."""
    inner = getattr(e, "orig", None) or e
    return (str(inner).strip().splitlines() or [type(inner).__name__])[0]
