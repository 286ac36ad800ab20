"""`flask init-db`: the database at the newest schema (Flask-Migrate's `flask db ...` also works)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from seqscan.extensions import db
from seqscan.schema import upgrade_database


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database to the newest schema, keeping every row (safe to run again)."""
    upgrade_database()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


COMMANDS = (init_db_command,)
