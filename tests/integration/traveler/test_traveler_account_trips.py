"""The bookings of a traveler account, through Flask's test client on both databases: booked
while signed in, listed under My trips (coming first) and opened without the email, hidden
from every other account, added afterwards with the proof the find page asks for, and gone
with the account when its personal data is erased."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.db import Database
from backend.models import Booking, TravelerAccount, TravelerSession
from backend.services import checkout
from backend.services.checkout import Checkout
from backend.services.personal_data import placeholder
from backend.services.reservation_store import Inventory
from tests.harness.todays_feed import AGENCY_ZONE
from tests.integration.support.traveler_data import traces
from tests.integration.traveler.world import (
    OFFERED,
    book,
    hold,
    post_form,
    sign_in,
    sign_up,
    text_of,
)

EMAIL = "grace@example.org"
GUEST_EMAIL = "ada@example.org"  # what ``book`` books with
REFERENCE = re.compile(r'class="account-trip-reference">(\w+)<')


def account_id(database: Database, email: str = EMAIL) -> int:
    with database.sessions() as session:
        found = session.scalar(select(TravelerAccount.id).where(TravelerAccount.email == email))
    assert found is not None
    return found


def owner(database: Database, reference: str) -> int | None:
    with database.sessions() as session:
        booking = session.scalar(select(Booking).where(Booking.reference == reference))
        assert booking is not None
        return booking.traveler_account_id


def book_in_account(
    inventory: Inventory, day: date, seat: str, account: int, *, provider: str = "test"
) -> str:
    """Book ``seat`` on the airport run of ``day`` for the account, as of the day before."""
    now = datetime.combine(day - timedelta(days=1), time(12), AGENCY_ZONE).astimezone(UTC)
    hold_id = hold(inventory, day, seat, now=now)
    order = Checkout(hold_id, ["Grace Hopper"], EMAIL, provider, account_id=account)
    return checkout.check_out(inventory, OFFERED, order, now)


def add(client: FlaskClient, reference: str, email: str) -> str:
    """Send My trips' add form; the page it ends on."""
    form = {"reference": reference, "email": email}
    answer = post_form(client, "/account/bookings", form, page="/account")
    if answer.status_code == 303:
        assert answer.headers["Location"] == "/account"
        return text_of(client.get("/account"))
    assert answer.status_code == 200
    return text_of(answer)


