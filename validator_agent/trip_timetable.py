"""Which trip instance a bus is running at a given moment: its driver's choice, else its
vehicle's assignment for the day, timed by the rule bundle.

A bus's vehicle has a list of trip instances in the bundle (``RuleBundle.vehicle_trips``, the
current service day's in running order, then the next day's), and the bundle gives each its
first departure and last arrival (``RuleBundle.trip_times``, absolute instants worked out by
the server, so a trip past 24:00:00 needs nothing more here). At ``at``, among the trips the
driver has not finished:

1. a trip is *running* from its first departure less the boarding lead to its last arrival;
   when two are (the next one's boarding began before the last one arrived), the later one
   is current, since a bus at a terminus takes on the next trip's riders;
2. between two trips of a service day on which the bus has begun work (a trip of that day
   started its boarding, or its driver finished one), the next one is current;
3. after a service day's last trip, that trip stays current for the last-trip grace (a late
   bus); then, and before the boarding lead of the day's first trip, the bus runs no trip.
   The decision then checks no reservation against a trip, and the journal row has none.

A bundle that carries no times for any of the vehicle's trips (one made before they were
added) keeps the older rule: the first trip of the list not finished whose service day
(from its ``TRIP@YYYY-MM-DD`` key) ended at most a day before ``at``. Where only some are
timed, the untimed ones (e.g. dropped by a newer timetable) are left out.

The driver's choice wins while it holds: until cleared or finished, or once its trip ended
the driver's hold before ``at`` (from its last arrival when the bundle times it, else from
its service day as above), so that a choice left over night does not outlive its trip.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fares.bundle import RuleBundle
from fares.keys import epoch_seconds

_SERVICE_DATE = re.compile(r"@(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class TripSettings:
    """How a bus follows its timetable (config section ``[bus]``), in seconds."""

    boarding_lead_s: int = 600
    last_trip_grace_s: int = 900
    driver_hold_s: int = 4 * 3600


class TripSource(enum.Enum):
    """Where the current trip comes from; the value is what ``status`` shows."""

    DRIVER = "driver"
    TIMETABLE = "timetable"
    ASSIGNMENT = "assignment"  # the list's order: the bundle carries no times


@dataclass(frozen=True, slots=True)
class CurrentTrip:
    """The trip instance a bus is running and why."""

    instance: str
    source: TripSource


@dataclass(frozen=True, slots=True)
class _Timed:
    instance: str
    departs: int
    arrives: int
    day: date | None


def select_trip(
    bundle: RuleBundle,
    vehicle_id: str,
    at: datetime,
    chosen: str | None,
    finished: Collection[str],
    *,
    settings: TripSettings,
) -> CurrentTrip | None:
    """The bus's current trip at ``at`` (see the module docstring), or None."""
    if chosen is not None and not choice_lapsed(bundle, chosen, at, settings):
        return CurrentTrip(chosen, TripSource.DRIVER)
    listed = bundle.vehicle_trips.get(vehicle_id, ())
    timed = [_timed(bundle, trip) for trip in listed if trip in bundle.trip_times]
    if not timed:
        return _first_open(listed, at, finished)
    trip = _from_timetable(timed, epoch_seconds(at), finished, settings)
    return None if trip is None else CurrentTrip(trip, TripSource.TIMETABLE)


def trips_ended_by(bundle: RuleBundle, vehicle_id: str, trip: str) -> list[str]:
    """What ending ``trip`` finishes: it and every trip before it on the vehicle's list."""
    listed = bundle.vehicle_trips.get(vehicle_id, ())
    if trip not in listed:
        return [trip]
    return list(listed[: listed.index(trip) + 1])


def _from_timetable(
    timed: Sequence[_Timed], now: int, finished: Collection[str], settings: TripSettings
) -> str | None:
    lead, grace = settings.boarding_lead_s, settings.last_trip_grace_s
    begun = {trip.day for trip in timed if trip.departs - lead <= now or trip.instance in finished}
    open_trips = sorted(
        (trip for trip in timed if trip.instance not in finished),
        key=lambda trip: (trip.departs, trip.arrives),
    )
    running = [trip for trip in open_trips if trip.departs - lead <= now <= trip.arrives]
    if running:
        return running[-1].instance
    upcoming = [trip for trip in open_trips if now < trip.departs - lead]
    if upcoming and upcoming[0].day in begun:
        return upcoming[0].instance
    ended = [trip for trip in open_trips if trip.arrives < now <= trip.arrives + grace]
    if ended:
        return max(ended, key=lambda trip: trip.arrives).instance
    return None


def _first_open(
    listed: Sequence[str], at: datetime, finished: Collection[str]
) -> CurrentTrip | None:
    for trip in listed:
        if trip not in finished and not day_over(trip, at):
            return CurrentTrip(trip, TripSource.ASSIGNMENT)
    return None


def choice_lapsed(bundle: RuleBundle, chosen: str, at: datetime, settings: TripSettings) -> bool:
    """Whether a driver's choice of ``chosen`` no longer holds at ``at``."""
    times = bundle.trip_times.get(chosen)
    if times is not None:
        return epoch_seconds(at) > times[1] + settings.driver_hold_s
    return day_over(chosen, at)


def day_over(trip_instance: str, at: datetime) -> bool:
    """Whether the trip's service day ended more than a day before ``at`` (a service day runs
    past midnight, up to 48:00:00 in GTFS terms); a key without a date never ends."""
    day = service_date(trip_instance)
    return day is not None and day < at.date() - timedelta(days=1)


def _timed(bundle: RuleBundle, trip: str) -> _Timed:
    departs, arrives = bundle.trip_times[trip]
    return _Timed(trip, departs, arrives, service_date(trip))


def service_date(trip_instance: str) -> date | None:
    """The service date of a ``TRIP@YYYY-MM-DD[THH:MM:SS]`` key, None if it has none."""
    match = _SERVICE_DATE.search(trip_instance)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
