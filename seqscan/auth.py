"""Who is asking: Flask-Login sessions (signed in with a password), API tokens for scripts, or a
trusted proxy header; and Flask-WTF's CSRF check on every POST that did not come with a token.

Every page needs a signed-in user; starting a scan needs the operator role. Requests authenticated
by an API token carry no cookie, so no other site can make a browser send one: they need no
CSRF token. Everything else that posts (forms, htmx, a proxy-authenticated browser) does.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from datetime import timedelta
from functools import cache, wraps
from pathlib import Path

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from seqscan.extensions import csrf, db, limiter, login_manager
from seqscan.jobs import keys
from seqscan.models import User

OPEN_ENDPOINTS = {"auth.sign_in", "static", "favicon", "metrics.metrics"}  # /metrics checks the address itself
TOKEN_HEADER = "X-Seqscan-Token"


class Anonymous(AnonymousUserMixin):
    username = ""
    is_operator = False


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token(user: User) -> str:
    """A new token for user (shown once; only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    user.api_token_sha256 = token_digest(token)
    return token


def user_by_name(name: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == name))


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def check_sign_in(name: str, password: str) -> User | None:
    """The user if the password is theirs. An unknown name costs the same hashing as a known one,
    so the time taken does not tell which names exist."""
    user = user_by_name(name)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


@login_manager.user_loader
def _load_from_session(user_id: str) -> User | None:
    """The session's user, if its session version is still the user's and it is not too old."""
    pk, _, version = user_id.partition(":")
    if not (pk.isdigit() and version.isdigit()):
        return None  # a cookie from before sessions carried a version: sign in again
    signed_in_at = session.get("signed_in_at", 0)
    if time.time() - signed_in_at > current_app.permanent_session_lifetime.total_seconds():
        return None
    user = db.session.get(User, int(pk))
    return user if user is not None and user.session_version == int(version) else None


def start_session(user: User) -> None:
    """A new session (and CSRF token) for user, ending SEQSCAN_SESSION_HOURS from now."""
    from flask_login import login_user

    session.clear()
    session.permanent = True  # the cookie expires with the session, not only with the browser
    session["signed_in_at"] = time.time()
    login_user(user)


@login_manager.request_loader
def _load_from_request(req) -> User | None:
    """An API token (X-Seqscan-Token or Authorization: Bearer), or the trusted proxy header."""
    auth = req.headers.get("Authorization", "")
    token = req.headers.get(TOKEN_HEADER) or (auth[7:] if auth.startswith("Bearer ") else None)
    if token:
        g.by_token = True
        return db.session.scalar(select(User).where(User.api_token_sha256 == token_digest(token)))
    header = current_app.config["TRUSTED_USER_HEADER"]
    if header and req.headers.get(header):
        return user_by_name(req.headers[header])
    return None


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(error="sign in or send an API token"), 401
    target = url_for("auth.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):  # a poll after the session ended: leave the fragment, go to sign-in
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def _guard():
    """Before every request: a known user (or an open page), and the CSRF check."""
    signed_in = current_user.is_authenticated  # loads the user: sets g.by_token for token requests
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("by_token"):
        csrf.protect()
    if g.get("by_token") and not signed_in:
        return jsonify(error="unknown API token"), 401
    if request.endpoint in OPEN_ENDPOINTS or signed_in:
        return None
    return login_manager.unauthorized()


def operator_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(
                403,
                "this needs the operator role (starting or cancelling scans, accepting vanished runs, acknowledging)",
            )
        return view(*args, **kwargs)

    return wrapped


def _secret_key(app: Flask) -> str:
    """The configured key, or one generated once and kept (0600) in the instance folder.

    The web app, worker and scheduler start together: the key is written to a file of its own, then
    linked into place, which only one of them can do; every process then reads the same whole key."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    path = Path(app.instance_path) / "secret_key"
    if path.exists() and not path.read_text().strip():
        path.unlink(missing_ok=True)  # left empty by an older release's interrupted start: never a key
    if not path.exists():
        fd, draft = tempfile.mkstemp(dir=app.instance_path, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    app.config["SECRET_KEY"] = _secret_key(app)
    app.permanent_session_lifetime = timedelta(hours=float(app.config["SESSION_HOURS"]))
    # Failed sign-ins are counted in Redis (shared by every web process), in memory while it is down.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", keys.rate_limits(app.config["SCAN_QUEUE"]))
    limiter.init_app(app)
    # The check runs in _guard, after the user is known, so that token requests can skip it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A scans page left open overnight must still start a scan in the morning.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    csrf.init_app(app)
    app.before_request(_guard)

    @app.errorhandler(CSRFError)
    def _csrf_failed(e):
        message = f"{e.description} Reload the page and try again."
        return (jsonify(error=message), 400) if request.path.startswith("/api/") else (message, 400)
