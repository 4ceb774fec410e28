"""The console's Webhooks and Outbox pages: endpoints added with their secret shown once,
deactivated, the delivery log and the outbox as staff read them, and what each role may do."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from flask.testing import FlaskClient

from backend.clock import utc_now
from backend.db import Database
from backend.services import outbox, webhook_endpoints, webhook_events, webhooks
from tests.integration.backend.test_outbox import free_port
from tests.integration.web.console_session import ConsoleSession, csrf_token, make_staff

SECRET = re.compile(r'<code id="secret">(whsec_[\w-]+)</code>')


def signed_in(client: FlaskClient, database: Database, role: str) -> ConsoleSession:
    """A console session of a new staff member with ``role``."""
    email = f"{role}@example.org"
    secret = make_staff(database, email, role, second_factor=role == "admin")
    console = ConsoleSession(client)
    console.sign_in_fully(email, secret)
    return console


def add_endpoint(console: ConsoleSession, url: str, *types: str) -> str:
    """Send the add form; the page it answers with."""
    answer = console.submit(
        "/console/webhooks",
        "/console/webhooks",
        {"url": url, "event_types": list(types), "description": "CRM"},
    )
    return answer.get_data(as_text=True)


def test_a_planner_adds_an_endpoint_and_sees_its_secret_once(
    client: FlaskClient, database: Database
) -> None:
    console = signed_in(client, database, "planner")
    page = add_endpoint(console, "https://crm.example.org/hooks", "trip.cancelled", "case.updated")
    found = SECRET.search(page)
    assert found is not None, page
    secret = found[1]
    assert "shown only now" in page
    listing = console.get("/console/webhooks").get_data(as_text=True)
    assert "https://crm.example.org/hooks" in listing
    assert "case.updated" in listing
    assert secret not in listing
    with database.sessions() as session:
        [endpoint] = webhook_endpoints.list_endpoints(session)
        assert endpoint.secret == secret
        assert endpoint.event_types == ["case.updated", "trip.cancelled"]


def test_a_refused_endpoint_keeps_what_was_typed(client: FlaskClient, database: Database) -> None:
    console = signed_in(client, database, "planner")
    answer = console.submit(
        "/console/webhooks",
        "/console/webhooks",
        {"url": "ftp://crm.example.org/x", "event_types": ["trip.cancelled"]},
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "invalid_webhook_url" in page
    assert 'value="ftp://crm.example.org/x"' in page
    assert 'value="trip.cancelled" checked' in page
    assert 'value="case.updated" checked' not in page


def test_deactivating_stops_an_endpoint(client: FlaskClient, database: Database) -> None:
    console = signed_in(client, database, "admin")
    add_endpoint(console, "https://crm.example.org/hooks", "trip.cancelled")
    with database.sessions() as session:
        [endpoint] = webhook_endpoints.list_endpoints(session)
    answer = console.submit("/console/webhooks", f"/console/webhooks/{endpoint.id}/deactivate", {})
    assert answer.status_code == 303
    page = console.get("/console/webhooks").get_data(as_text=True)
    assert "is deactivated" in page
    assert "Deactivated" in page
    assert f"/console/webhooks/{endpoint.id}/deactivate" not in page
    with database.sessions() as session:
        assert not webhook_endpoints.find_endpoint(session, endpoint.id).active


def test_the_delivery_log_shows_attempts_and_the_last_error(
    client: FlaskClient, database: Database
) -> None:
    now = utc_now()
    with database.sessions() as session:
        endpoint, _ = webhook_endpoints.create_endpoint(
            session,
            url=f"http://127.0.0.1:{free_port()}/down",
            event_types=["case.updated"],
            description="",
            created_by=None,
            now=now,
        )
        webhook_events.record(session, "case.updated", {"case": 1}, now)
        webhooks.fan_out(session, now)
        session.commit()
    assert webhooks.deliver_due(database, now, timeout_s=2).retried == 1
    console = signed_in(client, database, "support")
    page = console.get(f"/console/webhooks?hook={endpoint.id}").get_data(as_text=True)
    assert f"Delivery log of endpoint {endpoint.id}" in page
    assert "Pending" in page
    assert "ConnectionRefused" in page
    assert "1 pending" in page
    row = re.search(r"<tr>\s*<td class=\"nowrap\">case.updated.*?</tr>", page, re.S)
    assert row is not None
    assert '<td class="num">1</td>' in row[0]  # one attempt


def test_support_reads_the_pages_without_their_buttons(
    client: FlaskClient, database: Database
) -> None:
    with database.sessions() as session:
        webhook_endpoints.create_endpoint(
            session,
            url="https://crm.example.org/hooks",
            event_types=["trip.cancelled"],
            description="",
            created_by=None,
            now=utc_now(),
        )
    console = signed_in(client, database, "support")
    page = console.get("/console/webhooks").get_data(as_text=True)
    assert "https://crm.example.org/hooks" in page
    assert "Add an endpoint" not in page
    assert "Deactivate" not in page
    assert ">Webhooks<" in page
    assert ">Outbox<" in page
    token = csrf_token(console.get("/console/webhooks"))
    refused = client.post(
        "/console/webhooks",
        data={"csrf_token": token, "url": "https://x.example.org/", "event_types": "case.updated"},
    )
    assert refused.status_code == 403
    assert b"insufficient_role" in refused.data


def test_the_add_form_needs_its_csrf_token(client: FlaskClient, database: Database) -> None:
    signed_in(client, database, "planner")
    refused = client.post(
        "/console/webhooks", data={"url": "https://x.example.org/", "event_types": "case.updated"}
    )
    assert refused.status_code == 400
    assert b"csrf_failed" in refused.data
    with database.sessions() as session:
        assert list(webhook_endpoints.list_endpoints(session)) == []


def test_the_outbox_page_lists_the_latest_mail(client: FlaskClient, database: Database) -> None:
    now = utc_now()
    with database.sessions() as session:
        outbox.queue_email(
            session, to="ada@example.org", subject="Booking AB12 confirmed", text="t", now=now
        )
        outbox.queue_email(
            session,
            to="bo@example.org",
            subject="Your trip is cancelled",
            text="t",
            now=now + timedelta(seconds=1),
        )
        session.commit()
    down = outbox.SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=2)
    assert outbox.send_due(database, down, now + timedelta(seconds=1)).retried == 2
    console = signed_in(client, database, "support")
    page = html.unescape(console.get("/console/outbox").get_data(as_text=True))
    assert "ada@example.org" in page
    assert "Your trip is cancelled" in page
    assert "2 pending" in page
    assert "ConnectionRefused" in page
    assert "No mail server is configured" in page  # the app's own settings have none
