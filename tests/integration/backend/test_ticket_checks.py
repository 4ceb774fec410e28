"""The server's online check of presented tickets: the validators' decision on current rules."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.db import Database
from backend.services import feeds
from backend.services.reservation_store import Inventory
from backend.services.ticket_checks import CheckPlace, check_ticket
from backend.settings import Settings
from fares.media import ndef_message, parse_qr_text
from fares.rules import DeviceRole
from fares.tap import MediaKind, PresentedMedia
from tests.harness.feeds import SAMPLE_FEED, ZAKROCZYM_FEED
from tests.harness.reservations import book_through_api, reservable_settings

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
AB1 = "AB1@2008-06-02"  # departs BEATTY_AIRPORT at 15:00 UTC, reaches BULLFROG at 15:10
ON_BOARD = datetime(2008, 6, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def inventory(app: Flask) -> Inventory:
    found: Inventory = app.extensions["faregate.inventory"]
    return found


def _publish(database: Database, feed: Path, today: date) -> None:
    feeds.import_feed(database, feed, filename=feed.name, now=T0, today=today, publish=True)


def _qr(client: FlaskClient, booking: Any) -> str:
    ticket_id = booking["passengers"][0]["ticket_id"]
    text: str = client.get(f"/api/v1/tickets/{ticket_id}").json["qr_text"]
    return text


def _check(
    database: Database, inventory: Inventory, media: PresentedMedia, at: datetime, **place: Any
) -> dict[str, Any]:
    where = CheckPlace(role=place.pop("role", DeviceRole.BUS), **place)
    with database.sessions() as session:
        return check_ticket(session, inventory, media, where, at)


def test_a_reserved_ticket_is_judged_on_its_trip_stop_and_route(
    client: FlaskClient, database: Database, inventory: Inventory
) -> None:
    _publish(database, SAMPLE_FEED, date(2008, 6, 1))
    _, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    qr = PresentedMedia(MediaKind.QR_TEXT, _qr(client, booking))

    def reason(**place: Any) -> str | None:
        return _check(database, inventory, qr, ON_BOARD, **place)["reason"]

    on_board = _check(
        database, inventory, qr, ON_BOARD, trip_instance=AB1, stop_id="BEATTY_AIRPORT"
    )
    assert (on_board["allowed"], on_board["product_id"]) == (True, "p")
    assert on_board["ticket_id"] == booking["passengers"][0]["ticket_id"]
    assert reason(trip_instance=AB1, stop_id="BULLFROG") == "wrong_stop"
    assert reason(trip_instance="AB2@2008-06-02", stop_id="BULLFROG") == "wrong_trip"
    assert reason(route_id="STBA") is None  # fare p is sold on routes AB, STBA and BFC
    assert reason(route_id="AAMV") == "wrong_route"
    assert reason(trip_instance=AB1, stop_id="BEATTY_AIRPORT") is None
    late = _check(database, inventory, qr, datetime(2008, 6, 3, tzinfo=UTC), trip_instance=AB1)
    assert late["reason"] == "expired"
    ndef = PresentedMedia(MediaKind.NDEF, ndef_message(_blob(qr)))
    assert _check(database, inventory, ndef, ON_BOARD, trip_instance=AB1)["allowed"] is True


def _blob(media: PresentedMedia) -> bytes:
    blob = parse_qr_text(media.payload)
    assert isinstance(blob, bytes)
    return blob


def test_a_cancelled_or_altered_ticket_is_denied(
    client: FlaskClient, database: Database, inventory: Inventory
) -> None:
    _publish(database, SAMPLE_FEED, date(2008, 6, 1))
    _, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    text = _qr(client, booking)
    altered = text[:-5] + ("A" if text[-5] != "A" else "B") + text[-4:]
    tampered = _check(database, inventory, PresentedMedia(MediaKind.QR_TEXT, altered), ON_BOARD)
    assert (tampered["allowed"], tampered["reason"]) == (False, "bad_signature")
    client.post(
        f"/api/v1/bookings/{booking['reference']}/cancel", json={"email": "ada@example.org"}
    )
    revoked = _check(database, inventory, PresentedMedia(MediaKind.QR_TEXT, text), ON_BOARD)
    assert (revoked["allowed"], revoked["reason"]) == (False, "revoked")


def test_a_zakroczym_ticket_is_limited_to_the_areas_its_product_serves(
    client: FlaskClient, database: Database, inventory: Inventory
) -> None:
    _publish(database, ZAKROCZYM_FEED, date(2025, 11, 11))
    trip = "10-1@2025-11-12"  # Urząd Miejski (113, area 1) 04:31 to Chrzanowskiego (117-2) 04:39
    _, booking = book_through_api(client, trip, "113", "117-2", "Ada")
    assert booking["passengers"][0]["fare_product_id"] == "single_ride_zones12_normal"
    qr = PresentedMedia(MediaKind.QR_TEXT, _qr(client, booking))
    at = datetime(2025, 11, 12, 3, 31, tzinfo=UTC)  # 04:31 in Warsaw
    aboard = _check(database, inventory, qr, at, trip_instance=trip, stop_id="113")
    assert aboard["allowed"] is True, aboard
    gate = {"role": DeviceRole.GATE_ENTRY}
    assert _check(database, inventory, qr, at, stop_id="113", **gate)["allowed"] is True
    far = _check(database, inventory, qr, at, stop_id="121", **gate)  # area 3
    assert far["reason"] == "wrong_area"


def test_the_check_endpoint_needs_staff_and_judges_any_medium(
    client: FlaskClient, database: Database, staff_token: Callable[..., str]
) -> None:
    _publish(database, SAMPLE_FEED, date(2008, 6, 1))
    _, booking = book_through_api(client, AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    body = {"qr_text": _qr(client, booking), "role": "bus", "trip_instance": AB1}
    assert client.post("/api/v1/tickets/check", json=body).status_code == 401
    headers = {"Authorization": f"Bearer {staff_token('support')}"}
    checked = client.post("/api/v1/tickets/check", json=body, headers=headers)
    assert checked.status_code == 200, checked.json
    # The API checks at today's date: the 2008 ticket has long expired.
    assert (checked.json["allowed"], checked.json["reason"]) == (False, "expired")
    card = {"card": {"technology": "iso14443a", "uid": "04a1b2c3d4e5f6"}}
    assert client.post("/api/v1/tickets/check", json=card, headers=headers).json["allowed"]
    garbage = {"ndef": base64.b64encode(b"\x00garbage").decode()}
    refused = client.post("/api/v1/tickets/check", json=garbage, headers=headers).json
    assert (refused["allowed"], refused["reason"]) == (False, "malformed")
    both = client.post("/api/v1/tickets/check", json={**body, **card}, headers=headers)
    assert both.status_code == 422
