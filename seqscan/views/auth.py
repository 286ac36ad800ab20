"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from werkzeug.security import check_password_hash

from seqscan.auth import user_by_name

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send users to another site."""
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("scans.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "POST":
        user = user_by_name(request.form.get("username", "").strip())
        if user is None or not check_password_hash(user.password_hash, request.form.get("password", "")):
            flash("Unknown user name or wrong password.", "error")
            return render_template("sign_in.html"), 401
        session.clear()  # a new session (and CSRF token) for the signed-in user
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("sign_in.html")


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))
