"""A bus's current trip: its vehicle's timed trips of the day, the driver's choice over them,
and the list's order when a bundle carries no times."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fares.bundle import RuleBundle
from tests.unit.fares.builders import TRIP, open_test_bundle
from validator_agent.trip_timetable import (
    CurrentTrip,
    TripSettings,
    TripSource,
    select_trip,
    trips_ended_by,
)

SETTINGS = TripSettings(boarding_lead_s=600, last_trip_grace_s=900, driver_hold_s=4 * 3600)
DAY = datetime(2026, 6, 1, tzinfo=UTC)  # service dates 2026-06-01 and 2026-06-02
MORNING, MIDDAY, LATE = "R10@2026-06-01", "R11@2026-06-01", "N90@2026-06-01"
NEXT_MORNING = "R10@2026-06-02"
ANOTHER_BUS = "R20@2026-06-01"


def at(hours: float, day: int = 0) -> datetime:
    """An instant on the first service date (hours past 24 are the next morning)."""
    return DAY + timedelta(days=day, hours=hours)


# The day of bus-17: two trips back to back (the second boards before the first arrives), a
# late trip that runs past midnight (GTFS 23:30:00-24:40:00), and the next day's first trip.
SCHEDULE = {
    MORNING: (at(9), at(10)),
    MIDDAY: (at(10, 0) + timedelta(minutes=5), at(11)),
    LATE: (at(23.5), at(24) + timedelta(minutes=40)),
    NEXT_MORNING: (at(9, 1), at(10, 1)),
}


def timed_bundle(
    times: Mapping[str, tuple[datetime, datetime]] | None = None,
    trips: tuple[str, ...] = (MORNING, MIDDAY, LATE, NEXT_MORNING),
) -> RuleBundle:
    """bus-17 runs ``trips``; ``times`` (default: SCHEDULE) says when."""
    return open_test_bundle(
        vehicle_trips={"bus-17": trips, "bus-18": [ANOTHER_BUS]},
        trip_times=SCHEDULE if times is None else times,
    )


BUNDLE = timed_bundle()


def trip_at(
    moment: datetime,
    bundle: RuleBundle = BUNDLE,
    chosen: str | None = None,
    finished: Collection[str] = (),
) -> str | None:
    current = select_trip(bundle, "bus-17", moment, chosen, finished, settings=SETTINGS)
    return None if current is None else current.instance


def test_before_the_first_trip_boards_the_bus_runs_no_trip() -> None:
    assert trip_at(at(6)) is None
    assert trip_at(at(8, 0) + timedelta(minutes=49)) is None


def test_the_first_trip_is_current_from_its_boarding_lead() -> None:
    current = select_trip(BUNDLE, "bus-17", at(8) + timedelta(minutes=50), None, (),
                          settings=SETTINGS)  # fmt: skip
    assert current == CurrentTrip(MORNING, TripSource.TIMETABLE)


def test_a_running_trip_is_current_until_the_next_one_boards() -> None:
    assert trip_at(at(9.5)) == MORNING
    assert trip_at(at(9) + timedelta(minutes=54)) == MORNING
    assert trip_at(at(9) + timedelta(minutes=56)) == MIDDAY  # boards before MORNING arrives
    assert trip_at(at(10.5)) == MIDDAY


def test_between_trips_of_the_day_the_next_one_is_current() -> None:
    assert trip_at(at(11) + timedelta(seconds=1)) == LATE
    assert trip_at(at(17)) == LATE


def test_a_trip_past_midnight_runs_to_its_arrival_then_the_grace() -> None:
    assert trip_at(at(24) + timedelta(minutes=20)) == LATE
    assert trip_at(at(24) + timedelta(minutes=50)) == LATE  # late: within the 15 min grace
    assert trip_at(at(24) + timedelta(minutes=56)) is None  # the day's work is over
    assert trip_at(at(6, 1)) is None
    assert trip_at(at(8, 1) + timedelta(minutes=55)) == NEXT_MORNING


def test_after_the_last_trip_and_its_grace_the_bus_runs_none() -> None:
    last = at(10, 1)
    assert trip_at(last + timedelta(minutes=15)) == NEXT_MORNING
    assert trip_at(last + timedelta(minutes=15, seconds=1)) is None
    assert trip_at(at(12, 3)) is None


def test_ending_a_trip_moves_on_to_the_next() -> None:
    assert trip_at(at(9.25), finished={MORNING}) == MIDDAY
    assert trip_at(at(9.25), finished={MORNING, MIDDAY}) == LATE
    # Ending the day's last trip early leaves no trip, not the next day's.
    assert trip_at(at(24.25), finished={MORNING, MIDDAY, LATE}) is None


def test_what_ending_a_trip_finishes() -> None:
    assert trips_ended_by(BUNDLE, "bus-17", MIDDAY) == [MORNING, MIDDAY]
    assert trips_ended_by(BUNDLE, "bus-17", ANOTHER_BUS) == [ANOTHER_BUS]


def test_the_drivers_choice_wins_until_its_hold_after_the_trips_end_runs_out() -> None:
    chosen = select_trip(BUNDLE, "bus-17", at(9.5), ANOTHER_BUS, (), settings=SETTINGS)
    assert chosen == CurrentTrip(ANOTHER_BUS, TripSource.DRIVER)  # untimed: held all its day
    assert trip_at(at(12), chosen=MORNING) == MORNING  # a late bus, two hours after
    assert trip_at(at(14), chosen=MORNING) == MORNING
    assert trip_at(at(14) + timedelta(seconds=1), chosen=MORNING) == LATE  # the timetable's
    assert trip_at(at(12), chosen=ANOTHER_BUS, finished={MORNING, MIDDAY}) == ANOTHER_BUS
    assert trip_at(at(12, 2), chosen=ANOTHER_BUS) is None  # its service day is long over


def test_untimed_trips_are_left_out_when_others_are_timed() -> None:
    bundle = timed_bundle({MIDDAY: SCHEDULE[MIDDAY]})
    assert trip_at(at(9.5), bundle) is None  # MORNING has no times: MIDDAY is not boarding
    assert trip_at(at(10), bundle) == MIDDAY


def test_a_bundle_without_times_keeps_to_the_lists_order() -> None:
    bundle = open_test_bundle()  # bus-17: RUSH042@2008-06-02, no times
    service_day = datetime(2008, 6, 2, 15, tzinfo=UTC)
    current = select_trip(bundle, "bus-17", service_day, None, (), settings=SETTINGS)
    assert current == CurrentTrip(TRIP, TripSource.ASSIGNMENT)
    assert trip_at(service_day + timedelta(days=1), bundle) == TRIP  # past midnight
    assert trip_at(service_day + timedelta(days=2), bundle) is None  # its day is over
    assert trip_at(service_day, bundle, finished={TRIP}) is None
    assert select_trip(bundle, "bus-99", service_day, None, (), settings=SETTINGS) is None


def test_a_vehicle_the_bundle_does_not_name_runs_only_what_its_driver_sets() -> None:
    assert select_trip(BUNDLE, "bus-99", at(9.5), None, (), settings=SETTINGS) is None
    chosen = select_trip(BUNDLE, "bus-99", at(9.5), MORNING, (), settings=SETTINGS)
    assert chosen == CurrentTrip(MORNING, TripSource.DRIVER)


LEAD, GRACE = SETTINGS.boarding_lead_s, SETTINGS.last_trip_grace_s


@given(
    st.lists(st.tuples(st.integers(1, 4 * 3600), st.integers(LEAD + 1, 3 * 3600)),
             min_size=1, max_size=8),
    st.integers(-2 * 3600, 40 * 3600),
)  # fmt: skip
def test_a_day_of_trips_apart_gives_the_trip_under_way_and_none_outside_the_days_work(
    trips: list[tuple[int, int]], moment_s: int
) -> None:
    """Trips of one service day, each (run time, gap before it) with gaps wider than the
    boarding lead: at any moment, the trip under way if any, the next one between trips,
    and none before the first one's boarding or after the last one's grace."""
    times: dict[str, tuple[datetime, datetime]] = {}
    start = at(5)
    for number, (run, gap) in enumerate(trips):
        start += timedelta(seconds=gap)
        times[f"T{number:02d}@2026-06-01"] = (start, start + timedelta(seconds=run))
        start += timedelta(seconds=run)
    spans = list(times.items())
    bundle = timed_bundle(times, tuple(times))
    moment = at(5) + timedelta(seconds=moment_s)
    found = trip_at(moment, bundle)

    first_boarding = spans[0][1][0] - timedelta(seconds=LEAD)
    last_grace = spans[-1][1][1] + timedelta(seconds=GRACE)
    under_way = [trip for trip, (departs, arrives) in spans if departs <= moment <= arrives]
    if moment < first_boarding or moment > last_grace:
        assert found is None
    elif under_way:
        assert found == under_way[0]
    else:
        later = [trip for trip, (departs, _) in spans if departs > moment]
        assert found == (later[0] if later else spans[-1][0])
