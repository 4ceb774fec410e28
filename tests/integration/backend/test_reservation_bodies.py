"""The hold and booking bodies, checked by pydantic from the request bytes: a body that is no
JSON is 400 ``bad_request``, a bad, missing or unknown field 422 ``validation_failed`` naming
it, a request of another content type is read as an empty object; none of them holds or books
anything. The body documented in the OpenAPI document is the one checked."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.models import Booking, Hold

pytestmark = pytest.mark.usefixtures("published")

TRIP = "CITY1@2008-06-02T06:00:00"
HOLD = {"trip_instance": TRIP, "from": "STAGECOACH", "to": "NADAV", "party": 1}


def nothing_held_or_booked(database: Database) -> bool:
    with database.sessions() as session:
        holds = session.scalar(select(func.count()).select_from(Hold))
        bookings = session.scalar(select(func.count()).select_from(Booking))
    return holds == 0 and bookings == 0


def error(answer: Any) -> dict[str, Any]:
    found: dict[str, Any] = answer.get_json()["error"]
    return found


@pytest.mark.parametrize("path", ["/api/v1/holds", "/api/v1/bookings"])
def test_a_body_that_is_no_json_is_a_bad_request(
    client: FlaskClient, database: Database, path: str
) -> None:
    answer = client.post(path, data=b'{"trip_instance": ', content_type="application/json")
    assert answer.status_code == 400
    assert error(answer)["code"] == "bad_request"
    assert error(answer)["details"] == {"json": ["Invalid JSON body."]}
    assert nothing_held_or_booked(database)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**HOLD, "zone": "A"}, {"zone"}),
        ({**HOLD, "party": 0}, {"party"}),
        ({**HOLD, "seats": ["1A", "1B"], "party": 3}, {"party"}),
        ({**HOLD, "position": "middle", "together": "maybe"}, {"position", "together"}),
        ({**HOLD, "trip_instance": 7, "seats": [""]}, {"trip_instance", "seats"}),
        ({"from": "STAGECOACH"}, {"trip_instance", "to"}),
    ],
)
def test_bad_hold_fields_are_named(
    client: FlaskClient, database: Database, body: dict[str, Any], fields: set[str]
) -> None:
    answer = client.post("/api/v1/holds", json=body)
    assert answer.status_code == 422, answer.json
    assert error(answer)["code"] == "validation_failed"
    assert set(error(answer)["details"]["json"]) == fields
    assert nothing_held_or_booked(database)


def test_bad_booking_fields_are_named_down_to_the_traveler(
    client: FlaskClient, database: Database
) -> None:
    held = client.post("/api/v1/holds", json={**HOLD, "party": 2})
    assert held.status_code == 201, held.json
    body = {
        "hold_id": held.json["id"],  # type: ignore[index]
        "contact_email": "not an address",
        "passengers": [{"name": "Ada"}, {"name": "", "age": 7}],
    }
    answer = client.post("/api/v1/bookings", json=body)
    assert answer.status_code == 422
    assert error(answer)["details"]["json"] == {
        "contact_email": ["not a valid email address"],
        "passengers": {
            "1": {"name": ["String should have at least 1 character"], "age": [
                "Extra inputs are not permitted"
            ]}
        },
    }  # fmt: skip
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_form_post_is_read_as_an_empty_body(client: FlaskClient, database: Database) -> None:
    answer = client.post("/api/v1/holds", data={"trip_instance": TRIP})
    assert answer.status_code == 422
    assert set(error(answer)["details"]["json"]) == {"trip_instance", "from", "to"}
    assert nothing_held_or_booked(database)


def test_a_good_body_holds_and_books(client: FlaskClient) -> None:
    held = client.post("/api/v1/holds", json={**HOLD, "position": "window"})
    assert held.status_code == 201, held.json
    booking = {
        "hold_id": held.json["id"],  # type: ignore[index]
        "contact_email": "ada@example.org",
        "passengers": [{"name": "Ada"}],
    }
    booked = client.post("/api/v1/bookings", json=booking)
    assert booked.status_code == 201, booked.json
    assert booked.json["passengers"][0]["seat"] == held.json["seats"][0]  # type: ignore[index]


def test_the_documented_bodies_are_the_checked_ones(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]  # type: ignore[index]
    hold = paths["/api/v1/holds"]["post"]["requestBody"]["content"]["application/json"]
    assert set(hold["schema"]["required"]) == {"trip_instance", "from", "to"}
    assert hold["schema"]["additionalProperties"] is False
    assert hold["schema"]["properties"]["position"]["enum"] == ["window", "aisle"]
    booking = paths["/api/v1/bookings"]["post"]["requestBody"]["content"]["application/json"]
    passenger = booking["schema"]["properties"]["passengers"]["items"]
    assert passenger["properties"]["name"] == {
        "maxLength": 200, "minLength": 1, "title": "Name", "type": "string"
    }  # fmt: skip
    assert "422" in paths["/api/v1/holds"]["post"]["responses"]
