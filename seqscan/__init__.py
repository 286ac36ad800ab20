"""seqscan: scans sequencing-run storage and shows what is there, missing or deleted."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask
from flask.helpers import get_debug_flag

from seqscan.settings_check import SettingError, check_instance_folder
from seqscan.settings_load import load_settings

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
        raise SettingError(
            f"FLASK_DEBUG is set and `flask run` would serve {host}, where its debugger "
            "would let anyone who reaches it run code. Unset FLASK_DEBUG, or serve 127.0.0.1."
        )
    return True


def _writes_in_instance_folder(app: Flask) -> bool:
    """Whether this process will write in the instance folder: the SQLite file, the scan folders, a
    secret key not made yet. (A folder left read-only on purpose, with all three elsewhere, is fine.)"""
    settings = app.config
    no_key_yet = not settings["SECRET_KEY"] and not (Path(app.instance_path) / "secret_key").exists()
    return not settings["DATABASE_URL"] or not settings["DATA_DIR"] or no_key_yet


def configured(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """A bare Flask app holding seqscan's settings, each checked and typed (seqscan.settings_load: the
    defaults, instance/seqscan.toml, SEQSCAN_* variables, then test_config). instance_path: another
    instance folder than the project's instance/ (the tests'). SettingError for a setting (or instance
    folder) it cannot use."""
    app = Flask(__name__, instance_path=instance_path, root_path=str(Path(__file__).parent.parent))
    load_settings(app.config, app.instance_path, test_config)
    if _writes_in_instance_folder(app):
        check_instance_folder(app.instance_path)
    return app


def _refusal(e: SettingError) -> str:
    return f"seqscan: refusing to start: {e}"


def _refuse_to_start(e: SettingError) -> NoReturn:
    print(_refusal(e), file=sys.stderr)
    raise SystemExit(2) from None  # 2, as a command refusing its input: the settings are the process's input


def check_settings_or_exit() -> None:
    """Load and check the settings only (gunicorn.conf.py, in gunicorn's master before any worker boots)."""
    try:
        configured()
    except SettingError as e:
        _refuse_to_start(e)


# Commands that need no schema, or make it: a process running one of them does not check it.
SCHEMA_FREE_COMMANDS = {"init-db", "db", "config-check", "settings", "demo-tree", "--help", "-h"}


def create_app_or_exit() -> Flask:
    """create_app() for an entry point (app.py, worker.py), with the schema checked (see
    seqscan.schema.check_or_upgrade): a setting seqscan cannot use, or a schema behind the code's,
    ends the process with one line on stderr and status 2, not a traceback."""
    try:
        app = create_app()
        if not SCHEMA_FREE_COMMANDS & set(sys.argv[1:]):
            _schema_at_start(app)
        return app
    except SettingError as e:
        if "gunicorn" in sys.modules:  # a worker (gunicorn started without our gunicorn.conf.py)
            # gunicorn boots a worker again after each one that exits; its own error stops it instead.
            from gunicorn.errors import AppImportError

            raise AppImportError(_refusal(e)) from None
        _refuse_to_start(e)


def _schema_at_start(app: Flask) -> None:
    from seqscan.dberrors import is_outage, reason
    from seqscan.schema import check_or_upgrade

    with app.app_context():
        try:
            check_or_upgrade()
        except SettingError:
            raise
        except Exception as e:
            if not is_outage(e):
                raise
            # Away at start: pages answer 503 and commands say so until it is back; the worker
            # waits for it and checks then (seqscan.jobs.worker).
            app.logger.error("the database is unreachable at start (%s): its schema is not checked yet", reason(e))
            app.extensions[SCHEMA_PENDING] = True


SCHEMA_PENDING = "seqscan.schema_pending"  # in app.extensions: the start-up check found no database


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the seqscan application from its checked settings (see configured)."""
    app = configured(test_config, instance_path)
    app.debug = _debug(app)
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
    return app
