"""Who is asking: sign-in with a password, an API token for scripts, or a trusted proxy header.

Every page needs a signed-in user; starting a scan needs the operator role. Every POST made with
the session cookie carries the session's CSRF token (form field or X-CSRF-Token header); requests
authenticated by an API token carry no cookie and need none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from seqscan.extensions import db
from seqscan.models import User

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.sign_in", "static"}
TOKEN_HEADER = "X-Seqscan-Token"


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token(user: User) -> str:
    """A new token for user (shown once; only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    user.api_token_sha256 = token_digest(token)
    return token


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _user_by_name(name: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == name))


def _identify() -> tuple[User | None, bool]:
    """(the user, whether the request used the session cookie)."""
    token = request.headers.get(TOKEN_HEADER) or _bearer()
    if token:
        user = db.session.scalar(select(User).where(User.api_token_sha256 == token_digest(token)))
        if user is None:
            abort(401, "unknown API token")
        return user, False
    header = current_app.config["TRUSTED_USER_HEADER"]
    if header and request.headers.get(header):
        return _user_by_name(request.headers[header]), False
    user_id = session.get("user_id")
    return (db.session.get(User, user_id) if user_id else None), True


def _bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None


def _guard():
    g.user, by_cookie = _identify()
    if request.method not in ("GET", "HEAD", "OPTIONS") and by_cookie:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
            abort(400, "missing or wrong CSRF token: reload the page and try again")
    if request.endpoint in OPEN_ENDPOINTS or g.user is not None:
        return None
    if request.path.startswith("/api/"):
        return jsonify(error="sign in or send an API token"), 401
    target = url_for("auth.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):  # a poll after the session ended: leave the fragment, go to sign-in
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def operator_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.user.is_operator:
            abort(403, "starting scans needs the operator role")
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send users to another site."""
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("scans.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "POST":
        user = _user_by_name(request.form.get("username", "").strip())
        if user is None or not check_password_hash(user.password_hash, request.form.get("password", "")):
            flash("Unknown user name or wrong password.", "error")
            return render_template("sign_in.html"), 401
        session.clear()
        session["user_id"] = user.id
        csrf_token()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("sign_in.html")


@bp.post("/sign-out")
def sign_out():
    session.clear()
    return redirect(url_for("auth.sign_in"))


def _secret_key(app: Flask) -> str:
    """The configured key, or one generated once and kept (0600) in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    app.config["SECRET_KEY"] = _secret_key(app)
    app.register_blueprint(bp)
    app.before_request(_guard)
    app.context_processor(lambda: {"csrf_token": csrf_token, "current_user": g.get("user")})
