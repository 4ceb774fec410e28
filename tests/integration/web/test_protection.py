"""What every page gets: the session secret, CSRF checks on forms, and security headers."""

from __future__ import annotations

import re
import stat
import threading
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from backend.app import create_app
from backend.settings import Settings, SettingsError
from backend.web.protection import session_secret


def test_the_session_secret_is_made_once_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "var" / "session-secret"
    found: list[bytes] = []
    starting = [
        threading.Thread(target=lambda: found.append(session_secret(path))) for _ in range(8)
    ]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    assert len(set(found)) == 1
    assert len(found[0]) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_secret(path) == found[0]
    assert [p.name for p in path.parent.iterdir()] == ["session-secret"]  # no leftovers


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "session-secret"
    path.write_text("too short")
    with pytest.raises(SettingsError):
        session_secret(path)


@pytest.fixture
def form_page(app: Flask) -> FlaskClient:
    """A client of ``app`` with one page that takes a form (and says what it got)."""

    @app.route("/test-form", methods=["GET", "POST"])
    def test_form() -> str:
        return render_template_string(
            "<form method=post><input name=csrf_token value='{{ csrf_token() }}'>"
            "<input name=word></form>{{ request.form.get('word', '') }}"
        )

    return app.test_client()


def test_a_form_sent_without_its_csrf_token_is_refused(form_page: FlaskClient) -> None:
    refused = form_page.post("/test-form", data={"word": "sent"})
    assert refused.status_code == 400
    assert b"csrf_failed" in refused.data
    assert b"sent" not in refused.data
    assert "script-src 'self'" in refused.headers["Content-Security-Policy"]
    assert refused.headers["X-Frame-Options"] == "DENY"


def test_a_form_sent_with_its_csrf_token_is_taken(form_page: FlaskClient) -> None:
    page = form_page.get("/test-form")
    cookie = page.headers["Set-Cookie"]  # the session, which keeps the token
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP in tests (secure_cookies = false)
    token = re.search(r"value='([^']+)'", page.get_data(as_text=True))
    assert token is not None
    taken = form_page.post("/test-form", data={"csrf_token": token[1], "word": "sent"})
    assert taken.status_code == 200
    assert taken.get_data(as_text=True).endswith("sent")


def session_cookie(app: Flask, **request: object) -> str:
    """The Set-Cookie header of the session a page opens for a new browser."""
    page = app.test_client().get("/console/login", **request)  # type: ignore[arg-type]
    cookie: str = page.headers["Set-Cookie"]
    assert cookie.startswith("faregate_session="), cookie
    return cookie


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_session_cookie_is_secure_when_it_travels_over_https(
    settings: Settings, proxies: int
) -> None:
    app = create_app(settings.replace(trusted_proxies=proxies))
    try:
        assert "Secure" not in session_cookie(app)
        assert "Secure" in session_cookie(app, base_url="https://faregate.example")
        # Over plain HTTP, X-Forwarded-Proto counts only when a trusted proxy adds it.
        forwarded = session_cookie(app, headers={"X-Forwarded-Proto": "https"})
        assert ("Secure" in forwarded) is bool(proxies)
    finally:
        app.extensions["faregate.database"].dispose()


def test_secure_cookies_makes_every_session_cookie_secure(settings: Settings) -> None:
    app = create_app(settings.replace(secure_cookies=True, trusted_proxies=1))
    try:
        assert "Secure" in session_cookie(app)
    finally:
        app.extensions["faregate.database"].dispose()


def test_no_such_page_is_a_404_page_and_the_api_keeps_its_envelope(client: FlaskClient) -> None:
    page = client.post("/no-such-page")
    assert (page.status_code, page.mimetype) == (404, "text/html")
    assert b"Page not found" in page.data
    assert b'href="/console/"' in client.get("/console/no-such-page").data
    api = client.get("/api/v1/no-such-thing")
    assert api.json["error"]["code"] == "not_found"
    assert client.put("/healthz").json["error"]["code"] == "method_not_allowed"


def test_the_json_api_is_not_asked_for_csrf_tokens(client: FlaskClient) -> None:
    answer = client.post("/api/v1/holds", json={})
    assert answer.status_code == 422  # refused by validation, not by a CSRF check
    assert "Content-Security-Policy" not in answer.headers
