"""What every page and API answer shares: numbers that fit the database, JSON errors under /api/,
and the security headers."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from seqscan import roots
from seqscan.dberrors import is_outage, reason
from seqscan.extensions import db
from seqscan.models import SequencingRun
from seqscan.roots import Root

MAX_ID = 2**63 - 1  # the largest database integer: a larger id is no page (404), not a crash
MAX_PAGE = 10**9
# 'unsafe-eval': htmx evaluates the polling filter ("every 2s [document.visibilityState === ...]")
# that pauses polling in hidden tabs; nothing else is loaded from anywhere but this server.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class DatabaseInt(IntegerConverter):
    """<int:...> in every route: at most MAX_ID."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def runs_named(name: str) -> list[SequencingRun]:
    """The runs of that name, one per root (?root= picks one); 404 if none."""
    query = select(SequencingRun).where(SequencingRun.name == name).order_by(SequencingRun.root)
    if request.args.get("root"):
        query = query.where(SequencingRun.root == request.args["root"])
    runs = db.session.scalars(query).all()
    if not runs:
        abort(404, f"no run named {name}")
    return runs


def page_number() -> int:
    """?page=, between 1 and MAX_PAGE whatever was sent."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def choice(key: str, allowed: Iterable[str]) -> str:
    """?key=, "" when not given; any other value than the allowed ones is refused: a 400 that names
    them (a page, or JSON under /api/), rather than a list silently unfiltered."""
    value = request.args.get(key, "")
    allowed = list(allowed)
    if value and value not in allowed:
        abort(400, description=f"unknown {key} {value!r}: it is one of {', '.join(allowed)}")
    return value


def root_choice() -> Root | None:
    """The root ?root= names (None when not given); a name no root has is a 400 naming the roots."""
    name = choice("root", [root.name for root in roots.configured()])
    return roots.named(name) if name else None


def _errors(error: Exception):
    """Every error: JSON under /api/, else a page in the site's layout (redirects pass through)."""
    if not isinstance(error, HTTPException):
        error = InternalServerError()
    if error.code is None or error.code < 400:
        return error
    if request.path.startswith("/api/"):
        return jsonify(error=error.description), error.code
    try:
        return render_template("error.html", error=error), error.code
    except Exception:  # the layout itself failed (the database is down?): the plain page
        return error


DATABASE_AWAY = "database unreachable: pages, scans and the queue carry on by themselves once it answers again"


def _database_error(error: DBAPIError):
    """The database away (stopped, restarted, its disk full): say so, 503; the health strip shows it
    as its problem. No detail: the visitor may not be signed in (the user is read from the database)."""
    if not is_outage(error):
        current_app.logger.exception("%s %s failed", request.method, request.path)
        return _errors(error)
    current_app.logger.warning("%s %s: the database is unreachable: %s", request.method, request.path, reason(error))
    db.session.rollback()
    if request.endpoint == "status.strip":  # rendered without the context processors: they read the user
        return current_app.jinja_env.get_template("partials/health_strip.html").render(problems=[DATABASE_AWAY])
    return _errors(ServiceUnavailable(DATABASE_AWAY))


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure (sent over HTTPS only) whenever the request came over HTTPS,
    unless SEQSCAN_SESSION_COOKIE_SECURE says always (true) or never (false)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config["SESSION_COOKIE_SECURE"]
        return request.is_secure if setting is None else bool(setting)


def _security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Before the routes are added: the int converter is looked up as each route is."""
    app.url_map.converters["int"] = DatabaseInt
    app.register_error_handler(HTTPException, _errors)
    app.register_error_handler(DBAPIError, _database_error)
    app.after_request(_security_headers)
    # Asked for by browsers (and other clients) that read no <link rel="icon">: not a 404 on every page.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    app.session_interface = SessionCookies()
    if proxies := int(app.config["PROXY_COUNT"]):
        # Behind that many reverse proxies: the client's address (sign-in limits, logs) and
        # scheme (Secure cookies) come from their X-Forwarded-For / -Proto headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
