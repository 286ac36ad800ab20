"""Small leaks closed: huge ids and pages, JSON errors under /api/, odd CSRF tokens, security headers."""

from __future__ import annotations

import pytest

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
