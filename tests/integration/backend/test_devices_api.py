"""Validator devices through the API: provisioning, bundles with ETags, idempotent tap uploads."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.clock import utc_now
from backend.db import Database
from backend.models import Tap
from backend.services.device_bundles import current_bundle
from backend.services.signing_keys import load_keyring
from backend.settings import Settings
from fares.bundle import RuleBundle, open_bundle
from tests.harness.reservations import book_through_api, reservable_settings

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


def _device(client: FlaskClient, planner: dict[str, str], device_id: str = "gate-1") -> str:
    created = client.post(
        "/api/v1/devices",
        json={"id": device_id, "role": "gate_entry", "stop_id": "BEATTY_AIRPORT"},
        headers=planner,
    )
    assert created.status_code == 201, created.json
    assert created.json["state"] == "new"
    token = created.json["provisioning_token"]
    provisioned = client.post("/api/v1/devices/provision", json={"token": token})
    assert provisioned.status_code == 200, provisioned.json
    assert provisioned.json["device_id"] == device_id
    again = client.post("/api/v1/devices/provision", json={"token": token})
    assert again.json["error"]["code"] == "invalid_provisioning_token"
    return f"Device {provisioned.json['token']}"


def _tap(sequence: int, nonce: str | None = None) -> dict[str, Any]:
    return {
        "v": 1,
        "seq": sequence,
        "nonce": nonce or secrets.token_hex(16),
        "at": int((T0 + timedelta(seconds=sequence)).timestamp() * 1000),
        "kind": "qr_text",
        "fingerprint": secrets.token_hex(32),
        "ticket_id": secrets.token_hex(8),
        "product_id": "p",
        "allowed": True,
        "bundle_version": 1,
    }


@pytest.mark.usefixtures("published")
def test_a_provisioned_device_downloads_a_signed_bundle_with_an_etag(
    client: FlaskClient, planner: dict[str, str], signing_keys_file: str
) -> None:
    device = {"Authorization": _device(client, planner)}
    response = client.get("/api/v1/device/bundle", headers=device)
    assert response.status_code == 200
    assert response.mimetype == "application/cbor"
    now = utc_now()
    bundle = open_bundle(response.data, load_keyring(Path(signing_keys_file)).key_set(now), now)
    assert isinstance(bundle, RuleBundle), bundle
    assert bundle.etag == response.headers["ETag"]
    assert {"p", "a", "reservation", "day_pass"} <= set(bundle.products)
    assert bundle.products["p"].route_ids == {"AB", "STBA", "BFC"}
    unchanged = client.get(
        "/api/v1/device/bundle", headers={**device, "If-None-Match": response.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    assert client.get("/api/v1/device/bundle").status_code == 401


@pytest.mark.usefixtures("published")
def test_a_cancelled_ticket_reaches_the_next_bundle_deny_list(
    client: FlaskClient,
    planner: dict[str, str],
    signing_keys_file: str,
    database: Database,
    app: Flask,
) -> None:
    device = {"Authorization": _device(client, planner)}
    first = client.get("/api/v1/device/bundle", headers=device)
    _, booking = book_through_api(client, "AB1@2008-06-02", "BEATTY_AIRPORT", "BULLFROG", "Ada")
    cancel = f"/api/v1/bookings/{booking['reference']}/cancel"
    assert client.post(cancel, json={"email": "ada@example.org"}).status_code == 200
    changed = client.get(
        "/api/v1/device/bundle", headers={**device, "If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert int(changed.headers["X-Bundle-Version"]) > int(first.headers["X-Bundle-Version"])
    # Today the 2008 ticket has expired and needs no denying; while it is valid it is denied.
    now = utc_now()
    today = open_bundle(changed.data, load_keyring(Path(signing_keys_file)).key_set(now), now)
    assert isinstance(today, RuleBundle)
    assert not today.deny_list.tickets
    before_trip = datetime(2008, 6, 2, 12, 0, tzinfo=UTC)
    with database.sessions() as session:
        record = current_bundle(session, app.extensions["faregate.inventory"], before_trip)
    keys = load_keyring(Path(signing_keys_file)).key_set(before_trip)
    then = open_bundle(record.blob, keys, before_trip)
    assert isinstance(then, RuleBundle)
    assert booking["passengers"][0]["ticket_id"] in then.deny_list.tickets


def test_taps_are_stored_once_however_often_they_are_sent(
    client: FlaskClient, planner: dict[str, str], database: Database
) -> None:
    device = {"Authorization": _device(client, planner)}
    batch = [_tap(1), _tap(2), _tap(3)]
    skewed = (utc_now() + timedelta(seconds=2)).isoformat()
    upload = {"taps": batch, "device_time": skewed, "backlog": 7, "bundle_version": 1}
    answer = client.post("/api/v1/device/taps", json=upload, headers=device)
    assert answer.status_code == 200, answer.json
    assert (answer.json["acked_sequence"], answer.json["stored"]) == (3, 3)
    resent = [*batch[1:], _tap(4)]
    again = client.post("/api/v1/device/taps", json={"taps": resent}, headers=device)
    assert (again.json["acked_sequence"], again.json["stored"]) == (4, 1)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Tap)) == 4
    listed = client.get("/api/v1/devices", headers=planner).json[0]
    assert (listed["state"], listed["backlog"], listed["acked_sequence"]) == ("active", 7, 4)
    assert 1000 <= listed["clock_skew_ms"] <= 3000


def test_devices_are_refused_when_revoked_unknown_or_ill_formed(
    client: FlaskClient, planner: dict[str, str], staff_token: Callable[..., str]
) -> None:
    device = {"Authorization": _device(client, planner)}
    bad_nonce = client.post(
        "/api/v1/device/taps", json={"taps": [_tap(1), _tap(2, "xyz")]}, headers=device
    )
    assert bad_nonce.status_code == 422
    assert bad_nonce.json["error"]["code"] == "validation_failed"
    assert list(bad_nonce.json["error"]["details"]["json"]["taps"]["1"]) == ["nonce"]
    not_json = client.post(
        "/api/v1/device/taps", data=b"{taps", headers=device, content_type="application/json"
    )
    assert (not_json.status_code, not_json.json["error"]["code"]) == (422, "validation_failed")
    stray = client.post("/api/v1/device/taps", json={"taps": [{**_tap(3), "x": 1}]}, headers=device)
    assert stray.json["error"]["details"]["json"]["taps"]["0"] == {
        "x": ["Extra inputs are not permitted"]
    }
    assert client.get("/api/v1/devices", headers=planner).json[0]["acked_sequence"] == 0
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    denied = client.post("/api/v1/devices", json={"id": "x", "role": "bus"}, headers=support)
    assert denied.status_code == 403
    misplaced = client.post(
        "/api/v1/devices", json={"id": "bus-1", "role": "bus", "stop_id": "AMV"}, headers=planner
    )
    assert misplaced.json["error"]["code"] == "invalid_placement"
    duplicate = client.post(
        "/api/v1/devices",
        json={"id": "gate-1", "role": "gate_entry", "stop_id": "AMV"},
        headers=planner,
    )
    assert duplicate.json["error"]["code"] == "device_exists"
    reissued = client.post("/api/v1/devices/gate-1/provisioning-token", headers=planner)
    replacement = client.post("/api/v1/devices/provision", json=reissued.json)
    assert replacement.json["device_id"] == "gate-1"
    old_token = client.post("/api/v1/device/taps", json={"taps": []}, headers=device)
    assert old_token.json["error"]["code"] == "device_unauthorized"  # the new unit's token won
    revoked = client.post("/api/v1/devices/gate-1/revoke", headers=planner)
    assert revoked.json["state"] == "revoked"
    gone = client.post("/api/v1/devices/gate-1/provisioning-token", headers=planner)
    assert gone.json["error"]["code"] == "device_revoked"
    replaced = {"Authorization": f"Device {replacement.json['token']}"}
    after = client.post("/api/v1/device/taps", json={"taps": []}, headers=replaced)
    assert (after.status_code, after.json["error"]["code"]) == (401, "device_unauthorized")
