"""The audit log of staff actions through the API: every state-changing call of a staff token
is recorded with who, how, what, on which ids, how it ended, from where and under which
request id; reads and travelers' calls are not; only admins read the log; and a log that cannot
be written never fails the action."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text

from backend.clock import utc_now
from backend.db import Database
from backend.models import AuditEvent, StaffUser
from backend.services import accounts
from tests.conftest import STAFF_PASSWORD


def staff(database: Database, email: str, role: str) -> tuple[int, int, dict[str, str]]:
    """A staff member: (user id, token id, Authorization header)."""
    with database.sessions() as session:
        user = accounts.create_user(session, email, STAFF_PASSWORD, role, now=utc_now())
        token, plaintext = accounts.create_token(session, user, name="t", role=None, now=utc_now())
        return user.id, token.id, {"Authorization": f"Bearer {plaintext}"}


def rows(database: Database) -> list[AuditEvent]:
    with database.sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_staff_api_actions_are_recorded_with_actor_action_target_and_outcome(
    client: FlaskClient, database: Database
) -> None:
    admin_id, admin_token, admin = staff(database, "Boss@Example.org", "admin")
    _, _, planner = staff(database, "plan@example.org", "planner")
    _, _, helpdesk = staff(database, "help@example.org", "support")
    made = client.post(
        "/api/v1/staff/users",
        json={"email": "new@example.org", "role": "support", "password": STAFF_PASSWORD},
        headers={**admin, "X-Request-Id": "req-42"},
    )
    assert made.status_code == 201
    device = {"id": "gate-1", "role": "gate_entry", "stop_id": "S"}
    assert client.post("/api/v1/devices", json=device, headers=planner).status_code == 201
    assert client.post("/api/v1/devices/gate-1/revoke", headers=planner).status_code == 200
    refused = client.post("/api/v1/devices", json={**device, "id": "gate-2"}, headers=helpdesk)
    assert refused.status_code == 403
    assert client.get("/api/v1/devices", headers=planner).status_code == 200  # a read
    assert client.get("/api/v1/staff/users", headers=admin).status_code == 200
    traveler = client.post(
        "/api/v1/cases",
        json={"kind": "other", "subject": "Hi", "message": "Help", "email": "rider@example.org"},
    )
    assert traveler.status_code == 201  # not a staff action

    created, provisioned, revoked, denied = rows(database)
    assert (created.action, created.via, created.actor_id, created.actor_email) == (
        "staff.create",
        "api",
        admin_id,
        "boss@example.org",
    )
    assert (created.actor_role, created.token_id, created.status) == ("admin", admin_token, 201)
    assert (created.method, created.path) == ("POST", "/api/v1/staff/users")
    assert created.target == {"email": "new@example.org", "role": "support", "id": made.json["id"]}
    assert created.client_address == "127.0.0.1"
    assert created.request_id == "req-42"
    assert abs(created.occurred_at - utc_now()) < timedelta(minutes=1)
    assert (provisioned.action, provisioned.actor_email, provisioned.status) == (
        "device.provision",
        "plan@example.org",
        201,
    )
    assert provisioned.target == {"device_id": "gate-1"}
    assert (revoked.action, revoked.target, revoked.status) == (
        "device.revoke",
        {"device_id": "gate-1"},
        200,
    )
    assert (denied.action, denied.actor_email, denied.actor_role, denied.status) == (
        "device.provision",
        "help@example.org",
        "support",
        403,
    )
    assert revoked.request_id
    assert revoked.request_id != created.request_id  # one per request


def test_only_admins_read_the_audit_log_with_filters_and_pages(
    client: FlaskClient, database: Database
) -> None:
    _, _, admin = staff(database, "boss@example.org", "admin")
    _, _, planner = staff(database, "plan@example.org", "planner")
    _, _, helpdesk = staff(database, "help@example.org", "support")
    for headers in (planner, helpdesk):
        answer = client.get("/api/v1/audit-events", headers=headers)
        assert answer.status_code == 403
        assert answer.json["error"]["code"] == "insufficient_role"
    for number in range(3):
        device = {"id": f"gate-{number}", "role": "gate_entry", "stop_id": "S"}
        assert client.post("/api/v1/devices", json=device, headers=planner).status_code == 201
    assert client.post("/api/v1/staff/tokens", json={"name": "x"}, headers=admin).status_code == 201

    everything = client.get("/api/v1/audit-events", headers=admin).json
    assert everything["total"] == 4
    assert [e["action"] for e in everything["events"]] == [
        "api_token.create",
        "device.provision",
        "device.provision",
        "device.provision",
    ]  # newest first
    assert "token" not in everything["events"][0]["target"]  # never the token's secret
    by_actor = client.get("/api/v1/audit-events?actor=PLAN@example.org", headers=admin).json
    assert by_actor["total"] == 3
    by_prefix = client.get("/api/v1/audit-events?action=device", headers=admin).json
    assert by_prefix["total"] == 3
    exact = client.get("/api/v1/audit-events?action=api_token.create", headers=admin).json
    assert exact["total"] == 1
    paged = client.get("/api/v1/audit-events?per_page=2&page=2", headers=admin).json
    assert (paged["page"], paged["pages"], len(paged["events"])) == (2, 2, 2)
    assert [e["target"]["device_id"] for e in paged["events"]] == ["gate-1", "gate-0"]
    later = (utc_now() + timedelta(hours=1)).isoformat()
    earlier = (utc_now() - timedelta(hours=1)).isoformat()
    future = client.get("/api/v1/audit-events", query_string={"since": later}, headers=admin)
    assert future.json["total"] == 0
    window = client.get(
        "/api/v1/audit-events", query_string={"since": earlier, "until": later}, headers=admin
    )
    assert window.json["total"] == 4
    backwards = client.get(
        "/api/v1/audit-events", query_string={"since": later, "until": earlier}, headers=admin
    )
    assert (backwards.status_code, backwards.json["error"]["code"]) == (400, "invalid_range")
    naive = client.get("/api/v1/audit-events?since=2026-01-01T00:00:00", headers=admin)
    assert naive.status_code == 422
    assert len(rows(database)) == 4  # reading the log, refused or not, wrote nothing


def test_the_audit_log_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    operation = paths["/api/v1/audit-events"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"actor", "action", "since", "until"}
    assert "403" in operation["responses"]
    assert "post" in paths["/api/v1/travelers/erase"]
    assert "get" in paths["/api/v1/travelers/export"]


def test_an_action_whose_audit_row_cannot_be_written_still_succeeds_and_is_logged(
    client: FlaskClient, database: Database, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _, _, admin = staff(database, "boss@example.org", "admin")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_event RENAME TO audit_event_away"))
    try:
        with caplog.at_level(logging.ERROR, logger="backend.services.audit"):
            made = client.post(
                "/api/v1/staff/users",
                json={"email": "new@example.org", "role": "planner", "password": STAFF_PASSWORD},
                headers=admin,
            )
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_event_away RENAME TO audit_event"))
    assert made.status_code == 201
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 2
    [record] = [r for r in caplog.records if "audit event NOT written" in r.getMessage()]
    assert "staff.create" in record.getMessage()
    assert "boss@example.org" in record.getMessage()
    assert rows(database) == []
