"""Webhook endpoints through the API: the secret shown once, roles, deactivation and the
delivery log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backend.clock import utc_now
from backend.db import Database
from backend.services import webhook_events, webhooks

HOOK = {"url": "https://crm.example.org/hooks", "event_types": ["trip.cancelled"]}


def json_of(answer: TestResponse) -> Any:
    """The JSON body of an answer."""
    data = answer.get_json()
    assert data is not None, answer.get_data(as_text=True)
    return data


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def support(staff_token: Callable[..., str]) -> dict[str, str]:
    return bearer(staff_token("support"))


def test_creating_an_endpoint_shows_its_secret_once(
    client: FlaskClient, planner: dict[str, str], support: dict[str, str]
) -> None:
    created = client.post("/api/v1/webhooks", json={**HOOK, "description": "CRM"}, headers=planner)
    assert created.status_code == 201, json_of(created)
    body = json_of(created)
    assert body["secret"].startswith("whsec_")
    assert body["url"] == HOOK["url"]
    assert body["event_types"] == ["trip.cancelled"]
    assert body["active"] is True
    assert body["description"] == "CRM"
    assert isinstance(body["created_by"], int)
    listed = client.get("/api/v1/webhooks", headers=support)
    assert listed.status_code == 200
    assert [hook["id"] for hook in json_of(listed)] == [body["id"]]
    assert "secret" not in json_of(listed)[0]
    assert body["secret"] not in listed.get_data(as_text=True)


def test_support_reads_but_may_not_change_endpoints(
    client: FlaskClient, planner: dict[str, str], support: dict[str, str]
) -> None:
    refused = client.post("/api/v1/webhooks", json=HOOK, headers=support)
    assert refused.status_code == 403
    assert json_of(refused)["error"]["code"] == "insufficient_role"
    hook_id = json_of(client.post("/api/v1/webhooks", json=HOOK, headers=planner))["id"]
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=support).status_code == 403
    assert client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=support).status_code == 200


def test_every_webhook_call_needs_a_token(client: FlaskClient) -> None:
    for method, path in (
        ("GET", "/api/v1/webhooks"),
        ("POST", "/api/v1/webhooks"),
        ("DELETE", "/api/v1/webhooks/1"),
        ("GET", "/api/v1/webhooks/1/deliveries"),
    ):
        answer = client.open(path, method=method, json=HOOK)
        assert answer.status_code == 401, (method, path)
        assert json_of(answer)["error"]["code"] == "authentication_required"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**HOOK, "url": "ftp://example.org/x"}, 422, "invalid_webhook_url"),
        ({**HOOK, "event_types": []}, 422, "validation_failed"),
        ({**HOOK, "event_types": ["booking.made"]}, 422, "validation_failed"),
        ({"event_types": ["trip.cancelled"]}, 422, "validation_failed"),
    ],
)
def test_bad_endpoints_are_refused(
    client: FlaskClient, planner: dict[str, str], body: dict[str, object], status: int, code: str
) -> None:
    answer = client.post("/api/v1/webhooks", json=body, headers=planner)
    assert answer.status_code == status, json_of(answer)
    assert json_of(answer)["error"]["code"] == code


def test_delete_deactivates_and_keeps_the_delivery_log(
    client: FlaskClient, database: Database, planner: dict[str, str]
) -> None:
    hook_id = json_of(client.post("/api/v1/webhooks", json=HOOK, headers=planner))["id"]
    now = utc_now() + timedelta(seconds=1)
    with database.writer_sessions() as session:
        webhook_events.record(session, "trip.cancelled", {"trip_instance": "T1"}, now)
        webhooks.fan_out(session, now)
        session.commit()
    log = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=planner)
    assert log.status_code == 200
    [delivery] = json_of(log)
    assert delivery["event_type"] == "trip.cancelled"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["next_attempt_at"] is not None
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=planner).status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=planner).status_code == 204
    [hook] = json_of(client.get("/api/v1/webhooks", headers=planner))
    assert hook["active"] is False
    [delivery] = json_of(client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=planner))
    assert (delivery["status"], delivery["last_error"]) == ("failed", "endpoint deactivated")
    assert delivery["next_attempt_at"] is None


def test_an_unknown_endpoint_is_404(client: FlaskClient, planner: dict[str, str]) -> None:
    for method, path in (
        ("DELETE", "/api/v1/webhooks/99"),
        ("GET", "/api/v1/webhooks/99/deliveries"),
    ):
        answer = client.open(path, method=method, headers=planner)
        assert answer.status_code == 404
        assert json_of(answer)["error"]["code"] == "webhook_not_found"
