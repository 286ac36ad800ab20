"""seqscan: scans sequencing-run storage and shows what is there, missing or deleted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


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


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the seqscan application: defaults, then SEQSCAN_* variables, then test_config."""
    app = Flask(__name__, instance_relative_config=True, root_path=str(Path(__file__).parent.parent))
    app.config.from_object("seqscan.config")
    app.config.from_pyfile("seqscan.cfg", silent=True)
    app.config.from_prefixed_env("SEQSCAN")
    if test_config:
        app.config.update(test_config)
    for key in ("SKIP_MARKERS", "COMPLETION_MARKERS", "NEVER_DESCEND", "SYMLINK_ROOTS"):
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
