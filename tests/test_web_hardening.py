"""Small leaks closed: huge ids and pages, JSON errors under /api/, odd CSRF tokens, security headers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from seqscan import create_app
from seqscan.settings_check import SettingError
from tests.conftest import sign_in
from tests.queue_support import free_port

PROJECT = Path(__file__).resolve().parents[1]

HUGE = "99999999999999999999"


@pytest.mark.parametrize("url", [f"/scans/{HUGE}", f"/scans/{HUGE}/row", f"/scans/{2**63}/live", f"/api/scans/{HUGE}"])
def test_an_id_past_the_database_integer_is_404_not_500(operator, url):
    assert operator.get(url).status_code == 404


@pytest.mark.parametrize(
    "url", [f"/scans?page={HUGE}", f"/runs?page={HUGE}", f"/missing?page={HUGE}", "/api/scans?page=-5"]
)
def test_any_page_number_is_a_page_not_a_crash(operator, url):
    assert operator.get(url).status_code == 200


def test_every_api_error_is_json(operator):
    for url in ("/api/nope", f"/api/scans/{HUGE}", "/api/runs/no-such-run"):
        response = operator.get(url)
        assert response.status_code == 404 and response.is_json and response.json["error"]
    forged = operator.post("/api/scans", headers={"X-CSRF-Token": "é"})
    assert forged.status_code == 400 and forged.is_json and "CSRF" in forged.json["error"]


def test_a_non_ascii_csrf_token_is_400(operator):
    assert operator.post("/scans", data={"csrf_token": "é\u2603"}).status_code == 400


def test_pages_carry_the_security_headers(operator):
    headers = operator.get("/scans").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


# --- Cookies, proxies, the server header and debug mode ---


def set_cookie(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))


def test_the_session_cookie_is_secure_over_https_and_as_configured(app, users):
    client = app.test_client()
    assert "Secure" not in set_cookie(client.get("/sign-in"))
    assert "; Secure" in set_cookie(client.get("/sign-in", base_url="https://seqscan.lab"))
    app.config["SESSION_COOKIE_SECURE"] = True  # SEQSCAN_SESSION_COOKIE_SECURE=true: HTTPS-only, whatever the request
    assert "; Secure" in set_cookie(app.test_client().get("/sign-in"))


def test_behind_a_proxy_its_forwarded_scheme_and_address_count(app):
    plain = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in set_cookie(plain)  # no proxy configured: the header is not trusted
    proxied = create_app({**app.config, "PROXY_COUNT": 1}).test_client()
    assert "; Secure" in set_cookie(proxied.get("/sign-in", headers={"X-Forwarded-Proto": "https"}))


def test_gunicorn_sends_no_server_or_python_version(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SEQSCAN_DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite'}",
        "SEQSCAN_DATA_DIR": str(tmp_path),
        "SEQSCAN_UPGRADE_ON_START": "true",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        headers = wait_for_headers(f"http://127.0.0.1:{port}/sign-in")
    finally:
        server.terminate()
        server.wait(10)
    assert headers["Server"] == "gunicorn"  # no version of it, of Werkzeug or of Python
    assert headers["X-Frame-Options"] == "DENY"


def test_flask_debug_is_refused_for_flask_run_off_loopback(tmp_path):
    env = {**os.environ, "FLASK_DEBUG": "1", "SEQSCAN_DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite'}"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "refusing to start: FLASK_DEBUG is set" in done.stderr


def test_flask_debug_and_debug_settings_are_ignored_outside_flask_run(app, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert not create_app({**app.config}).debug
    monkeypatch.delenv("FLASK_DEBUG")
    assert not create_app({**app.config, "DEBUG": True}).debug  # DEBUG = true in a settings source
    monkeypatch.setenv("SEQSCAN_DEBUG", "true")  # not a setting of seqscan's: refused as unknown
    with pytest.raises(SettingError, match="unknown setting SEQSCAN_DEBUG"):
        create_app({**app.config})


def wait_for_headers(url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return dict(answer.headers)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_errors_outside_the_api_are_pages_in_the_site_layout(operator, app):
    missing = operator.get("/scans/424242")
    assert missing.status_code == 404 and "<nav>" in missing.text and "404 Not Found" in missing.text
    assert "There is no page 99" in operator.get("/scans?page=99").text

    fresh = create_app({**app.config, "PROPAGATE_EXCEPTIONS": False})

    @fresh.get("/boom")
    def boom():
        raise RuntimeError("boom")

    crashed = sign_in(fresh.test_client(), "olga").get("/boom")
    assert crashed.status_code == 500 and "<nav>" in crashed.text and "500 Internal Server Error" in crashed.text
