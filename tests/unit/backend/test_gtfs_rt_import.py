"""Reading a GTFS-Realtime TripUpdates feed: which trip instances of the active timetable it
cancels, on feeds built with gtfs-realtime-bindings, and garbage refused with a clear error."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from google.transit import gtfs_realtime_pb2 as rt
from hypothesis import given
from hypothesis import strategies as st

from backend.services.gtfs_rt_import import (
    REASON,
    ActiveTimetable,
    RealtimeFeedError,
    TripRef,
    cancelled_instances,
    cancelled_trip_ids,
    parse_feed,
)
from backend.services.version_facts import VersionFacts
from inventory.service_days import WeeklyService

LOCAL = ZoneInfo("America/Los_Angeles")
EVERY_DAY = (True, True, True, True, True, True, True)
WEEKDAYS = (True, True, True, True, True, False, False)
# 2024-03-05 02:30 UTC is still Monday 4 March in Los Angeles.
NOW = datetime(2024, 3, 5, 2, 30, tzinfo=UTC)
MONDAY, TUESDAY, SATURDAY = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 9)
CANCELED = rt.TripDescriptor.CANCELED


def timetable() -> ActiveTimetable:
    """Trip AB1 runs every day, WK1 on weekdays, CITY1 every half hour from 06:00."""
    facts = VersionFacts(
        version=7,
        zones={"DTA": LOCAL, None: LOCAL},
        weekly={
            "ALL": WeeklyService(EVERY_DAY, date(2024, 1, 1), date(2024, 12, 31)),
            "WK": WeeklyService(WEEKDAYS, date(2024, 1, 1), date(2024, 12, 31)),
        },
        exceptions={},
        runs={"CITY1": [(21600, 21600), (21600, 23400), (21600, 90000)]},
    )
    trips = {
        "AB1": TripRef("AB", "ALL", "DTA"),
        "WK1": TripRef("WK", "WK", "DTA"),
        "CITY1": TripRef("CITY", "ALL", "DTA"),
    }
    return ActiveTimetable(facts, trips)


def feed(*updates: dict[str, object], timestamp: int = 1_709_605_800) -> bytes:
    """A FeedMessage with one TripUpdate entity per ``updates`` (TripDescriptor fields, plus
    ``entity_id`` and ``is_deleted``)."""
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = timestamp
    for number, fields in enumerate(updates):
        details = dict(fields)
        entity = message.entity.add()
        entity.id = str(details.pop("entity_id", f"e{number}"))
        if details.pop("is_deleted", False):
            entity.is_deleted = True
        for name, value in details.items():
            setattr(entity.trip_update.trip, name, value)
        if not entity.trip_update.trip.ListFields():
            entity.trip_update.trip.SetInParent()
    data: bytes = message.SerializeToString()
    return data


def test_a_canceled_trip_with_its_start_date_is_that_trip_instance() -> None:
    data = feed({"trip_id": "AB1", "start_date": "20240305", "schedule_relationship": CANCELED})
    assert cancelled_instances(data, timetable(), now=NOW) == [("AB1@2024-03-05", REASON)]


def test_only_canceled_and_deleted_trips_cancel() -> None:
    relationships = rt.TripDescriptor.ScheduleRelationship
    data = feed(
        *(
            {"trip_id": "AB1", "start_date": f"2024030{day}", "schedule_relationship": value}
            for day, value in enumerate(
                [
                    relationships.Value("CANCELED"),
                    relationships.Value("SCHEDULED"),
                    relationships.Value("ADDED"),
                    relationships.Value("UNSCHEDULED"),
                    relationships.Value("DUPLICATED"),
                    relationships.Value("DELETED"),
                ],
                start=4,
            )
        ),
        {"trip_id": "AB1", "start_date": "20240310"},  # SCHEDULED by default
    )
    found = [instance for instance, _ in cancelled_instances(data, timetable(), now=NOW)]
    assert found == ["AB1@2024-03-04", "AB1@2024-03-09"]


def test_without_start_date_the_current_service_day_of_the_agency_is_meant() -> None:
    data = feed({"trip_id": "AB1", "schedule_relationship": CANCELED})
    assert NOW.date() == TUESDAY
    assert cancelled_instances(data, timetable(), now=NOW)[0][0] == f"AB1@{MONDAY.isoformat()}"


def test_unknown_trips_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    data = feed(
        {"trip_id": "GHOST", "start_date": "20240305", "schedule_relationship": CANCELED,
         "entity_id": "ghost-1"},
        {"trip_id": "AB1", "start_date": "20240305", "schedule_relationship": CANCELED},
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="backend.services.gtfs_rt_import"):
        found = cancelled_instances(data, timetable(), now=NOW)
    assert [instance for instance, _ in found] == ["AB1@2024-03-05"]
    assert "'ghost-1'" in caplog.text
    assert "'GHOST' is not in the active timetable" in caplog.text


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"trip_id": "WK1", "start_date": "20240309"}, "does not run on 2024-03-09"),
        ({"trip_id": "AB1", "start_date": "2024-03-05"}, "is not a date YYYYMMDD"),
        ({"trip_id": "AB1", "start_date": "20240230"}, "is not a date YYYYMMDD"),
        ({"route_id": "AB", "start_date": "20240305", "start_time": "08:00:00"}, "no trip_id"),
        ({"trip_id": "CITY1", "start_date": "20240305"}, "needs a start_time"),
        (
            {"trip_id": "CITY1", "start_date": "20240305", "start_time": "6:30"},
            "needs a start_time",
        ),
        ({"trip_id": "CITY1", "start_date": "20240305", "start_time": "06:10:00"}, "no run at"),
    ],
)
def test_updates_naming_no_running_instance_are_skipped(
    fields: dict[str, object], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = feed({**fields, "schedule_relationship": CANCELED})
    with caplog.at_level(logging.WARNING, logger="backend.services.gtfs_rt_import"):
        assert cancelled_instances(data, timetable(), now=NOW) == []
    assert why in caplog.text


def test_a_frequency_run_is_named_by_its_start_time_even_past_midnight() -> None:
    data = feed(
        {"trip_id": "CITY1", "start_date": "20240305", "start_time": "06:30:00",
         "schedule_relationship": CANCELED},
        {"trip_id": "CITY1", "start_date": "20240305", "start_time": "25:00:00",
         "schedule_relationship": CANCELED},
    )  # fmt: skip
    found = [instance for instance, _ in cancelled_instances(data, timetable(), now=NOW)]
    assert found == ["CITY1@2024-03-05T06:30:00", "CITY1@2024-03-05T25:00:00"]


def test_a_scheduled_trip_ignores_start_time_and_a_weekday_trip_runs_on_weekdays() -> None:
    data = feed(
        {"trip_id": "WK1", "start_date": "20240304", "start_time": "07:00:00",
         "schedule_relationship": CANCELED},
    )  # fmt: skip
    assert cancelled_instances(data, timetable(), now=NOW)[0][0] == "WK1@2024-03-04"


def test_each_instance_once_and_deleted_entities_ignored() -> None:
    data = feed(
        {"trip_id": "AB1", "start_date": "20240305", "schedule_relationship": CANCELED},
        {"trip_id": "AB1", "start_date": "20240305", "schedule_relationship": CANCELED,
         "entity_id": "again"},
        {"trip_id": "AB1", "start_date": "20240306", "schedule_relationship": CANCELED,
         "is_deleted": True},
    )  # fmt: skip
    assert cancelled_instances(data, timetable(), now=NOW) == [("AB1@2024-03-05", REASON)]


def test_entities_other_than_trip_updates_change_nothing() -> None:
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    alert = message.entity.add(id="alert")
    alert.alert.informed_entity.add(trip=rt.TripDescriptor(trip_id="AB1"))
    vehicle = message.entity.add(id="vehicle")
    vehicle.vehicle.trip.trip_id = "AB1"
    vehicle.vehicle.trip.schedule_relationship = CANCELED
    assert cancelled_instances(message.SerializeToString(), timetable(), now=NOW) == []
    assert cancelled_instances(message, timetable(), now=NOW) == []


def test_the_trip_ids_to_look_up_are_those_of_cancelling_updates() -> None:
    data = feed(
        {"trip_id": "AB1", "schedule_relationship": CANCELED},
        {"trip_id": "WK1"},
        {"route_id": "AB", "schedule_relationship": CANCELED},
        {"trip_id": "GHOST", "schedule_relationship": rt.TripDescriptor.DELETED},
    )
    assert cancelled_trip_ids(parse_feed(data)) == {"AB1", "GHOST"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage, not a protocol buffer",
        bytes(range(256)),
        b"\x0a\x00",  # a header missing its required gtfs_realtime_version
        b"<html><body>502 Bad Gateway</body></html>",
    ],
)
def test_garbage_is_refused_with_a_clear_error(data: bytes) -> None:
    with pytest.raises(RealtimeFeedError) as raised:
        cancelled_instances(data, timetable(), now=NOW)
    assert raised.value.code == "invalid_realtime_feed"
    assert "not a GTFS-Realtime FeedMessage" in raised.value.message


@given(st.binary(max_size=200))
def test_any_bytes_give_instances_or_the_feed_error(data: bytes) -> None:
    code = None
    try:
        found = cancelled_instances(data, timetable(), now=NOW)
    except RealtimeFeedError as error:
        code = error.code
    else:
        assert all(isinstance(instance, str) for instance, _ in found)
    assert code in (None, "invalid_realtime_feed")
