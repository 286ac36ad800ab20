"""Signing in and out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from seqscan.auth import check_sign_in, start_session
from seqscan.extensions import db, limiter

bp = Blueprint("auth", __name__)
log = logging.getLogger("seqscan.auth")


def _username() -> str:
    return request.form.get("username", "").strip()


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits."""
    return response.status_code == 401


def _too_many(limit) -> None:
    log.warning(
        "sign-in refused (%s): too many failed sign-ins for %r from %s", limit.limit, _username(), get_remote_address()
    )


# Per address and per user name, so that neither one address nor many can guess at one account.
by_address = limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed, on_breach=_too_many
)
by_user = limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_USER"],
    key_func=lambda: f"user:{_username().lower()}",
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_too_many,
)


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send users to another site."""
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@by_address
@by_user
def sign_in():
    if request.method == "POST":
        user = check_sign_in(_username(), request.form.get("password", ""))
        if user is None:
            log.warning("failed sign-in for %r from %s", _username(), get_remote_address())
            flash("Unknown user name or wrong password.", "error")
            return render_template("sign_in.html"), 401
        start_session(user)
        log.info("%s signed in from %s", user.username, get_remote_address())
        return redirect(_safe_next(request.args.get("next")))
    return render_template("sign_in.html")


@bp.errorhandler(429)
def too_many_sign_ins(e):
    flash("Too many failed sign-ins: wait a few minutes and try again.", "error")
    return render_template("sign_in.html"), 429


@bp.post("/sign-out")
def sign_out():
    """Ends this user's sessions on every browser (their session version moves on)."""
    if current_user.is_authenticated and not getattr(current_user, "is_anonymous", False):
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))
