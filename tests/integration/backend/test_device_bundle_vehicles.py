"""The device bundle carries the vehicles' trips and the reserved trips' manifests of the
service days it covers, and a bus validator given that bundle runs its vehicle's trips."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.clock import utc_now
from backend.db import Database
from backend.services.device_bundles import covered_days, current_bundle
from backend.services.signing_keys import load_keyring
from backend.settings import Settings
from fares.bundle import RuleBundle, open_bundle
from fares.rules import DeviceRole
from hardware.ports import Verdict
from tests.harness.reservations import book_through_api, reservable_settings
from tests.harness.vehicles import ZONE, publish_block_feed
from tests.unit.validator_agent.fakes import ManualClock, RecordingGate, agent_config, qr_event
from validator_agent.bundles import BundleKeeper
from validator_agent.config import AgentConfig
from validator_agent.driver_trips import clear_trip, set_trip
from validator_agent.runtime import Runtime
from validator_agent.store import Store

AgentFactory = Callable[[bytes, ManualClock], "BusValidator"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def today(database: Database, tmp_path: Path) -> date:
    """The current service day, with the block feed published."""
    publish_block_feed(database, tmp_path)
    return covered_days(ZONE, utc_now())[0]


@pytest.fixture
def bus(client: FlaskClient, planner: dict[str, str]) -> dict[str, str]:
    """The Authorization header of a provisioned validator on bus-17."""
    created = client.post(
        "/api/v1/devices", json={"id": "bus-17-front", "role": "bus", "vehicle_id": "bus-17"},
        headers=planner,
    )  # fmt: skip
    provisioned = client.post(
        "/api/v1/devices/provision", json={"token": created.json["provisioning_token"]}
    )
    return {"Authorization": f"Device {provisioned.json['token']}"}


def _assign(
    client: FlaskClient, planner: dict[str, str], day: date, vehicle: str, body: Any
) -> None:
    answer = client.put(f"/api/v1/vehicle-assignments/{day}/{vehicle}", json=body, headers=planner)
    assert answer.status_code == 200, answer.json


def local(day: date, hour: int, minute: int = 0) -> int:
    """Epoch seconds of a local time of the agency on ``day``."""
    return int(datetime.combine(day, time(hour, minute), ZONE).timestamp())


def _open(blob: bytes, signing_keys_file: str) -> RuleBundle:
    now = utc_now()
    bundle = open_bundle(blob, load_keyring(Path(signing_keys_file)).key_set(now), now)
    assert isinstance(bundle, RuleBundle), bundle
    return bundle


def test_the_bundle_holds_each_vehicle_trips_of_today_and_tomorrow_and_booked_manifests(
    client: FlaskClient, planner: dict[str, str], bus: dict[str, str], today: date,
    signing_keys_file: str,
) -> None:  # fmt: skip
    tomorrow = today + timedelta(days=1)
    for offset in range(-1, 3):  # the days around the covered ones, which the bundle leaves out
        _assign(client, planner, today + timedelta(days=offset), "bus-17", {"block_id": "1"})
    _assign(client, planner, tomorrow, "bus-18", {"trips": [f"BFC2@{tomorrow}", f"AB1@{tomorrow}"]})
    _, booked = book_through_api(client, f"AB1@{tomorrow}", "BEATTY_AIRPORT", "BULLFROG", "Ada")
    book_through_api(client, f"AB1@{today + timedelta(days=9)}", "BEATTY_AIRPORT", "BULLFROG", "Bo")

    response = client.get("/api/v1/device/bundle", headers=bus)
    assert response.status_code == 200
    bundle = _open(response.data, signing_keys_file)
    first, second = covered_days(ZONE, datetime.fromtimestamp(bundle.issued_at, UTC))
    assert bundle.vehicle_trips["bus-17"] == (
        f"AB1@{first}", f"BFC1@{first}", f"AB1@{second}", f"BFC1@{second}",
    )  # fmt: skip
    assert bundle.vehicle_trips["bus-18"] == (f"BFC2@{tomorrow}", f"AB1@{tomorrow}")
    listed = {trip for trips in bundle.vehicle_trips.values() for trip in trips}
    assert set(bundle.trip_times) == listed  # when each runs: AB1 08:00-08:10, local time
    assert bundle.trip_times[f"AB1@{first}"] == (local(first, 8), local(first, 8, 10))
    assert bundle.trip_times[f"BFC2@{tomorrow}"] == (local(tomorrow, 11), local(tomorrow, 12))
    assert set(bundle.manifests) == {f"AB1@{tomorrow}"}  # not the booking nine days ahead
    manifest = bundle.manifests[f"AB1@{tomorrow}"]
    assert manifest.stop_ids == ("BEATTY_AIRPORT", "BULLFROG")
    passenger = booked["passengers"][0]
    assert dict(manifest.seats) == {passenger["ticket_id"]: passenger["seat"]}


def test_the_etag_changes_when_an_assignment_of_a_covered_day_changes(
    client: FlaskClient, planner: dict[str, str], bus: dict[str, str], today: date,
    signing_keys_file: str,
) -> None:  # fmt: skip
    first = client.get("/api/v1/device/bundle", headers=bus)
    assert _open(first.data, signing_keys_file).vehicle_trips == {}
    _assign(client, planner, today + timedelta(days=1), "bus-17", {"block_id": "2"})
    assigned = client.get(
        "/api/v1/device/bundle", headers={**bus, "If-None-Match": first.headers["ETag"]}
    )
    assert assigned.status_code == 200
    assert assigned.headers["ETag"] != first.headers["ETag"]
    assert len(_open(assigned.data, signing_keys_file).vehicle_trips["bus-17"]) == 2

    _assign(client, planner, today + timedelta(days=1), "bus-17", {"block_id": "1"})
    replaced = client.get("/api/v1/device/bundle", headers=bus)
    assert replaced.headers["ETag"] not in (first.headers["ETag"], assigned.headers["ETag"])
    assert _open(replaced.data, signing_keys_file).vehicle_trips["bus-17"][0].startswith("AB1@")

    removal = client.delete(
        f"/api/v1/vehicle-assignments/{today + timedelta(days=1)}/bus-17", headers=planner
    )
    assert removal.status_code == 204
    removed = client.get("/api/v1/device/bundle", headers=bus)
    assert removed.headers["ETag"] != replaced.headers["ETag"]
    assert _open(removed.data, signing_keys_file).vehicle_trips == {}


def test_changes_to_days_the_bundle_does_not_cover_keep_the_same_bundle(
    client: FlaskClient, planner: dict[str, str], app: Flask, database: Database, today: date
) -> None:
    at = datetime.combine(today, datetime.min.time(), ZONE).replace(hour=12)
    inventory = app.extensions["faregate.inventory"]
    with database.sessions() as session:
        before = current_bundle(session, inventory, at)
    later = today + timedelta(days=5)
    _assign(client, planner, later, "bus-17", {"block_id": "1"})
    book_through_api(client, f"AB1@{later}", "BEATTY_AIRPORT", "BULLFROG", "Ada")
    with database.sessions() as session:
        unchanged = current_bundle(session, inventory, at)
    _assign(client, planner, today, "bus-17", {"block_id": "1"})
    with database.sessions() as session:
        changed = current_bundle(session, inventory, at)
    assert (unchanged.version, unchanged.etag) == (before.version, before.etag)
    assert changed.version > before.version


@dataclass
class BusValidator:
    """Validator bus-17-front: its config, store, runtime and the bundle it installed."""

    config: AgentConfig
    store: Store
    runtime: Runtime
    bundle: RuleBundle


@pytest.fixture
def bus_agent(tmp_path: Path, signing_keys_file: str) -> Iterator[AgentFactory]:
    """Make the agent of validator bus-17-front, with its store in a file, given a bundle."""
    store = Store.open(tmp_path / "agent.db")
    trusted = load_keyring(Path(signing_keys_file)).key_set(utc_now())
    config = replace(
        agent_config(tmp_path / "agent.db"), device_id="bus-17-front", role=DeviceRole.BUS,
        stop_id=None, vehicle_id="bus-17", trusted_keys=trusted,
    )  # fmt: skip

    def make(blob: bytes, clock: ManualClock) -> BusValidator:
        runtime = Runtime(
            config, store, BundleKeeper(store, trusted, clock), [RecordingGate()], clock
        )
        installed = runtime.install_bundle(blob)
        assert isinstance(installed, RuleBundle), installed
        return BusValidator(config, store, runtime, installed)

    yield make
    store.close()


def test_a_bus_validator_runs_its_vehicle_trips_from_the_server_bundle_by_the_clock(
    client: FlaskClient, planner: dict[str, str], bus: dict[str, str], today: date,
    bus_agent: AgentFactory,
) -> None:  # fmt: skip
    tomorrow = today + timedelta(days=1)
    for day in (tomorrow, tomorrow + timedelta(days=1)):
        _assign(client, planner, day, "bus-17", {"block_id": "1"})
    _, booked = book_through_api(
        client, f"AB1@{tomorrow}", "BEATTY_AIRPORT", "BULLFROG", "Ada", "Bo"
    )
    ada, bo = (
        client.get(f"/api/v1/tickets/{passenger['ticket_id']}").json
        for passenger in booked["passengers"]
    )
    blob = client.get("/api/v1/device/bundle", headers=bus).data
    # AB1 runs 08:00-08:10 from BEATTY_AIRPORT, then BFC1 leaves BULLFROG at 08:20.
    clock = ManualClock(datetime.combine(tomorrow, time(7, 55), ZONE))
    validator = bus_agent(blob, clock)
    validator.runtime.set_stop("BEATTY_AIRPORT")

    def tap(ticket: dict[str, Any]) -> tuple[Verdict, str | None, str | None]:
        outcome = validator.runtime.handle(qr_event(ticket["qr_text"], clock.now()))
        assert outcome.row is not None  # journaled before the gate moved
        return outcome.command.verdict, outcome.row.tap.reason, outcome.row.tap.trip_instance

    assert tap(ada) == (Verdict.OPEN, None, f"AB1@{tomorrow}")  # boarding before 08:00
    clock.advance(16 * 60)  # 08:11: BFC1 boards
    assert tap(bo) == (Verdict.DENY, "wrong_trip", f"BFC1@{tomorrow}")
    # The driver: the bus is still running AB1.
    set_trip(validator.store, validator.bundle, validator.config, f"AB1@{tomorrow}", clock.now())
    assert tap(bo) == (Verdict.OPEN, None, f"AB1@{tomorrow}")
    clear_trip(validator.store, validator.bundle, validator.config, clock.now())
    assert validator.runtime.status()["trip"] == {
        "vehicle_id": "bus-17", "instance": f"BFC1@{tomorrow}", "source": "timetable"}  # fmt: skip
