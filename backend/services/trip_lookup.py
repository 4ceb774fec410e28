"""Resolve a trip instance id against the active timetable: its trip, route and ordered stops.

Inventory is kept per trip instance (``TRIP@YYYY-MM-DD``, or ``…THH:MM:SS`` for one run of a
frequency-based trip), so every reservation request starts here: the id must name a trip of
the active feed version that runs on that service date (and, for a frequency run, one of its
runs). The stops are the trip's stop_times in stop_sequence order; seats are held on leg
ranges between positions in that list.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select

from backend.db import Executor
from backend.errors import NotFoundError, ServiceError
from backend.models import GTFS_TABLES
from backend.services.loaded_cache import LoadedCache
from backend.services.version_facts import VersionFacts
from inventory.trip_instances import InvalidTripInstanceError, TripInstance

TRIPS = GTFS_TABLES["trips"]
STOP_TIMES = GTFS_TABLES["stop_times"]


@dataclass(frozen=True)
class TripStops:
    """A trip of one feed version: its route and its stops in order."""

    version: int
    trip_id: str
    route_id: str
    service_id: str
    stop_ids: tuple[str, ...]
    # (arrival, departure) at each stop in seconds of the service day; None where untimed.
    times: tuple[tuple[int | None, int | None], ...] = ()


@dataclass(frozen=True)
class ResolvedInstance:
    """A trip instance known to run, with what inventory needs of its trip."""

    instance: TripInstance
    trip: TripStops

    @property
    def key(self) -> str:
        """The instance's id, the key of its inventory."""
        return str(self.instance)


class TripStopsCache:
    """Trips' stop lists, which never change within a feed version; safe across threads."""

    def __init__(self, size: int = 4096) -> None:
        self._trips = LoadedCache[tuple[int, str], TripStops | None](_load_trip, size)

    def get(self, session: Executor, version: int, trip_id: str) -> TripStops | None:
        """The trip's stops in ``version``, or None when the version has no such trip."""
        return self._trips.get(session, (version, trip_id))


def parse_instance(text: str) -> TripInstance:
    """``text`` as a trip instance id; 400 ``invalid_trip_instance`` otherwise."""
    try:
        return TripInstance.parse(text)
    except InvalidTripInstanceError as exc:
        raise ServiceError(InvalidTripInstanceError.code, str(exc)) from exc


def resolve(
    session: Executor, facts: VersionFacts, cache: TripStopsCache, text: str
) -> ResolvedInstance:
    """The running trip instance named ``text`` in the version of ``facts`` (the caller's
    active version), else 400/404."""
    instance = parse_instance(text)
    version = facts.version
    trip = cache.get(session, version, instance.trip_id)
    if trip is None or len(trip.stop_ids) < 2:
        raise NotFoundError("trip_not_found", f"no trip {instance.trip_id} in the timetable")
    if trip.service_id not in facts.running(instance.service_date):
        raise NotFoundError(
            "trip_not_running",
            f"trip {instance.trip_id} does not run on {instance.service_date.isoformat()}",
        )
    runs = facts.runs.get(instance.trip_id)
    starts = {start for _, start in runs} if runs else set()
    if (instance.run_start is None) != (runs is None) or (
        instance.run_start is not None and instance.run_start not in starts
    ):
        raise NotFoundError(
            "trip_not_running", f"{text} is not a run of trip {instance.trip_id} on that day"
        )
    return ResolvedInstance(instance, trip)


# A trip's route and service, and its stop times in order: one row per stop, or one row with
# no stop for a trip without stop times. One statement, built once: every process loads each
# trip a rush books on. (Run by SQLAlchemy, which turns PostgreSQL's intervals into seconds.)
_TRIP_AND_STOPS = (
    select(
        TRIPS.c.route_id,
        TRIPS.c.service_id,
        STOP_TIMES.c.stop_id,
        STOP_TIMES.c.arrival_time,
        STOP_TIMES.c.departure_time,
        STOP_TIMES.c.stop_sequence,
    )
    .select_from(
        TRIPS.outerjoin(
            STOP_TIMES,
            and_(
                STOP_TIMES.c.feed_version_id == TRIPS.c.feed_version_id,
                STOP_TIMES.c.trip_id == TRIPS.c.trip_id,
            ),
        )
    )
    .where(
        and_(
            TRIPS.c.feed_version_id == bindparam("version", type_=TRIPS.c.feed_version_id.type),
            TRIPS.c.trip_id == bindparam("trip_id", type_=TRIPS.c.trip_id.type),
        )
    )
    .order_by(STOP_TIMES.c.stop_sequence)
)


def _load_trip(session: Executor, key: tuple[int, str]) -> TripStops | None:
    version, trip_id = key
    rows = session.execute(_TRIP_AND_STOPS, {"version": version, "trip_id": trip_id}).all()
    if not rows:
        return None
    stops = [row[2:5] for row in rows if row[5] is not None]  # None: the trip has no stops
    return TripStops(
        version,
        trip_id,
        rows[0][0],
        rows[0][1],
        tuple(stop for stop, _, _ in stops),
        tuple((arrival, departure) for _, arrival, departure in stops),
    )
