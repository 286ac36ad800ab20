"""`flask users ...`: who may sign in, and with which role."""

from __future__ import annotations

import io
import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import select

from seqscan.auth import hash_password, new_api_token
from seqscan.cli import NoSuchThing
from seqscan.enums import Role
from seqscan.extensions import db
from seqscan.models import User
from seqscan.spreadsheet import SheetWriter

users_group = AppGroup("users", help="Users of the web admin.")
ROLE = click.Choice([r.value for r in Role])


def _get(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NoSuchThing(f"no user {username!r}")
    return user


def _end_sessions(username: str, said: str) -> None:
    """After a change of role or password: signed in with the old one, they sign in again."""
    _get(username).end_sessions()
    db.session.commit()
    click.echo(said)


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=ROLE, default=Role.VIEWER.value, show_default=True)
@click.option("--password", help="Default: a random one, printed once.")
@click.option("--replace", is_flag=True, help="If the user exists, set this role and a new password.")
def create(username: str, role: str, password: str | None, replace: bool) -> None:
    """Add a user (passwords are stored hashed)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and not replace:
        raise click.ClickException(f"user {username!r} exists (use --replace to reset it)")
    shown = password is None
    password = password or secrets.token_urlsafe(12)
    if user is None:
        user = User(username=username, password_hash="", session_version=0)
        db.session.add(user)
    else:
        user.end_sessions()  # signed in with the old password or role: sign in again
    user.role, user.password_hash = Role(role), hash_password(password)
    db.session.commit()
    click.echo(f"user {username} ({role})" + (f", password: {password}" if shown else ""))


@users_group.command("list")
def list_users() -> None:
    """Every user and role, tab-separated."""
    out = io.StringIO()
    writer = SheetWriter(out, "tsv")
    for user in db.session.scalars(select(User).order_by(User.username)):
        writer.writerow([user.username, user.role, "token" if user.api_token_sha256 else ""])
    click.echo(out.getvalue(), nl=False)


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE)
def set_role(username: str, role: str) -> None:
    """Make a user a viewer or an operator (their open sessions end)."""
    _get(username).role = Role(role)
    _end_sessions(username, f"{username} is now {role}")


@users_group.command("set-password")
@click.argument("username")
@click.password_option()
def set_password(username: str, password: str) -> None:
    """Set a user's password (prompted; their open sessions end)."""
    _get(username).password_hash = hash_password(password)
    _end_sessions(username, f"password of {username} changed")


@users_group.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Issue a new API token for scripts (replaces the old one; shown once)."""
    value = new_api_token(_get(username))
    db.session.commit()
    click.echo(value)


@users_group.command("delete")
@click.argument("username")
def delete(username: str) -> None:
    """Remove a user."""
    db.session.delete(_get(username))
    db.session.commit()
    click.echo(f"user {username} deleted")


COMMANDS = (users_group,)
