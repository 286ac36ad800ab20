"""Flask extensions, created unbound and wired in create_app."""

import os
import sqlite3

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
htmx = HTMX()
login_manager = LoginManager()
csrf = CSRFProtect()
# Only the sign-in form is limited (seqscan.views.auth); storage: Redis, else memory (auth.init_app).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Batch mode: SQLite cannot ALTER most things in place; alembic copies the table instead.
migrate = Migrate(render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets pages read while a scan writes; NORMAL sync is durable at each WAL checkpoint."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        for _, name, path in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main" and path:
                _owner_only(path)  # the lab's run names and users: not for other accounts on the VM
        cursor.close()


def _owner_only(path: str) -> None:
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:  # not ours to change: leave it as it is
        pass
