"""Every failure comes back as an error envelope with a stable code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_unknown_path_is_404_not_found(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/healthz")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(client: FlaskClient, staff_token: Callable[..., str]) -> None:
    response = client.post(
        "/api/v1/staff/users",
        data="{not json",
        headers={"Authorization": f"Bearer {staff_token()}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_unexpected_failure_is_500_without_internals(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == {
        "error": {
            "code": "internal_error",
            "message": "the server could not complete the request",
        }
    }
    assert "secret internals" in caplog.text