def test_a_booking_made_signed_in_is_in_my_trips_on_every_browser_of_the_account(
    app: Flask, client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    hold_id = hold(inventory, travel_day, "1A")
    checkout_page = text_of(client.get(f"/holds/{hold_id}"))
    assert f'value="{EMAIL}"' in checkout_page  # the contact email filled in
    assert f"Signed in as {EMAIL}: this booking will be in" in checkout_page
    form = {"name-0": "Grace Hopper", "email": EMAIL, "provider": "test"}
    booked = post_form(client, f"/holds/{hold_id}", form)
    assert booked.status_code == 303
    reference = booked.headers["Location"].rsplit("/", 1)[1]
    assert owner(database, reference) == account_id(database)

    phone = app.test_client()  # the same traveler elsewhere: nothing unlocked in it
    assert phone.get(f"/bookings/{reference}").status_code == 302
    assert sign_in(phone, EMAIL).status_code == 303
    my_trips = text_of(phone.get("/account"))
    assert reference in my_trips
    assert "Nye County Airport (Demo)" in my_trips
    assert "Bullfrog (Demo)" in my_trips
    assert f'href="/bookings/{reference}"' in my_trips
    assert "Confirmed" in my_trips
    ticket_page = phone.get(f"/bookings/{reference}")
    assert ticket_page.status_code == 200
    assert reference in text_of(ticket_page)


def test_a_guest_books_as_before_and_is_offered_to_sign_in(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "1B")
    checkout_page = text_of(client.get(f"/holds/{hold_id}"))
    assert f'href="/account/sign-in?next=/holds/{hold_id}"' in checkout_page
    assert 'id="f-email" name="email" type="email" value=""' in checkout_page
    form = {"name-0": "Ada Lovelace", "email": GUEST_EMAIL, "provider": "test"}
    booked = post_form(client, f"/holds/{hold_id}", form)
    assert booked.status_code == 303
    reference = booked.headers["Location"].rsplit("/", 1)[1]
    assert client.get(booked.headers["Location"]).status_code == 200
    assert owner(database, reference) is None


def test_another_account_sees_neither_the_trip_nor_its_page(
    app: Flask, database: Database, inventory: Inventory, travel_day: date
) -> None:
    assert sign_up(app.test_client(), EMAIL).status_code == 303
    reference = book_in_account(inventory, travel_day, "1C", account_id(database))
    stranger = app.test_client()
    assert sign_up(stranger, "mallory@example.org").status_code == 303
    assert reference not in text_of(stranger.get("/account"))
    for path in (f"/bookings/{reference}", f"/bookings/{reference}/cancel"):
        answer = stranger.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/bookings?reference={reference}"
    cancel = post_form(stranger, f"/bookings/{reference}/cancel", {}, page="/account")
    assert cancel.status_code == 302  # asked for the email; nothing cancelled
    with database.sessions() as session:
        assert session.scalar(select(Booking.status).where(Booking.reference == reference)) == (
            "confirmed"
        )


def test_my_trips_lists_coming_trips_soonest_first_then_past_ones(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    account = account_id(database)
    later = book_in_account(inventory, travel_day + timedelta(days=1), "1A", account)
    soon = book_in_account(inventory, travel_day, "1A", account, provider="counter")
    past = book_in_account(inventory, travel_day - timedelta(days=2), "1A", account)
    cancelled = book_in_account(inventory, travel_day, "1B", account)
    checkout.cancel(inventory, cancelled, EMAIL, datetime.now(UTC))
    page = text_of(client.get("/account"))
    coming, _, gone = page.partition("Past trips")
    assert coming.index(soon) < coming.index(later)
    assert coming.index(cancelled) < coming.index(later)
    assert past in gone
    assert past not in coming
    rows = trip_rows(page)
    assert set(rows) == {soon, cancelled, later, past}
    assert "Awaiting payment" in rows[soon]
    assert "Cancelled" in rows[cancelled]
    assert "Confirmed" in rows[later]
    assert "Confirmed" in rows[past]


def trip_rows(page: str) -> dict[str, str]:
    """The rows of My trips (their page text) by booking reference."""
    rows = [row.split("</li>")[0] for row in page.split('<li class="card account-trip')[1:]]
    return {REFERENCE.findall(row)[0]: row for row in rows}


def test_a_booking_is_added_with_its_reference_and_contact_email_only(
    app: Flask, client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"2A": "Ada Lovelace"}, "test")
    assert sign_up(client, EMAIL).status_code == 303
    wrong = add(client, reference, "someone@example.org")
    assert "No booking matches that reference and email address." in wrong
    assert 'id="f-reference-error"' in wrong
    assert owner(database, reference) is None
    assert client.get(f"/bookings/{reference}").status_code == 302

    added = add(client, reference.lower(), GUEST_EMAIL.upper())
    assert f"Booking {reference} is now in your trips." in added
    assert f'href="/bookings/{reference}"' in added
    assert owner(database, reference) == account_id(database)
    assert client.get(f"/bookings/{reference}").status_code == 200
    assert f"Booking {reference} is already in your trips." in add(client, reference, GUEST_EMAIL)

    other = app.test_client()
    assert sign_up(other, "mallory@example.org").status_code == 303
    refused = add(other, reference, GUEST_EMAIL)
    assert "This booking is already in another account's trips." in refused
    assert owner(database, reference) == account_id(database)


def test_adding_a_booking_needs_an_account_and_the_forms_token(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"2B": "Ada Lovelace"}, "test")
    form = {"reference": reference, "email": GUEST_EMAIL}
    unsigned = post_form(client, "/account/bookings", form, page="/bookings")
    assert unsigned.status_code == 303
    assert unsigned.headers["Location"] == "/account/sign-in?next=/account"
    assert sign_up(client, EMAIL).status_code == 303
    assert client.post("/account/bookings", data=form).status_code == 400  # no CSRF token
    assert owner(database, reference) is None


def test_erasure_deletes_the_account_and_keeps_its_bookings_anonymized(
    client: FlaskClient,
    database: Database,
    inventory: Inventory,
    travel_day: date,
    staff_token: Callable[..., str],
) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    own = book_in_account(inventory, travel_day, "2C", account_id(database))
    guest = book(inventory, travel_day, {"2D": "Ada Lovelace"}, "test")
    assert "is now in your trips" in add(client, guest, GUEST_EMAIL)
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    exported = client.get(
        "/api/v1/travelers/export", query_string={"email": EMAIL}, headers=support
    )
    assert exported.status_code == 200, exported.json
    assert exported.json is not None
    assert exported.json["account"]["email"] == EMAIL
    assert set(exported.json["account"]["bookings"]) == {own, guest}
    assert {b["reference"] for b in exported.json["bookings"]} == {own, guest}
    assert "password" not in exported.get_data(as_text=True)

    erased = client.post(
        "/api/v1/travelers/erase", json={"email": EMAIL, "confirm": True}, headers=support
    )
    assert erased.status_code == 200, erased.json
    assert erased.json is not None
    assert (erased.json["accounts"], erased.json["bookings"]) == (1, 2)
    assert traces(database.engine, EMAIL, "Grace Hopper", "Ada Lovelace") == []
    with database.sessions() as session:
        assert session.scalars(select(TravelerAccount)).all() == []
        assert session.scalars(select(TravelerSession)).all() == []
        rows = session.execute(
            select(Booking.contact_email, Booking.traveler_account_id, Booking.status)
        ).all()
    assert sorted(rows) == [(placeholder(EMAIL), None, "confirmed")] * 2
    assert client.get("/account").status_code == 302  # the browser is signed out
    assert "The email address or password is not right." in text_of(sign_in(client, EMAIL))
    again = client.post(
        "/api/v1/travelers/erase", json={"email": EMAIL, "confirm": True}, headers=support
    )
    assert again.json is not None
    assert (again.json["already_erased"], again.json["accounts"]) == (True, 0)
    newcomer = client.application.test_client()
    assert sign_up(newcomer, EMAIL).status_code == 303  # the address is free again
