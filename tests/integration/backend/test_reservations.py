"""Holds and bookings through the API and the services, on both databases."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.db import Database
from backend.errors import ServiceError
from backend.models import Booking, BookingPassenger, Hold, SeatClaim
from backend.services import (
    bookings,
    claim_reads,
    feeds,
    hold_lifecycle,
    reservation_store,
    reservations,
)
from backend.services.bookings import Passenger
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from backend.settings import Settings
from inventory.assignment import Assignment, SeatRequest, assign_seats
from inventory.errors import InventoryError
from inventory.legs import LegRange
from inventory.seatmaps import SeatMap
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.reservations import reservable_settings

# A run of CITY1 (every 30 min in 2008): STAGECOACH, NANAA, NADAV, DADAN, EMSI (legs 0-3).
CITY1 = "CITY1@2008-06-02T06:00:00"
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def inventory(app: Flask, published: int) -> Inventory:
    del published
    found: Inventory = app.extensions["faregate.inventory"]
    return found


def hold(client: FlaskClient, **body: Any) -> Any:
    body = {"trip_instance": CITY1, "from": "STAGECOACH", "to": "NADAV", **body}
    return client.post("/api/v1/holds", json=body)


def free_seats(client: FlaskClient, origin: str, destination: str) -> set[str]:
    response = client.get(f"/api/v1/trips/{CITY1}/availability?from={origin}&to={destination}")
    assert response.status_code == 200, response.json
    assert (response.json["from"], response.json["to"]) == (origin, destination)
    return {seat["label"] for seat in response.json["seats"] if seat["free"]}


def book(client: FlaskClient, hold_id: str, *names: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/bookings",
        json={
            "hold_id": hold_id,
            "contact_email": "ada@example.org",
            "passengers": [{"name": name} for name in names],
        },
        headers=headers,
    )


@pytest.mark.usefixtures("published")
def test_a_seat_held_from_a_to_c_stays_free_from_c_to_e(client: FlaskClient) -> None:
    assert free_seats(client, "STAGECOACH", "EMSI") == {
        "1A",
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "2C",
        "2D",
    }
    response = hold(client, seats=["2A"])
    assert response.status_code == 201, response.json
    assert response.json["seats"] == ["2A"]
    assert response.json["assignment"] == "chosen"
    assert (response.json["board"], response.json["alight"]) == (0, 2)
    assert "2A" not in free_seats(client, "STAGECOACH", "NANAA")
    assert "2A" not in free_seats(client, "NANAA", "EMSI")
    assert "2A" in free_seats(client, "NADAV", "EMSI")
    later = hold(client, seats=["2A"], **{"from": "NADAV", "to": "EMSI"})
    assert later.status_code == 201, later.json
    clash = hold(client, seats=["2A"], **{"from": "NANAA", "to": "DADAN"})
    assert clash.status_code == 409
    assert clash.json["error"]["code"] == "seat_taken"


@pytest.mark.usefixtures("published")
def test_a_party_is_seated_together(client: FlaskClient) -> None:
    response = hold(client, party=2)
    assert response.status_code == 201, response.json
    seats = response.json["seats"]
    assert len(seats) == 2
    assert seats[0][0] == seats[1][0]  # same row
    assert {seat[1] for seat in seats} in ({"A", "B"}, {"C", "D"})  # same side of the aisle


@pytest.mark.usefixtures("published")
def test_bad_requests_get_stable_codes(client: FlaskClient) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"trip_instance": "NOPE@2008-06-02"}, 404, "trip_not_found"),
        ({"trip_instance": "CITY1@2011-06-02T06:00:00"}, 404, "trip_not_running"),
        ({"trip_instance": "CITY1@2008-06-02T06:01:00"}, 404, "trip_not_running"),
        ({"trip_instance": "CITY1@June"}, 400, "invalid_trip_instance"),
        ({"from": "NADAV", "to": "STAGECOACH"}, 400, "invalid_leg_range"),
        ({"seats": ["9Z"]}, 400, "unknown_seat"),
        ({"seats": ["1A", "1A"]}, 400, "duplicate_seat"),
        ({"party": 9}, 409, "sold_out"),
        ({"seats": ["1A"], "party": 2}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        response = hold(client, **body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body


@pytest.mark.usefixtures("published")
def test_idempotent_holds_and_bookings(client: FlaskClient, database: Database) -> None:
    body = {"trip_instance": CITY1, "from": "STAGECOACH", "to": "NADAV", "party": 1}
    one = client.post("/api/v1/holds", json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/v1/holds", json=body, headers={"Idempotency-Key": "k-1"})
    assert one.status_code == again.status_code == 201
    assert one.json == again.json
    other = client.post(
        "/api/v1/holds", json={**body, "party": 2}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Hold)) == 1
    booked = book(client, one.json["id"], "Ada", **{"Idempotency-Key": "b-1"})
    replay = book(client, one.json["id"], "Ada", **{"Idempotency-Key": "b-1"})
    assert booked.status_code == replay.status_code == 201
    assert booked.json == replay.json
    twice = book(client, one.json["id"], "Ada")
    assert twice.status_code == 409
    assert twice.json["error"]["code"] == "hold_not_active"


@pytest.mark.usefixtures("published")
def test_a_booking_is_shown_with_its_email_and_cancelled_frees_the_seats(
    client: FlaskClient,
) -> None:
    held = hold(client, seats=["2C", "2D"]).json
    assert book(client, held["id"], "Ada").json["error"]["code"] == "passenger_count_mismatch"
    booking = book(client, held["id"], "Ada", "Grace")
    assert booking.status_code == 201, booking.json
    reference = booking.json["reference"]
    assert [p["seat"] for p in booking.json["passengers"]] == ["2C", "2D"]
    shown_hold = client.get(f"/api/v1/holds/{held['id']}").json
    assert shown_hold["status"] == "confirmed"
    assert (shown_hold["from"], shown_hold["to"], shown_hold["seats"]) == (
        "STAGECOACH",
        "NADAV",
        ["2C", "2D"],
    )
    shown = client.get(f"/api/v1/bookings/{reference}?email=ADA@example.org")
    assert shown.status_code == 200
    assert shown.json["status"] == "confirmed"
    assert (shown.json["from"], shown.json["to"]) == ("STAGECOACH", "NADAV")
    hidden = client.get(f"/api/v1/bookings/{reference}?email=eve@example.org")
    assert hidden.status_code == 404
    assert "2C" not in free_seats(client, "STAGECOACH", "NANAA")
    assert client.delete(f"/api/v1/holds/{held['id']}").json["error"]["code"] == "hold_confirmed"
    cancelled = client.post(
        f"/api/v1/bookings/{reference}/cancel", json={"email": "ada@example.org"}
    )
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert {"2C", "2D"} <= free_seats(client, "STAGECOACH", "NANAA")


@pytest.mark.usefixtures("published")
def test_releasing_a_hold_frees_its_seats(client: FlaskClient) -> None:
    held = hold(client, seats=["1B"]).json
    assert "1B" not in free_seats(client, "STAGECOACH", "NANAA")
    released = client.delete(f"/api/v1/holds/{held['id']}")
    assert released.status_code == 200
    assert released.json["status"] == "released"
    assert "1B" in free_seats(client, "STAGECOACH", "NANAA")
    assert client.get("/api/v1/holds/nope").status_code == 404


def _service_hold(inventory: Inventory, now: datetime, **fields: Any) -> dict[str, Any]:
    request = HoldRequest(
        **{"trip_instance": CITY1, "from_stop": "STAGECOACH", "to_stop": "NADAV", **fields}
    )
    return reservations.create_hold(inventory, request, now).body


def test_an_expired_hold_frees_its_seats_at_once_and_cannot_be_booked(
    inventory: Inventory, database: Database
) -> None:
    held = _service_hold(inventory, T0, seats=("1D",))
    later = T0 + inventory.hold_duration + timedelta(seconds=1)

    def free_at(now: datetime) -> set[str]:
        with database.sessions() as session:
            seats = claim_reads.availability(
                session, inventory, CITY1, from_stop="STAGECOACH", to_stop="NANAA", now=now
            )["seats"]
        return {seat["label"] for seat in seats if seat["free"]}

    assert "1D" not in free_at(T0)
    assert "1D" in free_at(later)  # before any sweep
    with pytest.raises(ServiceError) as expired:
        bookings.confirm(
            inventory, held["id"], passengers=[Passenger("Ada")], email="a@example.org", now=later
        )
    assert (expired.value.status, expired.value.code) == (410, "hold_expired")
    # The seat can be held again at once.
    again = _service_hold(inventory, later, seats=("1D",))
    assert again["seats"] == ["1D"]


def test_the_sweep_ends_expired_holds(inventory: Inventory, database: Database) -> None:
    _service_hold(inventory, T0, seats=("2B",))
    _service_hold(inventory, T0, seat_class="standing", party=2)
    assert hold_lifecycle.sweep_expired(inventory, T0) == 0
    later = T0 + inventory.hold_duration
    assert hold_lifecycle.sweep_expired(inventory, later) == 2
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SeatClaim)) == 0
        statuses = set(session.scalars(select(Hold.status)))
    assert statuses == {"expired"}
    # The standing places came back: all three can be held again.
    assert _service_hold(inventory, later, seat_class="standing", party=3)["party"] == 3


def test_standing_places_are_counted_per_leg(inventory: Inventory) -> None:
    assert _service_hold(inventory, T0, seat_class="standing", party=2)["assignment"] == "places"
    with pytest.raises(ServiceError) as full:
        _service_hold(
            inventory, T0, seat_class="standing", party=2, from_stop="NANAA", to_stop="EMSI"
        )
    assert (full.value.status, full.value.code) == (409, "sold_out")
    # After NADAV the two places are free again.
    beyond = _service_hold(
        inventory, T0, seat_class="standing", party=3, from_stop="NADAV", to_stop="EMSI"
    )
    assert beyond["party"] == 3


def test_a_trip_without_a_seat_map_cannot_be_held(
    settings: Settings, tmp_path: Path, published: int, make_app: Callable[[Settings], Flask]
) -> None:
    del published
    empty = tmp_path / "none"
    empty.mkdir()
    app = make_app(settings.replace(seatmap_dir=str(empty)))
    response = hold(app.test_client(), party=1)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_reservable"


@pytest.fixture
def make_app() -> Any:
    made: list[Flask] = []

    def make(settings: Settings) -> Flask:
        app = create_app(settings)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["faregate.database"].dispose()


def test_the_per_seat_summary_of_claims_assigns_as_the_claims_do(
    inventory: Inventory, database: Database
) -> None:
    stops = ["STAGECOACH", "NANAA", "NADAV", "DADAN", "EMSI"]
    rng = random.Random(3)  # noqa: S311 - a repeatable scenario
    for seat in ["1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D"]:
        board = 0
        while board < len(stops) - 1:
            board = rng.randrange(board, len(stops) - 1)
            alight = rng.randrange(board + 1, len(stops))
            if rng.random() < 0.6:
                _service_hold(
                    inventory, T0, seats=(seat,), from_stop=stops[board], to_stop=stops[alight]
                )
            board = alight
    seat_map = inventory.seat_maps.for_trip("CITY1", "CITY")
    assert seat_map is not None
    compared = 0
    with database.sessions() as session:
        full = claim_reads.taken_on(session, CITY1, T0)
        for board in range(len(stops) - 1):
            for alight in range(board + 1, len(stops)):
                legs = LegRange(board, alight)
                summary = claim_reads.taken_around(session, CITY1, legs, T0)
                for party in (1, 2, 3):
                    request = SeatRequest(party=party, legs=legs)
                    expected = _outcome(seat_map, full, request, len(stops))
                    got = _outcome(seat_map, summary, request, len(stops))
                    assert got == expected, (legs, party)
                    compared += isinstance(got, Assignment)
    assert compared > 10


def _outcome(
    seat_map: SeatMap, taken: dict[str, list[LegRange]], request: SeatRequest, stops: int
) -> Assignment | str:
    """The assignment, or the refusal's code."""
    try:
        return assign_seats(seat_map, taken, request, stop_count=stops)
    except InventoryError as refusal:
        return refusal.code


