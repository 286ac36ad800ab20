"""`flask init-db`: the database tables."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from seqscan.extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables (safe to run again)."""
    db.create_all()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


COMMANDS = (init_db_command,)
