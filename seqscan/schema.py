"""The database schema: Alembic migrations (Flask-Migrate, `migrations/`) bring any seqscan
database, new or made by an older release, to the schema of the models."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_migrate import stamp, upgrade

from seqscan.extensions import db

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
