"""Vehicle assignments through the API and the CLI: blocks resolved in departure order,
explicit trip lists kept in order, refusals with codes that change nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from backend.cli import cli
from backend.db import Database
from tests.harness.vehicles import publish_block_feed

DAY = "2008-06-02"  # a Monday
URL = f"/api/v1/vehicle-assignments/{DAY}"


@pytest.fixture
def published(database: Database, tmp_path: Path) -> None:
    publish_block_feed(database, tmp_path)


def _put(client: FlaskClient, headers: dict[str, str], vehicle: str, body: Any) -> Any:
    return client.put(f"{URL}/{vehicle}", json=body, headers=headers)


@pytest.mark.usefixtures("published")
def test_a_block_runs_its_trips_of_the_day_in_departure_order(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    answer = _put(client, planner, "bus-17", {"block_id": "2"})
    assert answer.status_code == 200, answer.json
    assert answer.json["block_id"] == "2"
    assert answer.json["trips"] == [f"BFC2@{DAY}", f"AB2@{DAY}"]
    shown = client.get(f"{URL}/bus-17", headers=planner)
    assert shown.json == answer.json


@pytest.mark.usefixtures("published")
def test_a_frequency_based_trip_of_a_block_runs_once_per_run(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    trips = _put(client, planner, "bus-9", {"block_id": "C"}).json["trips"]
    assert trips[:2] == [f"CITY1@{DAY}T06:00:00", f"CITY2@{DAY}T06:00:00"]
    starts = [trip.rpartition("T")[2] for trip in trips]
    assert starts == sorted(starts)
    assert len(set(trips)) == len(trips) > 40
    assert {trip.partition("@")[0] for trip in trips} == {"CITY1", "CITY2"}


@pytest.mark.usefixtures("published")
def test_explicit_trips_keep_their_order_and_a_new_assignment_replaces_the_old(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    given = [f"AB2@{DAY}", f"AB1@{DAY}"]
    assert _put(client, planner, "bus-18", {"trips": given}).json["trips"] == given
    _put(client, planner, "bus-17", {"block_id": "2"})
    replaced = _put(client, planner, "bus-17", {"block_id": "1"})
    assert replaced.json["trips"] == [f"AB1@{DAY}", f"BFC1@{DAY}"]

    listed = client.get(f"/api/v1/vehicle-assignments?date={DAY}", headers=planner)
    assert listed.status_code == 200
    assert [(a["vehicle_id"], a["block_id"], a["trips"]) for a in listed.json] == [
        ("bus-17", "1", [f"AB1@{DAY}", f"BFC1@{DAY}"]),
        ("bus-18", None, given),
    ]
    other_day = client.get("/api/v1/vehicle-assignments?date=2008-06-03", headers=planner)
    assert other_day.json == []

    assert client.delete(f"{URL}/bus-17", headers=planner).status_code == 204
    gone = client.get(f"{URL}/bus-17", headers=planner)
    assert (gone.status_code, gone.json["error"]["code"]) == (404, "assignment_not_found")
    again = client.delete(f"{URL}/bus-17", headers=planner)
    assert (again.status_code, again.json["error"]["code"]) == (404, "assignment_not_found")


REFUSALS = [
    ({"block_id": "NOPE"}, "block_not_found"),
    ({"block_id": "W"}, "block_not_running"),  # weekend trips on a Monday
    ({"trips": [f"NOPE@{DAY}"]}, "trip_not_found"),
    ({"trips": [f"AAMV1@{DAY}"]}, "trip_not_running"),
    ({"trips": ["AB1@2008-06-03"]}, "trip_on_other_day"),
    ({"trips": [f"AB1@{DAY}", f"BFC1@{DAY}", f"AB1@{DAY}"]}, "duplicate_trip"),
    ({"trips": ["AB1"]}, "invalid_trip_instance"),
    ({"trips": [f"CITY1@{DAY}T06:10:00"]}, "trip_not_running"),  # not a run of CITY1
    ({}, "block_or_trips"),
    ({"block_id": "1", "trips": [f"AB1@{DAY}"]}, "block_or_trips"),
    ({"trips": []}, "validation_failed"),
    ({"block_id": 7}, "validation_failed"),
]


@pytest.mark.usefixtures("published")
def test_refusals_carry_a_code_and_change_nothing(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    kept = _put(client, planner, "bus-17", {"block_id": "1"}).json
    for body, code in REFUSALS:
        refused = _put(client, planner, "bus-17", body)
        assert (refused.status_code, refused.json["error"]["code"]) == (422, code), body
        refused_new = _put(client, planner, "bus-99", body)
        assert refused_new.json["error"]["code"] == code, body
    listed = client.get(f"/api/v1/vehicle-assignments?date={DAY}", headers=planner).json
    assert listed == [kept]

    holiday = client.put(
        "/api/v1/vehicle-assignments/2007-06-04/bus-17", json={"block_id": "1"}, headers=planner
    )  # FULLW is removed on that day
    assert holiday.json["error"]["code"] == "block_not_running"
    bad_day = client.put(
        "/api/v1/vehicle-assignments/2008-13-01/bus-17", json={"block_id": "1"}, headers=planner
    )
    assert (bad_day.status_code, bad_day.json["error"]["code"]) == (400, "invalid_service_date")
    basic = client.get("/api/v1/vehicle-assignments/20080602/bus-17", headers=planner)
    assert basic.json["error"]["code"] == "invalid_service_date"
    no_day = client.get("/api/v1/vehicle-assignments", headers=planner)
    assert (no_day.status_code, no_day.json["error"]["code"]) == (422, "validation_failed")


@pytest.mark.usefixtures("published")
def test_only_planners_and_admins_assign_and_any_staff_reads(
    client: FlaskClient, planner: dict[str, str], staff_token: Callable[..., str]
) -> None:
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    admin = {"Authorization": f"Bearer {staff_token('admin')}"}
    denied = _put(client, support, "bus-17", {"block_id": "1"})
    assert (denied.status_code, denied.json["error"]["code"]) == (403, "insufficient_role")
    assert _put(client, admin, "bus-17", {"block_id": "1"}).status_code == 200
    removal = client.delete(f"{URL}/bus-17", headers=support)
    assert removal.status_code == 403
    assert client.get(f"{URL}/bus-17", headers=support).status_code == 200
    anonymous = client.get(f"{URL}/bus-17")
    assert (anonymous.status_code, anonymous.json["error"]["code"]) == (
        401,
        "authentication_required",
    )


def test_without_a_published_timetable_nothing_is_assigned(
    client: FlaskClient, planner: dict[str, str]
) -> None:
    refused = _put(client, planner, "bus-17", {"block_id": "1"})
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "no_active_feed")
    assert client.get(f"/api/v1/vehicle-assignments?date={DAY}", headers=planner).json == []


def _run(database_url: str, *args: str) -> Result:
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.usefixtures("published")
def test_the_cli_assigns_lists_and_unassigns(database_url: str) -> None:
    block = _run(database_url, "vehicles", "assign", DAY, "bus-17", "--block", "2")
    assert block.exit_code == 0, block.output
    assert block.output == f"bus-17\tblock 2\tBFC2@{DAY} AB2@{DAY}\n"
    trips = _run(
        database_url, "vehicles", "assign", DAY, "bus-18", "--trip", f"AB1@{DAY}",
        "--trip", f"BFC2@{DAY}",
    )  # fmt: skip
    assert trips.exit_code == 0, trips.output

    listed = _run(database_url, "vehicles", "list", DAY)
    assert listed.output.splitlines() == [
        f"bus-17\tblock 2\tBFC2@{DAY} AB2@{DAY}",
        f"bus-18\ttrips\tAB1@{DAY} BFC2@{DAY}",
    ]
    unknown = _run(database_url, "vehicles", "assign", DAY, "bus-17", "--block", "NOPE")
    assert unknown.exit_code == 1
    assert "error [block_not_found]" in unknown.output
    assert _run(database_url, "vehicles", "unassign", DAY, "bus-17").exit_code == 0
    assert _run(database_url, "vehicles", "list", DAY).output.splitlines() == [
        f"bus-18\ttrips\tAB1@{DAY} BFC2@{DAY}"
    ]
    again = _run(database_url, "vehicles", "unassign", DAY, "bus-17")
    assert (again.exit_code, "error [assignment_not_found]" in again.output) == (1, True)
