"""Bookings priced by the fare engine, their tickets and credentials, on both databases."""

from __future__ import annotations

import shutil
import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.clock import utc_now
from backend.db import Database
from backend.models import DenyEntry
from backend.services import feeds
from backend.services.pass_products import pass_end
from backend.services.signing_keys import load_keyring, rotate_keyring
from backend.settings import Settings
from fares.credentials import Credential, verify
from fares.media import parse_qr_text
from fares.reasons import DenyReason
from tests.harness.feeds import ZAKROCZYM_FEED
from tests.harness.reservations import book_through_api, reservable_settings

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
# Route AB, fare p (1.25 USD); departs BEATTY_AIRPORT at 8:00 America/Los_Angeles.
AB1 = "AB1@2008-06-02"
CITY1 = "CITY1@2008-06-02T06:00:00"  # route CITY: no fare rule prices it


@pytest.fixture
def keys(tmp_path: Path, signing_keys_file: str) -> Path:
    """A keyring of this test's own, which it may rotate."""
    path = tmp_path / "signing-keys.json"
    shutil.copy(signing_keys_file, path)
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, keys: Path) -> Settings:
    return reservable_settings(database_url, tmp_path, str(keys))


def _credential(client: FlaskClient, ticket_id: str, keys: Path, at: datetime) -> Credential:
    body = client.get(f"/api/v1/tickets/{ticket_id}").json
    blob = parse_qr_text(body["qr_text"])
    assert isinstance(blob, bytes), blob
    credential = verify(blob, load_keyring(keys).key_set(at), at)
    assert isinstance(credential, Credential), credential
    return credential


@pytest.mark.usefixtures("published")
def test_a_booking_is_priced_and_gets_one_signed_ticket_per_traveler(
    client: FlaskClient, keys: Path
) -> None:
    held, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada", "Grace")
    assert held["fare"]["per_traveler"] == {"amount": 125, "currency": "USD", "text": "1.25 USD"}
    assert booking["total"] == {"amount": 250, "currency": "USD", "text": "2.50 USD"}
    passengers = booking["passengers"]
    assert [p["fare_product_id"] for p in passengers] == ["p", "p"]
    assert len({p["ticket_id"] for p in passengers}) == 2
    ticket = client.get(f"/api/v1/tickets/{passengers[0]['ticket_id']}").json
    assert ticket["status"] == "expired"  # the API books at today's date, long after 2008
    assert ticket["qr_text"].startswith("FG1:")
    assert len(ticket["qr_text"]) <= 200
    # 8:00 in Los Angeles is 15:00 UTC: valid from an hour before departure.
    assert ticket["valid_from"] == "2008-06-02T14:00:00+00:00"
    at = datetime(2008, 6, 2, 15, 0, tzinfo=UTC)
    credential = _credential(client, passengers[0]["ticket_id"], keys, at)
    assert credential.product_id == "p"
    assert credential.reservation is not None
    assert credential.reservation.trip_instance == AB1
    assert credential.reservation.seat == passengers[0]["seat"]
    assert (credential.reservation.board_stop_id, credential.reservation.alight_stop_id) == (
        "BEATTY_AIRPORT",
        "BULLFROG",
    )


