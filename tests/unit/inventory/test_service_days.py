"""Service calendars and GTFS times as local datetimes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.service_days import WeeklyService, active_services, frequency_starts, service_time
from inventory.trip_instances import InvalidTripInstanceError, TripInstance

WARSAW = ZoneInfo("Europe/Warsaw")
WEEKDAYS_ONLY = WeeklyService((True,) * 5 + (False,) * 2, date(2026, 1, 1), date(2026, 12, 31))


def test_weekly_pattern_and_exceptions() -> None:
    weekly = {"WK": WEEKDAYS_ONLY}
    assert active_services(date(2026, 3, 2), weekly, []) == {"WK"}
    assert active_services(date(2026, 3, 7), weekly, []) == set()
    assert active_services(date(2026, 3, 2), weekly, [("WK", 2)]) == set()
    assert active_services(date(2026, 3, 7), weekly, [("EXTRA", 1)]) == {"EXTRA"}
    assert active_services(date(2027, 1, 4), weekly, []) == set()


def test_times_past_midnight_belong_to_the_service_day() -> None:
    moment = service_time(date(2026, 5, 4), 25 * 3600 + 600, WARSAW)
    assert moment == datetime(2026, 5, 5, 1, 10, tzinfo=WARSAW)


def test_times_count_from_noon_minus_twelve_hours_on_clock_change_days() -> None:
    # On 2026-03-29 Warsaw skips 02:00-03:00: noon minus 12 h is 23:00 the day before, so
    # times after the change read as wall-clock times and 01:30:00 is half past midnight.
    spring = service_time(date(2026, 3, 29), 8 * 3600, WARSAW)
    assert spring.isoformat() == "2026-03-29T08:00:00+02:00"
    early = service_time(date(2026, 3, 29), 5400, WARSAW)
    assert early.isoformat() == "2026-03-29T00:30:00+01:00"
    ordinary = service_time(date(2026, 3, 30), 8 * 3600, WARSAW)
    assert ordinary.isoformat() == "2026-03-30T08:00:00+02:00"


def test_frequency_runs_exclude_the_end_time() -> None:
    assert list(frequency_starts(6 * 3600, 7 * 3600, 1800)) == [21600, 23400]


@given(
    trip_id=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    start=st.one_of(st.none(), st.integers(min_value=0, max_value=48 * 3600)),
)
def test_trip_instance_ids_round_trip(trip_id: str, day: date, start: int | None) -> None:
    instance = TripInstance(trip_id, day, start)
    assert TripInstance.parse(str(instance)) == instance


@pytest.mark.parametrize("text", ["", "AB1", "@2026-01-01", "AB1@2026-13-01", "AB1@2026-01-01T8"])
def test_bad_trip_instance_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidTripInstanceError):
        TripInstance.parse(text)
