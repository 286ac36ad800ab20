"""seqscan: scans sequencing-run storage and shows what is there, missing or deleted."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from flask.helpers import get_debug_flag

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'seqscan.sqlite'}"
    # One driver for PostgreSQL whatever the URL says: psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    if url.startswith("sqlite:///") and ":memory:" not in url:  # a new SQLite file's folder, too
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def _as_list(value: Any) -> list[str]:
    """Config lists may come from the environment as JSON or as a comma-separated string."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def _run_host(argv: list[str]) -> str:
    """The address `flask run` was told to serve (its default is 127.0.0.1)."""
    for i, arg in enumerate(argv):
        if arg in ("--host", "-h") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--host="):
            return arg.removeprefix("--host=")
    return os.environ.get("FLASK_RUN_HOST", "127.0.0.1")


def _debug(app: Flask) -> bool:
    """Debug mode only for `flask run` on loopback with FLASK_DEBUG set, never from settings: the
    Werkzeug debugger runs any code sent to it. Elsewhere FLASK_DEBUG is ignored; `flask run` on
    another address with it set is refused."""
    if not get_debug_flag():
        return False
    if "run" not in sys.argv[1:]:
        app.logger.warning("FLASK_DEBUG ignored: debug mode is for `flask run` on 127.0.0.1 only")
        return False
    host = _run_host(sys.argv)
    if host not in LOOPBACK:
        raise SystemExit(
            f"refusing to start: FLASK_DEBUG is set and `flask run` would serve {host}, where its debugger "
            "would let anyone who reaches it run code. Unset FLASK_DEBUG, or serve 127.0.0.1."
        )
    return True


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the seqscan application: defaults, then SEQSCAN_* variables, then test_config."""
    app = Flask(__name__, instance_relative_config=True, root_path=str(Path(__file__).parent.parent))
    app.config.from_object("seqscan.config")
    app.config.from_pyfile("seqscan.cfg", silent=True)
    app.config.from_prefixed_env("SEQSCAN")
    if test_config:
        app.config.update(test_config)
    app.debug = _debug(app)
    for key in (
        "SKIP_MARKERS",
        "COMPLETION_MARKERS",
        "NEVER_DESCEND",
        "SYMLINK_ROOTS",
        "METRICS_ALLOW",
        "ALERT_EMAILS",
    ):
        app.config[key] = _as_list(app.config[key])
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # secret key, SQLite file: the owner's only
    app.config["DATA_DIR"] = app.config["DATA_DIR"] or app.instance_path
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    from seqscan import auth, cli, display, views, web
    from seqscan.extensions import db, htmx, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    htmx.init_app(app)
    web.init_app(app)
    auth.init_app(app)
    display.init_app(app)
    cli.init_app(app)
    views.init_app(app)
    if app.config.get("AUTO_CREATE_SCHEMA", True):
        from seqscan.schema import upgrade_database

        with app.app_context():
            upgrade_database()  # a no-op at the newest schema; `flask init-db` does the same explicitly
    return app
