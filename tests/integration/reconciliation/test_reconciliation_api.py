"""Taps carry the bus's trip instance through the device API, and riders and staff see the
journeys and charges behind a card (``/api/v1/media``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.db import Database
from backend.models import Tap
from backend.services.reconciliation import Reconciler, reconcile_day
from backend.settings import Settings
from tests.integration.reconciliation.world import (
    TECHNOLOGY,
    TUESDAY,
    Validators,
    card,
    local,
)

UID = "04AA0001"
A = card(UID)


@pytest.fixture
def reconciled(validators: Validators, settings: Settings, database: Database) -> None:
    """Card A rides rail then bus on Tuesday, and leaves an entry open."""
    validators.tap("cen-in", local(TUESDAY, "08:00"), A)
    validators.tap("air-out", local(TUESDAY, "08:24"), A)
    validators.tap("bus-1", local(TUESDAY, "08:50"), A, trip="BUS1@2026-06-02")
    validators.tap("park-in", local(TUESDAY, "12:00"), A)
    reconcile_day(Reconciler.from_settings(settings, database), TUESDAY, datetime.now(UTC))


def test_uploaded_taps_keep_the_trip_instance_and_older_agents_may_leave_it_out(
    validators: Validators, database: Database
) -> None:
    validators.tap("bus-1", local(TUESDAY, "08:50"), A, trip="BUS1@2026-06-02")
    validators.tap("cen-in", local(TUESDAY, "09:00"), A)  # the key left out, as gates do

    with database.sessions() as session:
        stored = session.execute(select(Tap.device_id, Tap.trip_instance).order_by(Tap.id)).all()
    assert [tuple(row) for row in stored] == [("bus-1", "BUS1@2026-06-02"), ("cen-in", None)]


def test_an_overlong_or_empty_trip_instance_is_refused_and_nothing_stored(
    validators: Validators, client: FlaskClient, database: Database
) -> None:
    for trip in ("", "T" * 161):
        row = {
            "v": 1, "seq": 1, "nonce": secrets.token_hex(16), "at": 1780380000000,
            "kind": "account", "fingerprint": A, "allowed": True, "trip_instance": trip,
        }  # fmt: skip
        answer = client.post(
            "/api/v1/device/taps",
            json={"taps": [row]},
            headers={"Authorization": f"Device {validators.tokens['bus-1']}"},
        )
        assert answer.status_code == 422
        assert answer.json["error"]["code"] == "validation_failed"
    with database.sessions() as session:
        assert session.scalars(select(Tap.id)).all() == []


@pytest.mark.usefixtures("reconciled")
def test_a_rider_sees_the_journeys_and_charges_behind_their_card(client: FlaskClient) -> None:
    answer = client.post(
        "/api/v1/media/journeys",
        json={"technology": TECHNOLOGY, "uid": UID, "from": "2026-06-01", "to": "2026-06-07"},
    )

    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["fingerprint"], body["from"], body["to"]) == (A, "2026-06-01", "2026-06-07")
    assert body["days"] == [
        {
            "travel_day": "2026-06-02",
            "journeys": 2,
            "fare": {"amount": 1000, "currency": "PLN", "text": "10.00 PLN"},
            "charged": {"amount": 800, "currency": "PLN", "text": "8.00 PLN"},
            "explanation": "daily cap reached on travel day 2026-06-02",
        }
    ]
    rail_and_bus, incomplete = body["journeys"]
    assert (rail_and_bus["status"], rail_and_bus["charged"]["amount"]) == ("complete", 500)
    assert rail_and_bus["started_at"] == "2026-06-02T06:00:00+00:00"
    assert [
        (leg["kind"], leg["from_stop_id"], leg["to_stop_id"]) for leg in rail_and_bus["legs"]
    ] == [
        ("gate", "CEN", "AIR"),
        ("bus", "MARKET", "HILL"),
    ]
    bus = rail_and_bus["legs"][1]
    assert (bus["trip_instance"], bus["route_id"], bus["amount"]["amount"]) == (
        "BUS1@2026-06-02", "BUS", 0,
    )  # fmt: skip
    assert "covered by fare_transfer_rules row" in bus["explanation"]
    assert "fare_leg_rules row" in rail_and_bus["legs"][0]["explanation"]
    assert (incomplete["status"], incomplete["fare"]["amount"]) == ("incomplete", 500)
    assert (incomplete["charged"]["amount"], incomplete["limited_by"]) == (300, "daily")
    assert incomplete["explanation"].startswith("incomplete: entry at PARK with no exit")
    assert "daily cap reached" in incomplete["explanation"]


@pytest.mark.usefixtures("reconciled")
def test_staff_see_any_medium_by_fingerprint_and_riders_need_the_card(
    client: FlaskClient, staff_token: Callable[..., str]
) -> None:
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    path = f"/api/v1/media/{A}/journeys?from=2026-06-02&to=2026-06-02"

    seen = client.get(path, headers=support)
    anonymous = client.get(path)
    other_card = client.post(
        "/api/v1/media/journeys", json={"technology": TECHNOLOGY, "uid": "04AA0002"}
    )

    assert seen.status_code == 200
    assert len(seen.json["journeys"]) == 2
    assert (anonymous.status_code, anonymous.json["error"]["code"]) == (
        401, "authentication_required",
    )  # fmt: skip
    assert other_card.status_code == 200
    assert (other_card.json["days"], other_card.json["journeys"]) == ([], [])


@pytest.mark.parametrize(
    ("request_args", "status", "code"),
    [
        ({"path": "/api/v1/media/XYZ/journeys"}, 400, "invalid_fingerprint"),
        (
            {"path": f"/api/v1/media/{A}/journeys?from=2026-06-03&to=2026-06-02"},
            400,
            "invalid_date_range",
        ),
        (
            {"path": f"/api/v1/media/{A}/journeys?from=2026-01-01&to=2026-06-02"},
            400,
            "date_range_too_long",
        ),
        ({"path": f"/api/v1/media/{A}/journeys?from=yesterday"}, 422, "validation_failed"),
        ({"json": {"technology": TECHNOLOGY, "uid": "4"}}, 422, "validation_failed"),
        ({"json": {"uid": UID}}, 422, "validation_failed"),
    ],
)
def test_bad_requests_get_stable_codes(
    client: FlaskClient,
    staff_token: Callable[..., str],
    request_args: dict[str, Any],
    status: int,
    code: str,
) -> None:
    if "path" in request_args:
        headers = {"Authorization": f"Bearer {staff_token('support')}"}
        answer = client.get(request_args["path"], headers=headers)
    else:
        answer = client.post("/api/v1/media/journeys", json=request_args["json"])

    assert (answer.status_code, answer.json["error"]["code"]) == (status, code)


def test_the_rider_view_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]

    assert paths["/api/v1/media/{fingerprint}/journeys"]["get"]["security"] == [{"bearerAuth": []}]
    rider = paths["/api/v1/media/journeys"]["post"]
    assert "security" not in rider
    assert {"200", "400", "422"} <= set(rider["responses"])
