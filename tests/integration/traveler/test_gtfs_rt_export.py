"""The GTFS-Realtime TripUpdates feed trip planners read, on both databases: cancelled trip
instances as CANCELED, the occupancy of opened ones leg by leg as seats are held and booked,
the protobuf read back with gtfs-realtime-bindings, the JSON view, caching, and its cost."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import event

from backend.db import Database
from backend.models import TripCancellation
from backend.services import reservations
from backend.services.gtfs_rt_export import build_trip_updates
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from tests.harness.todays_feed import AGENCY_ZONE, agency_today
from tests.integration.traveler.world import AIRPORT, BULLFROG, airport_run, book, hold

URL = "/gtfs-rt/trip-updates"
Status = rt.VehiclePosition.OccupancyStatus
NO_DATA = rt.TripUpdate.StopTimeUpdate.NO_DATA


def fetch(client: FlaskClient, url: str = URL) -> rt.FeedMessage:
    """The feed, read back with the bindings."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type == "application/x-protobuf"
    message = rt.FeedMessage()
    message.ParseFromString(answer.get_data())
    return message


def entities(message: rt.FeedMessage) -> dict[str, rt.FeedEntity]:
    return {entity.id: entity for entity in message.entity}


def levels(entity: rt.FeedEntity) -> list[tuple[int, str, str]]:
    """(stop_sequence, stop_id, occupancy) of each stop time update."""
    updates = entity.trip_update.stop_time_update
    assert all(update.schedule_relationship == NO_DATA for update in updates)
    return [
        (update.stop_sequence, update.stop_id, Status.Name(update.departure_occupancy_status))
        for update in updates
    ]


def airport_level(client: FlaskClient, day: date) -> str:
    """The occupancy on the airport run's one leg."""
    ((sequence, stop, level),) = levels(entities(fetch(client))[airport_run(day)])
    assert (sequence, stop) == (1, AIRPORT)
    return level


def cancel(database: Database, instance: str, route_id: str, day: date) -> None:
    """Record ``instance`` as cancelled, as the cancellation service does."""
    with database.sessions() as session:
        session.add(
            TripCancellation(
                trip_instance=instance,
                trip_id=instance.rpartition("@")[0],
                route_id=route_id,
                service_date=day,
                source="operator",
                reason="test",
                cancelled_at=datetime.now(UTC),
                cancelled_by=None,
                status="pending",
                done_at=None,
                rebooked=0,
                refunded=0,
            )
        )
        session.commit()


def hold_places(inventory: Inventory, day: date, places: int) -> None:
    """Hold standing places on the airport run."""
    request = HoldRequest(airport_run(day), AIRPORT, BULLFROG, party=places, seat_class="standing")
    outcome = reservations.create_hold(inventory, request, datetime.now(UTC))
    assert outcome.status == 201, outcome.body


def test_a_network_with_nothing_to_report_gives_an_empty_full_dataset(
    client: FlaskClient,
) -> None:
    before = int(datetime.now(UTC).timestamp())
    answer = client.get(URL)
    message = fetch(client)
    assert message.header.gtfs_realtime_version == "2.0"
    assert message.header.incrementality == rt.FeedHeader.FULL_DATASET
    assert before <= message.header.timestamp <= datetime.now(UTC).timestamp()
    assert list(message.entity) == []
    assert answer.headers["Cache-Control"] in ("public, max-age=5", "max-age=5, public")
    assert answer.headers["ETag"].startswith('W/"')
    assert "Set-Cookie" not in answer.headers


