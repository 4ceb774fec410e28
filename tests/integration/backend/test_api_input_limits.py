"""Input at the edges of what the API takes is refused with a 4xx and a stable code, or
answered, never a server error: numbers past the columns that keep them, NUL characters,
dates next to year 1 or 9999, malformed card UIDs and NDEF text. Each of these once reached
the database or the standard library and failed there (found by ``test_api_fuzz``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.models import ApiToken, Tap

TokenMaker = Callable[..., str]
TOO_BIG = 2**63
NUL_MESSAGE = ["must not contain NUL (U+0000) characters"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _device(client: FlaskClient, admin: dict[str, str]) -> dict[str, str]:
    created = client.post(
        "/api/v1/devices",
        json={"id": "gate-1", "role": "gate_entry", "stop_id": "BEATTY_AIRPORT"},
        headers=admin,
    )
    assert created.status_code == 201, created.json
    token = created.json["provisioning_token"]
    provisioned = client.post("/api/v1/devices/provision", json={"token": token})
    assert provisioned.status_code == 200, provisioned.json
    return {"Authorization": f"Device {provisioned.json['token']}"}


def _tap(**fields: Any) -> dict[str, Any]:
    return {
        "v": 1,
        "seq": 1,
        "nonce": secrets.token_hex(16),
        "at": 1_700_000_000_000,
        "kind": "qr_text",
        "fingerprint": secrets.token_hex(32),
        "allowed": True,
        **fields,
    }


def _count_taps(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Tap)) or 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/feeds/2147483648"),
        ("GET", "/api/v1/feeds/99999999999999999999/notices"),
        ("POST", "/api/v1/feeds/253402300799999/publish"),
        ("DELETE", "/api/v1/staff/tokens/4853109594934537779543015424"),
        ("DELETE", "/api/v1/webhooks/2147483648"),
        ("GET", "/api/v1/webhooks/2147483648/deliveries"),
    ],
)
def test_an_id_past_the_integer_keys_is_not_found(
    client: FlaskClient, staff_token: TokenMaker, method: str, path: str
) -> None:
    response = client.open(path, method=method, headers=bearer(staff_token("admin")))
    assert response.status_code == 404, response.json
    assert response.json["error"]["code"] == "not_found"


def test_the_document_bounds_ids_in_paths(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    (parameter,) = document["paths"]["/api/v1/staff/tokens/{token_id}"]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_nul_in_a_json_body_is_refused_and_stores_nothing(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    admin = bearer(staff_token("admin"))
    response = client.post("/api/v1/staff/tokens", json={"name": "laptop\x00"}, headers=admin)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert response.json["error"]["details"] == {"json": {"_schema": NUL_MESSAGE}}
    raw = client.post(
        "/api/v1/staff/tokens",
        data=b'{"name": "lap\\\\\\u0000top"}',
        content_type="application/json",
        headers=admin,
    )
    assert raw.status_code == 422, raw.json
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_the_text_backslash_u0000_is_not_a_nul(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    name = "C:\\u0000"  # a backslash and five characters, as a person may type them
    response = client.post(
        "/api/v1/staff/tokens", json={"name": name}, headers=bearer(staff_token("admin"))
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == name


@pytest.mark.parametrize(
    ("path", "details"),
    [
        ("/api/v1/holds/H%00", {"path": {"hold_id": NUL_MESSAGE}}),
        ("/api/v1/tickets/T%00/qr.svg", {"path": {"ticket_id": NUL_MESSAGE}}),
        ("/api/v1/stops?q=%00", {"query": {"q": NUL_MESSAGE}}),
        ("/api/v1/bookings/ABC?email=a%00@example.org", {"query": {"email": NUL_MESSAGE}}),
    ],
)
def test_nul_in_a_path_or_query_is_refused(
    client: FlaskClient, path: str, details: dict[str, Any]
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert response.json["error"]["details"] == details


def test_nul_in_an_idempotency_key_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/holds",
        json={"trip_instance": "AB1@2008-06-02", "from": "A", "to": "B"},
        headers={"Idempotency-Key": "retry\x00"},
    )
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "invalid_idempotency_key"


def test_nul_in_a_tap_upload_is_refused_and_stores_nothing(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    device = _device(client, bearer(staff_token("admin")))
    upload = {"taps": [_tap(ticket_id="t\x00")]}
    response = client.post("/api/v1/device/taps", json=upload, headers=device)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert _count_taps(database) == 0


@pytest.mark.parametrize(
    ("upload", "field"),
    [
        ({"taps": [_tap(seq=TOO_BIG)]}, "taps"),
        ({"taps": [_tap(bundle_version=TOO_BIG)]}, "taps"),
        ({"taps": [_tap(bundle_version=-1)]}, "taps"),
        ({"taps": [], "backlog": 2**31}, "backlog"),
        ({"taps": [], "bundle_version": TOO_BIG}, "bundle_version"),
    ],
)
def test_tap_upload_numbers_past_their_columns_are_refused(
    client: FlaskClient,
    staff_token: TokenMaker,
    database: Database,
    upload: dict[str, Any],
    field: str,
) -> None:
    device = _device(client, bearer(staff_token("admin")))
    response = client.post("/api/v1/device/taps", json=upload, headers=device)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]["json"]
    assert _count_taps(database) == 0


def test_a_validator_whose_clock_lost_its_time_still_uploads(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    admin = bearer(staff_token("admin"))
    device = _device(client, admin)
    epoch = datetime(1970, 1, 1, tzinfo=UTC).isoformat()
    upload = {"taps": [_tap()], "device_time": epoch}
    response = client.post("/api/v1/device/taps", json=upload, headers=device)
    assert response.status_code == 200, response.json
    assert response.json["stored"] == 1
    (listed,) = client.get("/api/v1/devices", headers=admin).json
    assert listed["clock_skew_ms"] == -(2**31 - 1)
    assert _count_taps(database) == 1


def test_a_card_uid_must_be_whole_bytes(client: FlaskClient, staff_token: TokenMaker) -> None:
    response = client.post(
        "/api/v1/tickets/check",
        json={"card": {"technology": "nfc_uid", "uid": "0a0b0c0"}},
        headers=bearer(staff_token("support")),
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert "uid" in response.json["error"]["details"]["json"]["card"]


@pytest.mark.usefixtures("published")
def test_ndef_text_that_is_not_even_ascii_is_a_malformed_ticket(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    response = client.post(
        "/api/v1/tickets/check", json={"ndef": "bilet±"}, headers=bearer(staff_token("support"))
    )
    assert response.status_code == 200, response.json
    assert response.json["allowed"] is False
    assert response.json["reason"] == "malformed"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/support/cases", {"tap_id": TOO_BIG}),
        ("/api/v1/support/cases", {"assignee_id": 2**31}),
    ],
)
def test_support_case_ids_past_their_columns_are_refused(
    client: FlaskClient, staff_token: TokenMaker, path: str, body: dict[str, Any]
) -> None:
    case = {"kind": "other", "subject": "s", "message": "m", **body}
    response = client.post(path, json=case, headers=bearer(staff_token("support")))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert set(response.json["error"]["details"]["json"]) == set(body)


def test_assigning_a_case_to_an_id_past_the_keys_is_refused(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    support = bearer(staff_token("support"))
    opened = client.post(
        "/api/v1/support/cases",
        json={"kind": "other", "subject": "s", "message": "m"},
        headers=support,
    )
    assert opened.status_code == 201, opened.json
    response = client.post(
        f"/api/v1/support/cases/{opened.json['reference']}/assign",
        json={"assignee_id": 2**31},
        headers=support,
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/api/v1/stops?offset=9223372036854775808", "offset"),
        ("/api/v1/feeds/1/notices?offset=9223372036854775808", "offset"),
    ],
)
def test_offsets_past_what_the_database_takes_are_refused(
    client: FlaskClient, staff_token: TokenMaker, path: str, shown: str
) -> None:
    response = client.get(path, headers=bearer(staff_token("admin")))
    assert response.status_code == 422, response.json
    assert shown in response.json["error"]["details"]["query"]


def test_a_device_placement_longer_than_its_column_is_refused(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    response = client.post(
        "/api/v1/devices",
        json={"id": "gate-9", "role": "gate_entry", "stop_id": "S" * 129},
        headers=bearer(staff_token("admin")),
    )
    assert response.status_code == 422, response.json
    assert "stop_id" in response.json["error"]["details"]["json"]


@pytest.mark.parametrize(
    ("body", "days"),
    [
        ({"from": "9999-12-31"}, ("9999-12-31", "9999-12-31")),
        ({"to": "0001-01-01"}, ("0001-01-01", "0001-01-01")),
    ],
)
def test_card_journeys_next_to_the_first_or_last_date_are_answered(
    client: FlaskClient, body: dict[str, str], days: tuple[str, str]
) -> None:
    card = {"technology": "nfc_uid", "uid": "04a1b2c3", **body}
    response = client.post("/api/v1/media/journeys", json=card)
    assert response.status_code == 200, response.json
    assert (response.json["from"], response.json["to"]) == days
    assert response.json["journeys"] == []


def test_a_charged_twice_case_on_the_last_date_is_opened(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/cases",
        json={
            "kind": "charged_twice",
            "subject": "Charged twice",
            "message": "Two charges",
            "email": "ada@example.org",
            "card_technology": "nfc_uid",
            "card_uid": "04a1b2c3",
            "travel_day": date.max.isoformat(),
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["travel_day"] == date.max.isoformat()


def test_the_document_gives_every_media_type_an_operation_answers_with(
    client: FlaskClient,
) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    qr = paths["/api/v1/tickets/{ticket_id}/qr.{image_format}"]["get"]["responses"]["200"]
    assert set(qr["content"]) == {"image/svg+xml", "image/png"}
    feed = paths["/gtfs-rt/trip-updates"]["get"]["responses"]["200"]
    assert set(feed["content"]) == {"application/x-protobuf", "application/json"}


def test_the_document_gives_the_answer_to_cancelling_again(client: FlaskClient) -> None:
    responses = client.get("/api/openapi.json").json["paths"]["/api/v1/cancellations"]["post"]
    schema = {"$ref": "#/components/schemas/Cancellation"}
    assert responses["responses"]["200"]["content"]["application/json"]["schema"] == schema
    assert responses["responses"]["201"]["content"]["application/json"]["schema"] == schema