@pytest.mark.usefixtures("published")
def test_a_ticket_gives_the_same_credential_every_time_and_a_qr_image(
    client: FlaskClient,
) -> None:
    _, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    ticket_id = booking["passengers"][0]["ticket_id"]
    first = client.get(f"/api/v1/tickets/{ticket_id}").json
    assert client.get(f"/api/v1/tickets/{ticket_id.upper()}").json == first
    svg = client.get(f"/api/v1/tickets/{ticket_id}/qr.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    png = client.get(f"/api/v1/tickets/{ticket_id}/qr.png")
    assert png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(f"/api/v1/tickets/{ticket_id}/qr.gif").json["error"]["code"] == (
        "unknown_image_format"
    )
    assert client.get("/api/v1/tickets/00").json["error"]["code"] == "ticket_not_found"


@pytest.mark.usefixtures("published")
def test_an_unpriced_journey_books_with_seat_reservation_tickets(client: FlaskClient) -> None:
    held, booking = book_through_api(client, CITY1, "STAGECOACH", "NADAV", "Ada")
    assert held["fare"] is None
    assert booking["total"] is None
    ticket = client.get(f"/api/v1/tickets/{booking['passengers'][0]['ticket_id']}").json
    assert ticket["product_id"] == "reservation"
    assert ticket["trip_instance"] == CITY1


@pytest.mark.usefixtures("published")
def test_cancelling_revokes_the_tickets_onto_the_deny_list(
    client: FlaskClient, database: Database
) -> None:
    _, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    ticket_id = booking["passengers"][0]["ticket_id"]
    cancelled = client.post(
        f"/api/v1/bookings/{booking['reference']}/cancel",
        json={"email": "ada@example.org"},
    )
    assert cancelled.status_code == 200, cancelled.json
    assert client.get(f"/api/v1/tickets/{ticket_id}").json["status"] == "revoked"
    with database.sessions() as session:
        entries = session.scalars(select(DenyEntry)).all()
    assert [(entry.kind, entry.value, entry.reason) for entry in entries] == [
        ("ticket", ticket_id, "cancelled")
    ]


@pytest.mark.usefixtures("published")
def test_rotating_the_key_keeps_issued_tickets_valid(client: FlaskClient, keys: Path) -> None:
    _, before = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    old_ticket = before["passengers"][0]["ticket_id"]
    old_text = client.get(f"/api/v1/tickets/{old_ticket}").json["qr_text"]
    rotate_keyring(keys, utc_now())  # the running app reads the changed file itself
    time_module.sleep(1.1)  # the new key signs from the next whole second
    _, after = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Grace")
    at = datetime(2008, 6, 2, 15, 0, tzinfo=UTC)
    assert _credential(client, old_ticket, keys, at).kid == 1
    assert client.get(f"/api/v1/tickets/{old_ticket}").json["qr_text"] == old_text
    assert _credential(client, after["passengers"][0]["ticket_id"], keys, at).kid == 2
    # Without the old key in the set, the old ticket is no longer trusted.
    blob = parse_qr_text(old_text)
    assert isinstance(blob, bytes)
    newest = load_keyring(keys).key_set(at).without(1)
    assert verify(blob, newest, at) is DenyReason.UNKNOWN_KEY


def _today(zone: str) -> date:
    return utc_now().astimezone(ZoneInfo(zone)).date()


@pytest.mark.usefixtures("published")
def test_a_day_pass_is_one_verifiable_ticket_and_replays_by_key(
    client: FlaskClient, keys: Path
) -> None:
    today = _today("America/Los_Angeles")
    body = {"product_id": "day_pass", "start_date": today.isoformat(), "contact_email": "a@b.org"}
    bought = client.post("/api/v1/passes", json=body, headers={"Idempotency-Key": "pass-1"})
    assert bought.status_code == 201, bought.json
    assert bought.json["price"] == {"amount": 500, "currency": "USD", "text": "5.00 USD"}
    assert (bought.json["kind"], bought.json["period"], bought.json["name"]) == (
        "period",
        "day",
        "Day pass",
    )
    start = datetime.fromisoformat(bought.json["valid_from"])
    assert start.astimezone(ZoneInfo("America/Los_Angeles")).time() == time(0, 0)
    assert datetime.fromisoformat(bought.json["valid_until"]) - start in {
        timedelta(hours=23),
        timedelta(hours=24),
        timedelta(hours=25),
    }
    credential = _credential(client, bought.json["id"], keys, utc_now())
    assert (credential.product_id, credential.reservation) == ("day_pass", None)
    again = client.post("/api/v1/passes", json=body, headers={"Idempotency-Key": "pass-1"})
    assert again.json["id"] == bought.json["id"]


@pytest.mark.usefixtures("published")
def test_a_week_pass_runs_seven_days_from_midnight(client: FlaskClient, keys: Path) -> None:
    today = _today("America/Los_Angeles")
    body = {"product_id": "week_pass", "start_date": str(today), "contact_email": "a@b.org"}
    bought = client.post("/api/v1/passes", json=body)
    assert bought.status_code == 201, bought.json
    assert (bought.json["period"], bought.json["price"]["text"]) == ("week", "20.00 USD")
    zone = ZoneInfo("America/Los_Angeles")
    start = datetime.fromisoformat(bought.json["valid_from"]).astimezone(zone)
    end = datetime.fromisoformat(bought.json["valid_until"]).astimezone(zone)
    assert (start.date(), start.time()) == (today, time(0, 0))
    assert (end.date(), end.time()) == (today + timedelta(days=7), time(0, 0))
    credential = _credential(client, bought.json["id"], keys, utc_now())
    assert credential.product_id == "week_pass"
    assert (credential.valid_from, credential.valid_until) == (
        int(start.timestamp()),
        int(end.timestamp()),
    )


@pytest.mark.usefixtures("published")
def test_passes_refuse_unknown_products_and_past_start_days(client: FlaskClient) -> None:
    yesterday = _today("America/Los_Angeles") - timedelta(days=1)
    past = client.post(
        "/api/v1/passes",
        json={"product_id": "day_pass", "start_date": str(yesterday), "contact_email": "a@b.org"},
    )
    assert (past.status_code, past.json["error"]["code"]) == (400, "invalid_start_date")
    unknown = client.post(
        "/api/v1/passes",
        json={"product_id": "nope", "start_date": str(yesterday), "contact_email": "a@b.org"},
    )
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "unknown_pass")


def test_monthly_passes_of_zakroczym_are_priced_per_rider_category(
    client: FlaskClient, database: Database
) -> None:
    feeds.import_feed(
        database, ZAKROCZYM_FEED, filename="zakroczym", now=T0, today=date(2025, 11, 11),
        publish=True,
    )  # fmt: skip
    today = _today("Europe/Warsaw")

    def buy(product: str, **extra: str) -> Any:
        body = {"product_id": product, "start_date": str(today), "contact_email": "a@b.org"}
        return client.post("/api/v1/passes", json={**body, **extra})

    assert buy("monthly_normal").json["price"]["text"] == "140.00 PLN"
    assert buy("monthly_discount", rider_category="2").json["price"]["amount"] == 7000
    assert buy("monthly_discount", rider_category="3").json["price"]["amount"] == 8820
    refused = buy("monthly_discount")  # the default category 0 has no discount
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "no_fare")
    month = buy("monthly_normal").json
    start = datetime.fromisoformat(month["valid_from"]).astimezone(ZoneInfo("Europe/Warsaw"))
    end = datetime.fromisoformat(month["valid_until"]).astimezone(ZoneInfo("Europe/Warsaw"))
    assert (start.time(), end.time()) == (time(0, 0), time(0, 0))
    assert end.date() == pass_end(start.date(), "month")
