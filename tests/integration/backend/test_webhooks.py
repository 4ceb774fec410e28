"""Webhook delivery to a real HTTP receiver (http.server on 127.0.0.1) on both databases:
signed bodies the receiver can verify, retries after a 500, giving up on a receiver that is
down, fan-out to subscribed endpoints only, and booking events logged once by the scanner."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from backend.clock import utc_now
from backend.db import Database
from backend.errors import ServiceError
from backend.jobs import Messaging, deliver_webhooks
from backend.models import WebhookDelivery, WebhookEvent
from backend.services import feeds, webhook_events, webhooks
from backend.services.outbox import SmtpSettings
from backend.services.webhook_booking_events import record_booking_events
from backend.services.webhook_endpoints import create_endpoint, deactivate_endpoint
from backend.services.webhook_signatures import signature_header, verify_signature
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.reservations import book_through_api
from tests.integration.backend.test_outbox import free_port

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)  # past any retry's wait
TRIP = "CITY1@2008-06-02T06:00:00"


class Receiver:
    """An HTTP server keeping every request; it answers with ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                reply = b"nope" if status >= 300 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_args: Any) -> None:
                """Keep the test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The URL to subscribe."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver on 127.0.0.1."""
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()
    running.thread.join()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The migrated database of each backend."""
    db = Database(database_url)
    yield db
    db.dispose()


def subscribe(database: Database, url: str, *types: str, at: datetime = NOW) -> tuple[int, str]:
    """An endpoint for ``types`` (every type when none); its id and secret."""
    with database.sessions() as session:
        endpoint, secret = create_endpoint(
            session,
            url=url,
            event_types=types or webhook_events.EVENT_TYPES,
            description="",
            created_by=None,
            now=at,
        )
        return endpoint.id, secret


def log_event(database: Database, event_type: str, data: dict[str, Any], at: datetime) -> None:
    """Log one event, committed."""
    with database.sessions() as session:
        webhook_events.record(session, event_type, data, at)
        session.commit()


def fan_out(database: Database, now: datetime) -> int:
    """Fan out in a transaction of its own."""
    with database.writer_sessions() as session:
        created = webhooks.fan_out(session, now)
        session.commit()
    return created


def deliveries(database: Database) -> list[WebhookDelivery]:
    """Every delivery, oldest first."""
    with database.sessions() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_an_event_is_posted_signed_and_the_receiver_can_verify_it(
    database: Database, receiver: Receiver
) -> None:
    _, secret = subscribe(database, receiver.url, "trip.cancelled")
    log_event(database, "trip.cancelled", {"trip_instance": "T1@2026-11-29"}, NOW)
    assert fan_out(database, NOW) == 1
    report = webhooks.deliver_due(database, NOW)
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    [(path, headers, body)] = receiver.requests
    assert path == "/hooks"
    assert headers["Content-Type"] == "application/json"
    assert headers["Faregate-Event-Type"] == "trip.cancelled"
    assert headers["Faregate-Timestamp"] == str(int(NOW.timestamp()))
    signature = headers["Faregate-Signature"]
    assert signature.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_signature(secret, signature, body, NOW)
    assert not verify_signature(secret, signature, body + b" ", NOW)
    assert not verify_signature("whsec_other", signature, body, NOW)
    assert not verify_signature(secret, signature, body, NOW + timedelta(minutes=6))
    payload = json.loads(body)
    assert payload == {
        "id": int(headers["Faregate-Event-Id"]),
        "type": "trip.cancelled",
        "created_at": NOW.isoformat(),
        "data": {"trip_instance": "T1@2026-11-29"},
    }
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at == NOW
    assert webhooks.deliver_due(database, LATER) == webhooks.DeliveryReport()


def test_a_receiver_answering_500_gets_the_event_again_later(
    database: Database, receiver: Receiver
) -> None:
    _, secret = subscribe(database, receiver.url)
    log_event(database, "case.updated", {"case": 7}, NOW)
    fan_out(database, NOW)
    receiver.statuses = [500]
    assert webhooks.deliver_due(database, NOW).retried == 1
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: nope"
    assert NOW + timedelta(seconds=15) <= delivery.next_attempt_at <= NOW + timedelta(seconds=30)
    assert webhooks.deliver_due(database, NOW + timedelta(seconds=5)).delivered == 0  # not due
    assert webhooks.deliver_due(database, LATER).delivered == 1
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.last_error is None
    first, second = receiver.requests
    assert first[2] == second[2]  # the same body, signed afresh at each attempt
    assert first[1]["Faregate-Event-Id"] == second[1]["Faregate-Event-Id"]
    assert second[1]["Faregate-Timestamp"] == str(int(LATER.timestamp()))
    assert verify_signature(secret, second[1]["Faregate-Signature"], second[2], LATER)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    database: Database, receiver: Receiver
) -> None:
    subscribe(database, receiver.url)
    log_event(database, "case.updated", {"case": 7}, NOW)
    fan_out(database, NOW)
    receiver.statuses = [302]
    assert webhooks.deliver_due(database, NOW).retried == 1
    assert deliveries(database)[0].last_status_code == 302
    assert len(receiver.requests) == 1


def test_a_receiver_that_is_down_ends_as_failed_after_the_attempts(database: Database) -> None:
    subscribe(database, f"http://127.0.0.1:{free_port()}/hooks")
    log_event(database, "trip.cancelled", {"trip_instance": "T1"}, NOW)
    fan_out(database, NOW)
    moment = NOW
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        assert webhooks.deliver_due(database, moment, timeout_s=2).retried == 1
        moment += timedelta(hours=2)
    assert webhooks.deliver_due(database, moment, timeout_s=2).failed == 1
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert delivery.last_status_code is None
    assert delivery.last_error is not None
    assert "ConnectionRefused" in delivery.last_error
    assert webhooks.deliver_due(database, moment + timedelta(days=1)) == webhooks.DeliveryReport()


def test_events_go_to_subscribed_active_endpoints_created_before_them(
    database: Database, receiver: Receiver
) -> None:
    trips, _ = subscribe(database, receiver.url, "trip.cancelled")
    every, _ = subscribe(database, receiver.url)
    log_event(database, "booking.cancelled", {"reference": "R1"}, NOW)
    log_event(database, "trip.cancelled", {"trip_instance": "T1"}, NOW)
    late, _ = subscribe(database, receiver.url, at=NOW + timedelta(seconds=1))
    assert fan_out(database, NOW + timedelta(seconds=2)) == 3
    assert fan_out(database, NOW + timedelta(seconds=3)) == 0  # seen again, nothing new
    pairs = {(d.endpoint_id, d.event_id) for d in deliveries(database)}
    with database.sessions() as session:
        ids = dict(session.execute(select(WebhookEvent.event_type, WebhookEvent.id)).all())
    assert pairs == {
        (trips, ids["trip.cancelled"]),
        (every, ids["trip.cancelled"]),
        (every, ids["booking.cancelled"]),
    }
    assert late not in {endpoint for endpoint, _ in pairs}


def test_an_event_committed_late_with_an_older_time_is_still_fanned_out(
    database: Database, receiver: Receiver
) -> None:
    subscribe(database, receiver.url)
    log_event(database, "case.updated", {"case": 2}, NOW + timedelta(seconds=10))
    assert fan_out(database, NOW + timedelta(seconds=11)) == 1
    # Logged by a transaction that began earlier and committed after that fan-out.
    log_event(database, "case.updated", {"case": 1}, NOW + timedelta(seconds=5))
    assert fan_out(database, NOW + timedelta(seconds=20)) == 1
    assert len(deliveries(database)) == 2


def test_a_deactivated_endpoint_gets_nothing_more(database: Database, receiver: Receiver) -> None:
    endpoint_id, _ = subscribe(database, receiver.url)
    log_event(database, "case.updated", {"case": 1}, NOW)
    fan_out(database, NOW)
    with database.sessions() as session:
        deactivate_endpoint(session, endpoint_id, NOW)
    log_event(database, "case.updated", {"case": 2}, NOW)
    assert fan_out(database, NOW) == 0
    assert webhooks.deliver_due(database, NOW) == webhooks.DeliveryReport()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.last_error) == ("failed", "endpoint deactivated")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "types", "code"),
    [
        ("ftp://example.org/x", ["case.updated"], "invalid_webhook_url"),
        ("https://", ["case.updated"], "invalid_webhook_url"),
        ("https://example.org/a b", ["case.updated"], "invalid_webhook_url"),
        ("https://example.org/", [], "no_event_types"),
        ("https://example.org/", ["booking.made"], "unknown_event_type"),
    ],
)
def test_bad_endpoints_are_refused(
    database: Database, url: str, types: list[str], code: str
) -> None:
    with database.sessions() as session, pytest.raises(ServiceError) as refused:
        create_endpoint(
            session, url=url, event_types=types, description="", created_by=None, now=NOW
        )
    assert refused.value.code == code


def test_secrets_are_random_and_prefixed(database: Database) -> None:
    first = subscribe(database, "https://example.org/a")[1]
    second = subscribe(database, "https://example.org/b")[1]
    assert first != second
    assert first.startswith("whsec_")
    assert len(first) > 40


@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", "v1=00", "t=1795000000", "t=1795000000,v1="],
)
def test_malformed_signature_headers_do_not_verify(header: str) -> None:
    assert not verify_signature("whsec_x", header, b"{}", NOW)


def test_a_signature_among_several_verifies() -> None:
    moment = int(NOW.timestamp())
    good = signature_header("whsec_x", moment, b"{}")
    assert verify_signature("whsec_x", f"{good},v1=00ff", b"{}", NOW)
    assert verify_signature("whsec_x", f"t={moment},v1=00ff,{good[2 + 11 :]}", b"{}", NOW)


def test_bookings_made_and_cancelled_are_logged_once_without_personal_data(
    app: Flask, database: Database, receiver: Receiver
) -> None:
    # The app fixture's database, with a published timetable and real bookings.
    db: Database = app.extensions["faregate.database"]
    feeds.import_feed(
        db, SAMPLE_FEED, filename="s", now=utc_now(), today=date(2008, 6, 1), publish=True
    )
    client = app.test_client()
    _, kept = book_through_api(client, TRIP, "STAGECOACH", "NADAV", "Ada Lovelace")
    _, dropped = book_through_api(client, TRIP, "STAGECOACH", "NADAV", "Bo Peep", "Cy Young")
    cancelled = client.post(
        f"/api/v1/bookings/{dropped['reference']}/cancel", json={"email": "ada@example.org"}
    )
    assert cancelled.status_code == 200, cancelled.json
    now = utc_now()
    _, secret = subscribe(db, receiver.url, "booking.created", "booking.cancelled", at=now)
    for _ in range(3):
        with db.writer_sessions() as session:
            record_booking_events(session, now, timedelta(minutes=10))
            session.commit()
    with db.sessions() as session:
        events = session.execute(
            select(WebhookEvent.event_type, WebhookEvent.data).order_by(WebhookEvent.id)
        ).all()
    assert sorted((kind, data["reference"]) for kind, data in events) == sorted(
        [
            ("booking.created", kept["reference"]),
            ("booking.created", dropped["reference"]),
            ("booking.cancelled", dropped["reference"]),
        ]
    )
    by_key = {(kind, data["reference"]): data for kind, data in events}
    gone = by_key[("booking.cancelled", dropped["reference"])]
    assert gone["status"] == "cancelled"
    assert gone["passengers"] == 2
    assert gone["trip_instance"] == TRIP
    assert gone["cancelled_at"] is not None
    written = json.dumps([data for _, data in events])
    for personal in ("ada@example.org", "Ada", "Bo Peep", "Cy Young"):
        assert personal not in written
    # A scan that looks back less than the bookings' age logs nothing either.
    with db.writer_sessions() as session:
        assert record_booking_events(session, now + timedelta(hours=1), timedelta(0)) == 0
        session.rollback()
    # The job logs, fans out and delivers; running it again sends nothing twice.
    messaging = Messaging(db, SmtpSettings(host=""))
    assert deliver_webhooks(messaging).delivered == 3
    assert deliver_webhooks(messaging) == webhooks.DeliveryReport()
    assert messaging.caught_up
    assert len(receiver.requests) == 3
    for _, headers, body in receiver.requests:
        assert verify_signature(secret, headers["Faregate-Signature"], body, utc_now())


def test_the_webhook_job_survives_a_database_it_cannot_reach(tmp_path: Any) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    try:
        assert deliver_webhooks(Messaging(broken, SmtpSettings(host=""))) == (
            webhooks.DeliveryReport()
        )
    finally:
        broken.dispose()


@pytest.mark.postgres
def test_runners_on_postgresql_skip_deliveries_another_runner_holds(
    postgres_url: str, receiver: Receiver
) -> None:
    database = Database(postgres_url)
    try:
        subscribe(database, receiver.url)
        for n in range(3):
            log_event(database, "case.updated", {"case": n}, NOW)
        fan_out(database, NOW)
        held = deliveries(database)[0].id
        with database.engine.connect() as other_runner:
            other_runner.execute(
                text("SELECT id FROM webhook_delivery WHERE id = :id FOR UPDATE"), {"id": held}
            )
            assert webhooks.deliver_due(database, NOW).delivered == 2
            other_runner.rollback()
        assert webhooks.deliver_due(database, NOW).delivered == 1
        cases = sorted(json.loads(body)["data"]["case"] for _, _, body in receiver.requests)
        assert cases == [0, 1, 2]
    finally:
        with database.engine.begin() as connection:
            connection.execute(
                text("TRUNCATE webhook_delivery, webhook_endpoint, webhook_event CASCADE")
            )
        database.dispose()
