"""Checkout, payments, tickets and managing a booking on the traveler pages, and staff
recording a counter payment, through Flask's test client on both databases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.errors import ServiceError
from backend.models import Booking, DenyEntry, Payment, Ticket
from backend.services import checkout, claim_reads, hold_lifecycle
from backend.services.checkout import Checkout
from backend.services.payments import Authorization, SandboxPayment
from backend.services.reservation_store import Inventory
from tests.integration.traveler.world import (
    AIRPORT,
    BULLFROG,
    OFFERED,
    airport_run,
    book,
    form_token,
    hold,
    post_form,
    text_of,
)

DETAILS = {"name-0": "Ada Lovelace", "name-1": "Charles Babbage", "email": "ada@example.org"}


@dataclass(frozen=True)
class Stored:
    """What the database holds after a checkout."""

    bookings: int
    payments: list[tuple[str, str, int, str | None]]  # provider, status, amount, currency
    tickets: int
    live_tickets: int


def stored(database: Database) -> Stored:
    with database.sessions() as session:
        payments = session.execute(
            select(Payment.provider, Payment.status, Payment.amount, Payment.currency)
        ).all()
        return Stored(
            bookings=session.scalar(select(func.count()).select_from(Booking)) or 0,
            payments=[tuple(row) for row in payments],  # type: ignore[misc]
            tickets=session.scalar(select(func.count()).select_from(Ticket)) or 0,
            live_tickets=session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.revoked_at.is_(None))
            )
            or 0,
        )


def check_out(client: FlaskClient, hold_id: str, **fields: str) -> str:
    """Send the checkout form; the booking page it leads to."""
    answer = post_form(client, f"/holds/{hold_id}", fields)
    assert answer.status_code == 303, text_of(answer)
    location: str = answer.headers["Location"]
    assert location.startswith("/bookings/")
    return location


def free(inventory: Inventory, day: date, seat: str) -> bool:
    with inventory.database.sessions() as session:
        seats = claim_reads.availability(
            session, inventory, airport_run(day), from_stop=AIRPORT, to_stop=BULLFROG,
            now=datetime.now(UTC),
        )["seats"]  # fmt: skip
    return next(s["free"] for s in seats if s["label"] == seat)


def test_missing_details_are_asked_for_and_change_nothing(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "2A", "2B")
    answer = post_form(client, f"/holds/{hold_id}", {"name-0": "Ada", "email": "not-an-email"})
    assert answer.status_code == 200
    text = text_of(answer)
    assert "Enter the name of traveler 2." in text
    assert "Enter an email address like name@example.com." in text
    assert "Choose how you want to pay." in text
    assert 'value="Ada"' in text  # what was typed stays
    assert stored(database) == Stored(0, [], 0, 0)
    assert not free(inventory, travel_day, "2A")  # still held


def test_the_test_provider_pays_at_once_and_the_tickets_show_their_qr_codes(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "2A", "2B")
    booking_page = check_out(client, hold_id, provider="test", **DETAILS)
    page = client.get(booking_page)
    assert page.status_code == 200
    text = text_of(page)
    assert "Confirmed" in text
    assert "Paid <strong>2.50 USD</strong> · Test payment" in text
    assert text.count('class="qr"') == 2
    with database.sessions() as session:
        ticket_ids = session.scalars(select(Ticket.id).order_by(Ticket.passenger_position)).all()
    for ticket_id in ticket_ids:
        assert f'src="/api/v1/tickets/{ticket_id}/qr.svg"' in text
        image = client.get(f"/api/v1/tickets/{ticket_id}/qr.svg")
        assert image.status_code == 200
        assert image.mimetype == "image/svg+xml"
    assert stored(database) == Stored(1, [("test", "paid", 250, "USD")], 2, 2)


def test_paying_at_the_counter_keeps_the_seats_and_issues_tickets_once_staff_record_it(
    client: FlaskClient,
    database: Database,
    inventory: Inventory,
    travel_day: date,
    staff_token: Callable[..., str],
) -> None:
    hold_id = hold(inventory, travel_day, "2A", "2B")
    booking_page = check_out(client, hold_id, provider="counter", **DETAILS)
    text = text_of(client.get(booking_page))
    assert "Awaiting payment" in text
    assert "Pay <strong>2.50 USD</strong> at a ticket office" in text
    assert 'class="qr"' not in text
    assert stored(database) == Stored(1, [("counter", "pending", 250, "USD")], 0, 0)
    assert not free(inventory, travel_day, "2A")

    reference = booking_page.rsplit("/", 1)[1]
    token = staff_token("support")
    paid = client.post(
        f"/api/v1/bookings/{reference.lower()}/payment",
        json={"receipt": "TILL-7-0042"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert paid.status_code == 200, paid.json
    assert paid.json is not None
    assert (paid.json["status"], paid.json["receipt"]) == ("paid", "TILL-7-0042")
    assert paid.json["received_by"].startswith("support")
    assert paid.json["amount"]["text"] == "2.50 USD"
    again = client.post(
        f"/api/v1/bookings/{reference}/payment",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert again.status_code == 200
    assert stored(database) == Stored(1, [("counter", "paid", 250, "USD")], 2, 2)
    assert text_of(client.get(booking_page)).count('class="qr"') == 2


def test_staff_are_refused_what_is_not_a_counter_payment_owed(
    client: FlaskClient,
    inventory: Inventory,
    travel_day: date,
    staff_token: Callable[..., str],
) -> None:
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    planner = {"Authorization": f"Bearer {staff_token('planner')}"}
    counter = book(inventory, travel_day, {"1C": "Grace Hopper"}, "counter")
    assert client.post(f"/api/v1/bookings/{counter}/payment", json={}).status_code == 401
    refused = client.post(f"/api/v1/bookings/{counter}/payment", json={}, headers=planner)
    assert refused.status_code == 403
    shown = client.get(f"/api/v1/bookings/{counter}/payment", headers=planner)
    assert shown.status_code == 200
    assert shown.json is not None
    assert shown.json["status"] == "pending"
    checkout.cancel(inventory, counter, "ada@example.org", datetime.now(UTC))
    cancelled = client.post(f"/api/v1/bookings/{counter}/payment", json={}, headers=support)
    assert cancelled.status_code == 409
    assert cancelled.json is not None
    assert cancelled.json["error"]["code"] == "booking_cancelled"
    unknown = client.post("/api/v1/bookings/ZZZZ2222/payment", json={}, headers=support)
    assert unknown.status_code == 404
    assert unknown.json is not None
    assert unknown.json["error"]["code"] == "booking_not_found"


def test_sending_the_checkout_twice_books_and_pays_once(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "2A", "2B")
    form = {"csrf_token": form_token(client, f"/holds/{hold_id}"), "provider": "test", **DETAILS}
    first = client.post(f"/holds/{hold_id}", data=form)  # a double click: the same form twice
    second = client.post(f"/holds/{hold_id}", data=form)
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert stored(database) == Stored(1, [("test", "paid", 250, "USD")], 2, 2)


def test_a_hold_that_ran_out_is_not_booked_or_paid(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    long_ago = datetime.now(UTC) - inventory.hold_duration - timedelta(minutes=1)
    hold_id = hold(inventory, travel_day, "2A", now=long_ago)
    fields = {"name-0": "Ada", "email": "a@example.org", "provider": "test"}
    answer = post_form(client, f"/holds/{hold_id}", fields, page="/bookings")  # sent too late
    assert answer.status_code == 200
    assert "Your seats are no longer held." in text_of(answer)
    order = Checkout(hold_id, ["Ada"], "a@example.org", "test")
    with pytest.raises(ServiceError) as refused:
        checkout.check_out(inventory, OFFERED, order, datetime.now(UTC))
    assert (refused.value.code, refused.value.status) == ("hold_expired", 410)
    assert stored(database) == Stored(0, [], 0, 0)


class ReleasingPayment(SandboxPayment):
    """A provider that approves while the hold is let go meanwhile (another tab)."""

    def __init__(self, inventory: Inventory, hold_id: str) -> None:
        self.inventory, self.hold_id = inventory, hold_id

    def authorize(self, amount: int, currency: str | None) -> Authorization:
        hold_lifecycle.release_hold(self.inventory, self.hold_id, datetime.now(UTC))
        return super().authorize(amount, currency)


def test_a_booking_that_fails_after_the_payment_was_authorized_voids_it(
    database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "2A")
    offered = {"test": ReleasingPayment(inventory, hold_id)}
    order = Checkout(hold_id, ["Ada"], "a@example.org", "test")
    with pytest.raises(ServiceError) as refused:
        checkout.check_out(inventory, offered, order, datetime.now(UTC))
    assert refused.value.code == "hold_not_active"
    assert stored(database) == Stored(0, [("test", "void", 125, "USD")], 0, 0)


def test_a_journey_the_fares_do_not_price_is_booked_free_of_charge(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    page = client.get(f"/trips/CITY1@{travel_day}T08:00:00/seats?from=STAGECOACH&to=NADAV")
    assert page.status_code == 200
    answer = post_form(
        client,
        f"/trips/CITY1@{travel_day}T08:00:00/seats?from=STAGECOACH&to=NADAV",
        {"mode": "pick", "seat": "2A"},
    )
    hold_page = text_of(client.get(answer.headers["Location"]))
    assert "Free" in hold_page
    assert 'name="provider"' not in hold_page
    hold_id = answer.headers["Location"].rsplit("/", 1)[1]
    check_out(client, hold_id, **{"name-0": "Ada", "email": "a@example.org"})
    assert stored(database) == Stored(1, [("no_charge", "paid", 0, None)], 1, 1)


def test_another_browser_needs_the_email_to_open_a_booking(
    app: Flask, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "test")
    stranger = app.test_client()
    asked = stranger.get(f"/bookings/{reference}")
    assert asked.status_code == 302
    assert asked.headers["Location"] == f"/bookings?reference={reference}"
    wrong = post_form(stranger, "/bookings", {"reference": reference, "email": "eve@example.org"})
    assert wrong.status_code == 200
    assert "No booking matches that reference and email address." in text_of(wrong)
    malformed = post_form(stranger, "/bookings", {"reference": "A!", "email": "eve"})
    assert malformed.status_code == 200
    assert "A booking reference has 8 letters and digits" in text_of(malformed)
    found = post_form(
        stranger, "/bookings", {"reference": reference.lower(), "email": "ADA@example.org"}
    )
    assert found.status_code == 303
    assert found.headers["Location"] == f"/bookings/{reference}"
    assert 'class="qr"' in text_of(stranger.get(found.headers["Location"]))


def test_cancelling_a_paid_booking_refunds_it_revokes_its_tickets_and_frees_its_seats(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper", "1D": "Alan Turing"}, "test")
    post_form(client, "/bookings", {"reference": reference, "email": "ada@example.org"})
    asked = client.get(f"/bookings/{reference}/cancel")
    assert asked.status_code == 200
    assert "Your payment of 2.50 USD is refunded." in text_of(asked)
    assert stored(database).live_tickets == 2  # asking changed nothing

    done = post_form(client, f"/bookings/{reference}/cancel", {})
    assert done.status_code == 303
    text = text_of(client.get(done.headers["Location"]))
    assert f"Booking {reference} is cancelled." in text
    assert 'class="qr"' not in text
    assert "Refunded <strong>2.50 USD</strong>" in text
    assert stored(database) == Stored(1, [("test", "refunded", 250, "USD")], 2, 0)
    assert free(inventory, travel_day, "1C")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DenyEntry)) == 2


def test_cancelling_an_unpaid_counter_booking_voids_its_payment(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "counter")
    post_form(client, "/bookings", {"reference": reference, "email": "ada@example.org"})
    assert "nothing to pay" in text_of(client.get(f"/bookings/{reference}/cancel"))
    post_form(client, f"/bookings/{reference}/cancel", {})
    assert "Not paid: nothing is owed." in text_of(client.get(f"/bookings/{reference}"))
    assert stored(database).payments == [("counter", "void", 125, "USD")]


def test_a_paid_counter_booking_cancelled_is_refunded_at_the_counter(
    database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "counter")
    now = datetime.now(UTC)
    checkout.mark_paid(inventory, reference, staff="desk@example.org", receipt=None, now=now)
    checkout.cancel(inventory, reference, "ada@example.org", now)
    assert stored(database) == Stored(1, [("counter", "refund_due", 125, "USD")], 1, 0)