def test_cancelled_instances_from_yesterday_on_are_canceled_trip_updates(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    today = agency_today(datetime.now(UTC))
    hold(inventory, travel_day, "1A")  # opened for sale, then cancelled
    cancel(database, airport_run(travel_day), "AB", travel_day)
    cancel(database, f"CITY1@{travel_day.isoformat()}T12:00:00", "CITY", travel_day)
    yesterday, before = today - timedelta(days=1), today - timedelta(days=2)
    cancel(database, f"STBA@{yesterday.isoformat()}", "STBA", yesterday)
    cancel(database, f"AAMV1@{before.isoformat()}", "AAMV", before)
    found = entities(fetch(client))
    airport = found[airport_run(travel_day)].trip_update
    assert airport.trip.trip_id == "AB1"
    assert airport.trip.route_id == "AB"
    assert airport.trip.start_date == travel_day.strftime("%Y%m%d")
    assert not airport.trip.HasField("start_time")
    assert airport.trip.schedule_relationship == rt.TripDescriptor.CANCELED
    assert list(airport.stop_time_update) == []  # cancelled: no occupancy
    city = found[f"CITY1@{travel_day.isoformat()}T12:00:00"].trip_update.trip
    assert (city.trip_id, city.start_time) == ("CITY1", "12:00:00")
    assert city.schedule_relationship == rt.TripDescriptor.CANCELED
    assert f"STBA@{yesterday.isoformat()}" in found  # may still run past midnight
    assert f"AAMV1@{before.isoformat()}" not in found


def test_occupancy_follows_holds_and_bookings(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    """The test minibus has 8 seats and 3 standing places: 11 in all."""
    assert airport_run(travel_day) not in entities(fetch(client))  # not opened for sale yet
    hold(inventory, travel_day, "1A", now=datetime.now(UTC) - timedelta(hours=1))
    assert airport_level(client, travel_day) == "EMPTY"  # an expired hold counts for nothing
    hold(inventory, travel_day, "1A")
    assert airport_level(client, travel_day) == "MANY_SEATS_AVAILABLE"
    book(inventory, travel_day, {"1B": "Ada", "1C": "Ben", "1D": "Cy", "2A": "Di"}, "test")
    assert airport_level(client, travel_day) == "MANY_SEATS_AVAILABLE"  # 5 of 11
    book(inventory, travel_day, {"2B": "Ed"}, "test")
    assert airport_level(client, travel_day) == "FEW_SEATS_AVAILABLE"  # 6 of 11
    hold(inventory, travel_day, "2C", "2D")
    assert airport_level(client, travel_day) == "STANDING_ROOM_ONLY"  # every seat
    hold_places(inventory, travel_day, 2)
    assert airport_level(client, travel_day) == "CRUSHED_STANDING_ROOM_ONLY"  # 10 of 11
    hold_places(inventory, travel_day, 1)
    assert airport_level(client, travel_day) == "FULL"
    trip = entities(fetch(client))[airport_run(travel_day)].trip_update.trip
    assert (trip.trip_id, trip.route_id) == ("AB1", "AB")
    assert trip.start_date == travel_day.strftime("%Y%m%d")
    assert trip.schedule_relationship == rt.TripDescriptor.SCHEDULED


def test_occupancy_is_given_per_leg_for_the_stops_still_to_be_left(
    app: Flask, client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    run = f"CITY1@{travel_day.isoformat()}T12:00:00"
    request = HoldRequest(run, "NANAA", "DADAN", party=2)
    assert reservations.create_hold(inventory, request, datetime.now(UTC)).status == 201
    entity = entities(fetch(client))[run]
    assert entity.trip_update.trip.start_time == "12:00:00"
    assert levels(entity) == [  # the last stop, EMSI, has no departure
        (1, "STAGECOACH", "EMPTY"),
        (2, "NANAA", "MANY_SEATS_AVAILABLE"),
        (3, "NADAV", "MANY_SEATS_AVAILABLE"),
        (4, "DADAN", "EMPTY"),
    ]
    # At 12:10 on the day the run has left STAGECOACH (12:00) and NANAA (12:07); the hold has
    # expired by then.
    later = datetime.combine(travel_day, time(12, 10), tzinfo=AGENCY_ZONE)
    with inventory.database.sessions() as session:
        feed = build_trip_updates(
            session, app.extensions["faregate.version_facts"], inventory.seat_maps, later
        )
    assert levels(entities(feed.message)[run]) == [
        (3, "NADAV", "EMPTY"),
        (4, "DADAN", "EMPTY"),
    ]
    after = datetime.combine(travel_day, time(12, 30), tzinfo=AGENCY_ZONE)
    with inventory.database.sessions() as session:
        feed = build_trip_updates(
            session, app.extensions["faregate.version_facts"], inventory.seat_maps, after
        )
    assert run not in entities(feed.message)  # every departure is past


def test_the_json_view_is_the_same_message(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    hold(inventory, travel_day, "1A", "1B")
    cancel(database, f"STBA@{travel_day.isoformat()}", "STBA", travel_day)
    binary = fetch(client)
    for url in (f"{URL}?format=json", f"{URL}.json"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.mimetype == "application/json"
        assert answer.json is not None
        assert answer.json["header"]["incrementality"] == "FULL_DATASET"
        parsed = json_format.Parse(answer.get_data(as_text=True), rt.FeedMessage())
        assert list(parsed.entity) == list(binary.entity)
        assert parsed.header.gtfs_realtime_version == binary.header.gtfs_realtime_version
        assert abs(parsed.header.timestamp - binary.header.timestamp) <= 2
    by_id = {entity["id"]: entity for entity in client.get(f"{URL}.json").json["entity"]}
    stops = by_id[airport_run(travel_day)]["trip_update"]["stop_time_update"]
    assert stops[0]["departure_occupancy_status"] == "MANY_SEATS_AVAILABLE"
    canceled = by_id[f"STBA@{travel_day.isoformat()}"]["trip_update"]["trip"]
    assert canceled["schedule_relationship"] == "CANCELED"


def test_a_copy_is_revalidated_by_its_etag_until_the_content_changes(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    first = client.get(URL)
    etag = first.headers["ETag"]
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    json_etag = client.get(f"{URL}.json").headers["ETag"]
    assert json_etag != etag
    hold(inventory, travel_day, "1A")
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_the_feed_costs_the_same_queries_however_many_trips_are_open(
    app: Flask, client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    engine = app.extensions["faregate.database"].engine
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    hold(inventory, travel_day, "1A")
    fetch(client)  # the version's facts are loaded once, then kept
    event.listen(engine, "before_cursor_execute", count)
    try:
        fetch(client)
        one_trip = len(statements)
        statements.clear()
        for hour in range(8, 20):
            run = f"CITY1@{travel_day.isoformat()}T{hour:02d}:30:00"
            request = HoldRequest(run, "STAGECOACH", "EMSI", party=1)
            assert reservations.create_hold(inventory, request, datetime.now(UTC)).status == 201
        stba = HoldRequest(
            f"STBA@{travel_day.isoformat()}", "STAGECOACH", "BEATTY_AIRPORT", party=1
        )
        assert reservations.create_hold(inventory, stba, datetime.now(UTC)).status == 201
        statements.clear()
        message = fetch(client)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(message.entity) == 14
    assert len(statements) == one_trip, statements


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("post", URL, 405, "method_not_allowed"),
        ("get", f"{URL}?format=xml", 422, "validation_failed"),
        ("get", "/gtfs-rt/vehicle-positions", 404, "not_found"),
    ],
)
def test_refusals_are_json_envelopes_not_pages(
    client: FlaskClient, method: str, url: str, status: int, code: str
) -> None:
    answer = getattr(client, method)(url)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    assert answer.json["error"]["code"] == code
