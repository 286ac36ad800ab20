"""The database schema: Alembic migrations (Flask-Migrate, `migrations/`) bring any seqscan
database, new or made by an older release, to the schema of the models. `flask init-db` upgrades;
a process starting (seqscan.create_app_or_exit) only checks, unless SEQSCAN_UPGRADE_ON_START."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import stamp, upgrade

from seqscan.extensions import db
from seqscan.settings_check import SettingError

log = logging.getLogger("seqscan.schema")
# The schema of the release before migrations existed; its databases have no alembic_version.
FIRST_RELEASE = "0001"


def upgrade_database() -> None:
    """Upgrade to the newest schema, keeping every row; a database of the first release is adopted."""
    db.session.close()  # its open transaction would hold locks that ALTER TABLE waits for (PostgreSQL)
    tables = set(sa.inspect(db.engine).get_table_names())
    if "scan_run" in tables and "alembic_version" not in tables:
        log.info("database made before migrations: marking it as revision %s", FIRST_RELEASE)
        stamp(revision=FIRST_RELEASE)
    upgrade()


def is_behind() -> bool:
    """Whether the database is not (yet) at the newest schema: not made, older, or made before migrations."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != set(script.get_heads())


def check_or_upgrade() -> None:
    """At a process's start: upgrade if SEQSCAN_UPGRADE_ON_START asks, else SettingError (the process
    refuses to start, exit 2) when the schema is behind. Raises the database's error if it is away."""
    if current_app.config["UPGRADE_ON_START"]:
        upgrade_database()  # a no-op at the newest schema
    elif is_behind():
        raise SettingError(
            "the database schema is not the newest: run `flask --app app init-db` "
            "(or set SEQSCAN_UPGRADE_ON_START=true)"
        )