def test_a_booking_reference_already_taken_is_drawn_again(
    inventory: Inventory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first booking draws AAAAAAAA; the second draws it too, then BBBBBBBB.
    letters = iter("A" * 8 + "A" * 8 + "B" * 8)
    monkeypatch.setattr(reservation_store.secrets, "choice", lambda _alphabet: next(letters))
    references = []
    for seat in ("1C", "1D"):
        held = _service_hold(inventory, T0, seats=(seat,))
        outcome = bookings.confirm(
            inventory, held["id"], passengers=[Passenger("Ada")], email="a@example.org", now=T0
        )
        assert outcome.status == 201
        assert [p["seat"] for p in outcome.body["passengers"]] == [seat]
        references.append(outcome.body["reference"])
    assert references == ["AAAAAAAA", "BBBBBBBB"]
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 2
        assert session.scalar(select(func.count()).select_from(BookingPassenger)) == 2
        statuses = session.scalars(select(Hold.status)).all()
    assert statuses == ["confirmed", "confirmed"]


def test_a_hold_on_a_trip_the_new_timetable_dropped_is_refused(
    inventory: Inventory, database: Database, tmp_path: Path
) -> None:
    # AB1 runs in the published timetable: two holds open its inventory and (on PostgreSQL)
    # leave this process trusting that version to be the active one.
    ab1 = {"trip_instance": "AB1@2008-06-02", "from_stop": "BEATTY_AIRPORT"}
    for seat in ("1C", "1D"):
        _service_hold(inventory, T0, **ab1, to_stop="BULLFROG", seats=(seat,))
    # A new timetable without AB1 is published.
    feed = tmp_path / "without-ab1"
    shutil.copytree(SAMPLE_FEED, feed)
    for name in ("trips.txt", "stop_times.txt"):
        lines = (feed / name).read_text().splitlines(keepends=True)
        (feed / name).write_text(
            "".join(line for line in lines if ",AB1," not in line and not line.startswith("AB1,"))
        )
    later = T0 + timedelta(minutes=1)
    loaded = feeds.import_feed(
        database, feed, filename="v2", now=later, today=date(2008, 6, 1), publish=True
    )
    assert loaded.published
    with pytest.raises(ServiceError) as refused:
        _service_hold(inventory, later, **ab1, to_stop="BULLFROG", seats=("2A",))
    assert (refused.value.status, refused.value.code) == (404, "trip_not_found")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Hold)) == 2


