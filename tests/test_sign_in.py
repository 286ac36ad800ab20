"""Sign-in against guessing, and sessions that can be ended (issue 10, item 10)."""

from __future__ import annotations

import logging
import statistics
import time

import pytest

from seqscan import create_app
from tests.conftest import csrf, sign_in


def attempt(client, name: str, password: str):
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"username": name, "password": password, "csrf_token": csrf(page.text)})


@pytest.fixture
def limited(app, users, lab_redis):
    """Small limits, counted in the test Redis (emptied around the test)."""
    app.config.update(SIGN_IN_LIMIT_PER_USER="5 per 10 minutes", SIGN_IN_LIMIT_PER_ADDRESS="8 per 10 minutes")
    return app


def test_wrong_passwords_for_one_user_are_refused_after_the_limit_even_with_the_right_one(limited, caplog):
    client = limited.test_client()
    caplog.set_level(logging.WARNING, logger="seqscan.auth")
    for _ in range(5):
        assert attempt(client, "olga", "guess").status_code == 401
    refused = attempt(client, "olga", "olga-pw")
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert caplog.text.count("failed sign-in for 'olga' from 127.0.0.1") == 5
    assert "too many failed sign-ins for 'olga'" in caplog.text
    # Another account from the same address still signs in (its address limit is not reached).
    assert attempt(client, "vic", "vic-pw").status_code == 302


def test_guessing_many_user_names_from_one_address_is_refused_after_the_address_limit(limited):
    client = limited.test_client()
    for i in range(8):
        assert attempt(client, f"nobody{i}", "guess").status_code == 401
    assert attempt(client, "vic", "vic-pw").status_code == 429


def test_successful_sign_ins_do_not_count(limited):
    for _ in range(12):
        client = limited.test_client()
        assert attempt(client, "vic", "vic-pw").status_code == 302


def test_the_limit_holds_in_memory_while_redis_is_down(tmp_path, users, app):
    broken = create_app({**app.config, "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                         "SIGN_IN_LIMIT_PER_USER": "3 per 10 minutes"})  # fmt: skip
    client = broken.test_client()
    for _ in range(3):
        assert attempt(client, "olga", "guess").status_code == 401
    assert attempt(client, "olga", "olga-pw").status_code == 429
    assert attempt(client, "vic", "vic-pw").status_code == 302


def test_an_unknown_user_name_takes_as_long_as_a_wrong_password(app, users, lab_redis):
    app.config.update(SIGN_IN_LIMIT_PER_USER="1000 per minute", SIGN_IN_LIMIT_PER_ADDRESS="1000 per minute")
    client = app.test_client()
    token = csrf(client.get("/sign-in").text)

    def median_seconds(name: str) -> float:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            response = client.post("/sign-in", data={"username": name, "password": "guess", "csrf_token": token})
            times.append(time.perf_counter() - start)
            assert response.status_code == 401
        return statistics.median(times)

    median_seconds("olga")  # warm up (the dummy hash is made on first use)
    known, unknown = median_seconds("olga"), median_seconds("no-such-user")
    assert 0.5 < unknown / known < 2, (known, unknown)


def test_sign_out_ends_the_users_sessions_on_every_browser(app, users):
    laptop, desktop = sign_in(app.test_client(), "olga"), sign_in(app.test_client(), "olga")
    assert desktop.get("/scans").status_code == 200
    laptop.post("/sign-out", data={"csrf_token": csrf(laptop.get("/scans").text)})
    assert desktop.get("/scans").status_code == 302  # to the sign-in page
    assert sign_in(app.test_client(), "olga").get("/scans").status_code == 200  # signing in again works


@pytest.mark.parametrize(
    "command",
    [["users", "set-password", "olga", "--password", "new-pw"], ["users", "set-role", "olga", "viewer"],
     ["users", "create", "olga", "--role", "operator", "--replace"]],
)  # fmt: skip
def test_a_new_password_or_role_ends_the_users_sessions(app, users, command):
    client = sign_in(app.test_client(), "olga")
    other = sign_in(app.test_client(), "vic")
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert client.get("/scans").status_code == 302
    assert other.get("/scans").status_code == 200  # other users are not affected


def test_a_session_ends_after_its_lifetime(app, users):
    app.config["SESSION_HOURS"] = 1 / 3600  # one second
    short = create_app({**app.config})
    client = sign_in(short.test_client(), "vic")
    assert client.get("/scans").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie.expires is not None  # not a browser-session cookie that lives until the browser closes
    time.sleep(1.2)
    assert client.get("/scans").status_code == 302


def test_a_cookie_from_before_session_versions_signs_in_again(app, users):
    client = sign_in(app.test_client(), "vic")
    with client.session_transaction() as s:
        s["_user_id"] = s["_user_id"].partition(":")[0]  # as the previous release wrote it
    assert client.get("/scans").status_code == 302
