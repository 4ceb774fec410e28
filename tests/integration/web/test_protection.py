"""What every page gets: the session secret, CSRF checks on forms, and security headers."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from backend.settings import SettingsError
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


def test_a_form_sent_without_its_csrf_token_is_refused(client: FlaskClient) -> None:
    refused = client.post("/login", data={"email": "a@example.org"})
    assert refused.status_code == 400
    assert b"csrf_failed" in refused.data
    assert "script-src 'self'" in refused.headers["Content-Security-Policy"]
    assert refused.headers["X-Frame-Options"] == "DENY"


def test_the_json_api_is_not_asked_for_csrf_tokens(client: FlaskClient) -> None:
    answer = client.post("/api/v1/holds", json={})
    assert answer.status_code == 422  # refused by validation, not by a CSRF check
    assert "Content-Security-Policy" not in answer.headers