TWO_CLASSES = """
default = true

[[rows]]
first = 1
pattern = "AB_CD"
class = "first"

[[rows]]
first = 2
pattern = "AB_CD"

[overrides.1A]
attributes = ["accessible"]
"""


def test_a_party_naming_no_class_is_seated_in_standard_class(
    settings: Settings, tmp_path: Path, published: int, make_app: Callable[[Settings], Flask]
) -> None:
    del published
    maps = tmp_path / "two-classes"
    maps.mkdir()
    (maps / "car.toml").write_text(TWO_CLASSES)
    client = make_app(settings.replace(seatmap_dir=str(maps))).test_client()
    unspecified = hold(client, party=2)
    assert unspecified.status_code == 201, unspecified.json
    assert (unspecified.json["seat_class"], unspecified.json["seats"]) == ("standard", ["2A", "2B"])
    first = hold(client, party=1, seat_class="first").json
    assert (first["seat_class"], first["seats"][0][0]) == ("first", "1")
    # Standard has no accessible seat: a traveler who needs one is seated where there is one.
    accessible = hold(client, party=1, accessible=1).json
    assert (accessible["seat_class"], accessible["seats"]) == ("first", ["1A"])
    while hold(client, party=1).status_code == 201:
        pass  # standard sells out; first class is not given away at the standard fare
    assert hold(client, party=1).json["error"]["code"] == "sold_out"
