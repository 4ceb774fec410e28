"""``/metrics`` through the app on real PostgreSQL: booking outcomes (API and pages), live
holds, device syncs, tap ingest and request timings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from backend.clock import utc_now
from backend.db import Database
from backend.models import Hold, SeatClaim
from backend.settings import Settings
from tests.conftest import empty_tables
from tests.harness.filled_database import tap
from tests.harness.scraped_metrics import Scrape
from tests.integration.traveler.world import (
    post_form,
    publish_todays_feed,
    seat_map_url,
    text_of,
    traveler_settings,
)

pytestmark = pytest.mark.postgres

# A run of CITY1 (every 30 min in 2008): STAGECOACH, NANAA, NADAV, DADAN, EMSI (legs 0-3).
CITY1 = "CITY1@2008-06-02T06:00:00"
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
OUTCOMES = "faregate_booking_outcomes_total"
REQUESTS = "faregate_http_request_duration_seconds_count"
TAPS = "faregate_taps_received_total"


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    yield postgres_url
    empty_tables(postgres_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return traveler_settings(database_url, tmp_path, signing_keys_file)


scrape = Scrape.of_app


def hold(client: FlaskClient, *seats: str) -> Any:
    body = {"trip_instance": CITY1, "from": "STAGECOACH", "to": "NADAV", "seats": list(seats)}
    return client.post("/api/v1/holds", json=body)


def confirm(client: FlaskClient, hold_id: str) -> Any:
    body = {"hold_id": hold_id, "contact_email": "ada@example.org", "passengers": [{"name": "A"}]}
    return client.post("/api/v1/bookings", json=body)


def expire(database: Database, hold_id: str) -> None:
    """Let the hold run out, as if its minutes had passed."""
    past = utc_now() - timedelta(minutes=1)
    with database.sessions() as session:
        session.execute(update(Hold).where(Hold.id == hold_id).values(expires_at=past))
        session.execute(
            update(SeatClaim).where(SeatClaim.hold_id == hold_id).values(expires_at=past)
        )
        session.commit()


@pytest.mark.usefixtures("published")
def test_a_booking_counts_each_outcome_once_and_shows_the_live_holds(
    client: FlaskClient, database: Database
) -> None:
    before = scrape(client)

    held = hold(client, "2A")
    assert held.status_code == 201, held.json
    clash = hold(client, "2A")
    assert clash.json["error"]["code"] == "seat_taken"
    second = hold(client, "1C", "1D")
    assert second.status_code == 201, second.json
    during = scrape(client)
    assert during.value("faregate_live_holds") == 2
    assert during.value("faregate_live_held_places") == 3

    booked = confirm(client, held.json["id"])
    assert booked.status_code == 201, booked.json
    expire(database, second.json["id"])
    late = client.post(
        "/api/v1/bookings",
        json={
            "hold_id": second.json["id"],
            "contact_email": "ada@example.org",
            "passengers": [{"name": "A"}, {"name": "B"}],
        },
    )
    assert (late.status_code, late.json["error"]["code"]) == (410, "hold_expired")
    after = scrape(client)

    def added(**labels: str) -> float:
        return after.count(OUTCOMES, **labels) - before.count(OUTCOMES, **labels)

    assert added(operation="hold", outcome="created") == 2
    assert added(operation="hold", outcome="seat_taken") == 1
    assert added(operation="confirm", outcome="booked") == 1
    assert added(operation="confirm", outcome="hold_expired") == 1
    assert after.value("faregate_live_holds") == 0  # one confirmed, one expired
    assert after.value("faregate_live_held_places") == 0
    assert after.value("faregate_metrics_database_up") == 1

    def answered(endpoint: str, status: str) -> float:
        labels = {"endpoint": endpoint, "method": "POST", "status": status}
        return after.count(REQUESTS, **labels) - before.count(REQUESTS, **labels)

    assert answered("reservations.Holds", "201") == 2
    assert answered("reservations.Holds", "409") == 1
    assert answered("reservations.Bookings", "201") == 1
    assert answered("reservations.Bookings", "410") == 1


def test_the_traveler_pages_count_their_holds_and_checkouts(
    client: FlaskClient, database: Database, tmp_path: Path
) -> None:
    seats = seat_map_url(publish_todays_feed(database, tmp_path))
    before = scrape(client)
    held = post_form(client, seats, {"mode": "pick", "seat": ["2A"]})
    assert held.status_code == 303, text_of(held)
    taken = post_form(client, seats, {"mode": "pick", "seat": ["2A"]})
    assert "has just been taken" in text_of(taken)
    details = {"name-0": "Ada Lovelace", "email": "ada@example.org", "provider": "test"}
    booked = post_form(client, held.headers["Location"], details)
    assert booked.status_code == 303, text_of(booked)
    after = scrape(client)

    def added(**labels: str) -> float:
        return after.count(OUTCOMES, **labels) - before.count(OUTCOMES, **labels)

    assert added(operation="hold", outcome="created") == 1
    assert added(operation="hold", outcome="seat_taken") == 1
    assert added(operation="confirm", outcome="booked") == 1


def _provisioned(client: FlaskClient, planner: dict[str, str], device_id: str) -> dict[str, str]:
    created = client.post(
        "/api/v1/devices",
        json={"id": device_id, "role": "gate_entry", "stop_id": "BEATTY_AIRPORT"},
        headers=planner,
    )
    assert created.status_code == 201, created.json
    token = created.json["provisioning_token"]
    provisioned = client.post("/api/v1/devices/provision", json={"token": token})
    assert provisioned.status_code == 200, provisioned.json
    return {"Authorization": f"Device {provisioned.json['token']}"}


@pytest.mark.usefixtures("published")
def test_a_device_sync_shows_its_backlog_and_lag_and_counts_its_taps(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    gate = _provisioned(client, planner, "gate-1")
    _provisioned(client, planner, "gate-2")  # provisioned, never synced
    _provisioned(client, planner, "gate-3")
    assert client.post("/api/v1/devices/gate-3/revoke", headers=planner).status_code == 200
    before = scrape(client)

    batch = [tap(1), tap(2), tap(3)]
    first = client.post("/api/v1/device/taps", json={"taps": batch, "backlog": 7}, headers=gate)
    assert first.json["stored"] == 3, first.json
    resent = client.post("/api/v1/device/taps", json={"taps": [*batch[1:], tap(4)]}, headers=gate)
    assert resent.json["stored"] == 1, resent.json
    after = scrape(client)

    assert after.count(TAPS, result="stored") - before.count(TAPS, result="stored") == 4
    assert after.count(TAPS, result="duplicate") - before.count(TAPS, result="duplicate") == 2
    assert after.labelled("faregate_device_backlog", "device") == {"gate-1": 7}
    lags = after.labelled("faregate_device_sync_lag_seconds", "device")
    assert set(lags) == {"gate-1"}  # gate-2 never synced, gate-3 is revoked
    assert 0 <= lags["gate-1"] < 60
    assert before.labelled("faregate_device_sync_lag_seconds", "device") == {}


def test_requests_are_labelled_by_endpoint_never_by_their_path(client: FlaskClient) -> None:
    before = scrape(client)
    looked_up = client.get("/api/v1/bookings/SECRETREF9?email=someone@example.org")
    assert looked_up.status_code == 404
    assert client.get("/no/such/page/TRACEME").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    after = scrape(client)

    def answered(**labels: str) -> float:
        return after.count(REQUESTS, **labels) - before.count(REQUESTS, **labels)

    assert answered(endpoint="reservations.BookingByReference", method="GET", status="404") == 1
    assert answered(endpoint="unmatched", method="GET", status="404") == 1
    assert answered(endpoint="unmatched", method="other", status="405") == 1
    assert "SECRETREF9" not in after.text
    assert "TRACEME" not in after.text
    assert "BREW" not in after.text


def test_every_series_is_shown_from_the_first_scrape(client: FlaskClient) -> None:
    assert {
        "faregate_http_request_duration_seconds",
        "faregate_booking_outcomes_total",
        "faregate_taps_received_total",
        "faregate_bundle_downloads_total",
        "faregate_bundle_download_bytes_total",
        "faregate_job_runs_total",
        "faregate_job_duration_seconds",
        "faregate_live_holds",
        "faregate_live_held_places",
        "faregate_device_sync_lag_seconds",
        "faregate_device_backlog",
        "faregate_metrics_database_up",
    } <= scrape(client).families()
