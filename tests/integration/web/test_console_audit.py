"""The audit log of console actions: forms staff send are recorded with who, what, on which
ids and how they ended; sign-ins and sign-outs too, refused sign-ins and page views not; and the
Audit page shows the log to admins, newest first, with filters."""

from __future__ import annotations

import html

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.db import Database
from backend.models import AuditEvent
from tests.integration.web.console_session import ConsoleSession, make_staff


def rows(database: Database) -> list[AuditEvent]:
    with database.sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def summary(database: Database) -> list[tuple[str, str | None, int]]:
    return [(row.action, row.actor_email, row.status) for row in rows(database)]


def test_console_forms_and_sign_ins_are_recorded_and_page_views_are_not(
    client: FlaskClient, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console = ConsoleSession(client)
    refused = console.sign_in("plan@example.org", "not the password")
    assert refused.status_code == 200  # the form again, with the error
    assert rows(database) == []
    console.sign_in_fully("plan@example.org")
    console.get("/console/devices")
    made = console.submit(
        "/console/devices",
        "/console/devices",
        {"id": "gate-7", "role": "gate_entry", "stop_id": "S"},
    )
    assert made.status_code == 200
    revoked = console.submit("/console/devices", "/console/devices/gate-7/revoke", {})
    assert revoked.status_code == 303
    hook = console.submit(
        "/console/webhooks",
        "/console/webhooks",
        {"url": "https://crm.example.org/hook", "event_types": ["booking.created"]},
    )
    assert hook.status_code == 200
    not_mine = console.submit("/console/devices", "/console/staff", {"email": "x@example.org"})
    assert not_mine.status_code == 403
    signed_out = console.submit("/console/devices", "/console/logout", {})
    assert signed_out.status_code == 303

    assert summary(database) == [
        ("staff.sign_in", "plan@example.org", 303),
        ("device.provision", "plan@example.org", 200),
        ("device.revoke", "plan@example.org", 303),
        ("webhook.create", "plan@example.org", 200),
        ("staff.create", "plan@example.org", 403),
        ("staff.sign_out", "plan@example.org", 303),
    ]
    recorded = rows(database)
    assert {row.via for row in recorded} == {"console"}
    assert {row.actor_role for row in recorded} == {"planner"}
    assert recorded[1].target == {"device_id": "gate-7"}
    assert recorded[2].target == {"device_id": "gate-7"}
    assert recorded[2].path == "/console/devices/gate-7/revoke"
    assert all(row.client_address == "127.0.0.1" and row.request_id for row in recorded)
    assert all(row.token_id is None for row in recorded)


def test_an_admin_sign_in_is_recorded_at_each_step(client: FlaskClient, database: Database) -> None:
    secret = make_staff(database, "boss@example.org", "admin", second_factor=True)
    console = ConsoleSession(client)
    assert console.sign_in("boss@example.org").status_code == 303
    assert summary(database) == [("staff.sign_in.password", "boss@example.org", 303)]
    wrong = console.give_code("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code == 200
    assert console.give_code(pyotp.TOTP(secret).now()).status_code == 303
    assert summary(database) == [
        ("staff.sign_in.password", "boss@example.org", 303),
        ("staff.sign_in", "boss@example.org", 303),
    ]


def test_the_audit_page_shows_admins_the_log_newest_first_with_filters(
    client: FlaskClient, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    planner = ConsoleSession(client)
    planner.sign_in_fully("plan@example.org")
    for device in ("gate-1", "gate-2"):
        planner.submit(
            "/console/devices",
            "/console/devices",
            {"id": device, "role": "gate_entry", "stop_id": "S"},
        )
    assert planner.get("/console/audit").status_code == 403
    planner.submit("/console/devices", "/console/logout", {})

    secret = make_staff(database, "boss@example.org", "admin", second_factor=True)
    admin = ConsoleSession(client)
    admin.sign_in_fully("boss@example.org", secret)
    page = admin.get("/console/audit")
    assert page.status_code == 200
    shown = html.unescape(page.get_data(as_text=True))
    assert '<a href="/console/audit" aria-current="page">Audit</a>' in shown
    assert shown.index("gate-2") < shown.index("gate-1")  # newest first
    assert "staff.sign_in" in shown
    assert "6 actions" in shown  # planner: in, 2 devices, out; admin: password, code
    devices_only = html.unescape(admin.get("/console/audit?action=device").get_data(as_text=True))
    assert "2 actions" in devices_only
    assert "staff.sign_in" not in devices_only.split("<tbody>")[1]
    by_admin = html.unescape(
        admin.get("/console/audit?actor=boss@example.org").get_data(as_text=True)
    )
    assert "gate-1" not in by_admin
    bad = admin.get("/console/audit?from=yesterday")
    assert bad.status_code == 422
    assert "invalid_day" in bad.get_data(as_text=True)
    nul = admin.get("/console/audit?actor=%00")
    assert nul.status_code == 422
    assert "invalid_filter" in nul.get_data(as_text=True)
