"""Read the active timetable: stops, routes, departures and direct trips between two stops.

Every answer is about trip instances of the *active* feed version, with times as aware
datetimes in the agency's timezone. Services come from calendar and calendar_dates;
frequency-based trips are expanded into one instance per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.db import Executor
from backend.errors import NotFoundError, ServiceError
from backend.models import GTFS_TABLES
from backend.services.feeds import active_version_id
from backend.services.version_facts import VersionFacts
from inventory.service_days import service_time
from inventory.trip_instances import TripInstance

STOPS = GTFS_TABLES["stops"]
ROUTES = GTFS_TABLES["routes"]
TRIPS = GTFS_TABLES["trips"]
STOP_TIMES = GTFS_TABLES["stop_times"]
NO_SERVICE = 1  # pickup_type / drop_off_type "not available"


@dataclass(frozen=True)
class TripOption:
    """One trip instance serving a stop (departures) or a pair of stops (direct trips)."""

    instance: TripInstance
    route_id: str
    route_name: str
    headsign: str | None
    departure: datetime
    arrival: datetime | None
    board_stop_sequence: int
    alight_stop_sequence: int | None


def require_active_version(session: Executor) -> int:
    """The active feed version id; 404 ``no_active_feed`` before any publication."""
    version = active_version_id(session)
    if version is None:
        raise NotFoundError("no_active_feed", "no timetable has been published yet")
    return version


def search_stops(
    session: Session, version: int, query: str, *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """Stops whose name contains ``query`` (any case), by name, and how many match."""
    where = STOPS.c.feed_version_id == version
    if query:
        where = and_(where, func.lower(STOPS.c.stop_name).contains(query.lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(STOPS).where(where)) or 0
    rows = session.execute(
        select(STOPS)
        .where(where)
        .order_by(STOPS.c.stop_name, STOPS.c.stop_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_stop(session: Session, version: int, stop_id: str) -> Row[Any]:
    """One stop of the active version."""
    row = session.execute(
        select(STOPS).where(STOPS.c.feed_version_id == version, STOPS.c.stop_id == stop_id)
    ).first()
    if row is None:
        raise NotFoundError("stop_not_found", f"no stop {stop_id}")
    return row


def list_routes(session: Session, version: int) -> list[Row[Any]]:
    """Every route, in the feed's sort order then by name."""
    return list(
        session.execute(
            select(ROUTES)
            .where(ROUTES.c.feed_version_id == version)
            .order_by(ROUTES.c.route_sort_order, ROUTES.c.route_short_name, ROUTES.c.route_id)
        ).all()
    )


def departures(
    session: Session, facts: VersionFacts, stop_id: str, day: date, *, limit: int
) -> list[TripOption]:
    """Trip instances of service date ``day`` that pick up at ``stop_id``, by departure time."""
    version = facts.version
    stop_ids = _stop_and_children(session, version, [stop_id])[stop_id]
    board, onward = STOP_TIMES, aliased(STOP_TIMES)
    goes_on = (
        select(onward.c.stop_sequence)
        .where(onward.c.feed_version_id == board.c.feed_version_id)
        .where(onward.c.trip_id == board.c.trip_id)
        .where(onward.c.stop_sequence > board.c.stop_sequence)
        .exists()
    )
    query = (
        select(board.c.trip_id, board.c.departure_time, board.c.stop_sequence)
        .where(board.c.feed_version_id == version, board.c.stop_id.in_(stop_ids))
        .where(or_(board.c.pickup_type.is_(None), board.c.pickup_type != NO_SERVICE))
        .where(board.c.departure_time.is_not(None), goes_on)
    )
    matches = [
        (r.trip_id, r.departure_time, r.stop_sequence, None, None) for r in session.execute(query)
    ]
    return _instances(session, facts, day, matches)[:limit]


def direct_trips(
    session: Session, facts: VersionFacts, origin: str, destination: str, day: date
) -> list[TripOption]:
    """Trip instances of ``day`` that stop at ``origin`` and later at ``destination``."""
    version = facts.version
    if origin == destination:
        raise ServiceError("same_stop", "origin and destination are the same stop", status=422)
    stops = _stop_and_children(session, version, [origin, destination])
    origins, destinations = stops[origin], stops[destination]
    board, alight = aliased(STOP_TIMES), aliased(STOP_TIMES)
    query = (
        select(
            board.c.trip_id,
            board.c.departure_time,
            board.c.stop_sequence,
            alight.c.arrival_time,
            alight.c.stop_sequence.label("alight_sequence"),
        )
        .join(
            alight,
            and_(
                alight.c.feed_version_id == board.c.feed_version_id,
                alight.c.trip_id == board.c.trip_id,
                alight.c.stop_sequence > board.c.stop_sequence,
            ),
        )
        .where(board.c.feed_version_id == version, board.c.stop_id.in_(origins))
        .where(alight.c.stop_id.in_(destinations))
        .where(or_(board.c.pickup_type.is_(None), board.c.pickup_type != NO_SERVICE))
        .where(or_(alight.c.drop_off_type.is_(None), alight.c.drop_off_type != NO_SERVICE))
        .where(board.c.departure_time.is_not(None), alight.c.arrival_time.is_not(None))
    )
    matches = [tuple(row) for row in session.execute(query)]
    return _instances(session, facts, day, matches)


def _stop_and_children(session: Session, version: int, stop_ids: list[str]) -> dict[str, list[str]]:
    """Each of ``stop_ids`` with the stops inside it (for a station); 404 for an unknown one."""
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(STOPS.c.stop_id, STOPS.c.parent_station).where(
            STOPS.c.feed_version_id == version,
            or_(STOPS.c.stop_id.in_(stop_ids), STOPS.c.parent_station.in_(stop_ids)),
        )
    )
    for stop_id, parent in rows:
        if stop_id in stop_ids:
            found.setdefault(stop_id, []).insert(0, stop_id)
        if parent in stop_ids:
            found.setdefault(parent, []).append(stop_id)
    for stop_id in stop_ids:
        if stop_id not in found or found[stop_id][0] != stop_id:
            raise NotFoundError("stop_not_found", f"no stop {stop_id}")
    return found


def _instances(
    session: Session,
    facts: VersionFacts,
    day: date,
    matches: Iterable[tuple[Any, ...]],
) -> list[TripOption]:
    """Turn (trip, departure, board seq, arrival, alight seq) matches into instances of ``day``."""
    best: dict[str, tuple[Any, ...]] = {}
    for match in matches:
        current = best.get(match[0])
        if current is None or match[1] < current[1]:
            best[match[0]] = match
    if not best:
        return []
    running = facts.running(day)
    trips = session.execute(
        select(
            TRIPS.c.trip_id,
            TRIPS.c.service_id,
            TRIPS.c.trip_headsign,
            ROUTES.c.route_id,
            ROUTES.c.route_short_name,
            ROUTES.c.route_long_name,
            ROUTES.c.agency_id,
        )
        .join(
            ROUTES,
            and_(
                ROUTES.c.feed_version_id == TRIPS.c.feed_version_id,
                ROUTES.c.route_id == TRIPS.c.route_id,
            ),
        )
        .where(TRIPS.c.feed_version_id == facts.version, TRIPS.c.trip_id.in_(list(best)))
    )
    options = [
        option
        for trip in trips
        if trip.service_id in running
        for option in _options(trip, best[trip.trip_id], day, facts)
    ]
    return sorted(options, key=lambda option: (option.departure, option.instance))


def _options(
    trip: Any,
    match: tuple[Any, ...],
    day: date,
    facts: VersionFacts,
) -> Iterable[TripOption]:
    _, departure, board_seq, arrival, alight_seq = match
    zone = facts.zone(trip.agency_id)
    runs = facts.runs.get(trip.trip_id)
    name = trip.route_short_name or trip.route_long_name or trip.route_id
    if runs is None:
        shifts: list[tuple[int | None, int]] = [(None, 0)]
    else:
        shifts = [(start, start - first) for first, start in runs]
    for run_start, shift in shifts:
        yield TripOption(
            instance=TripInstance(trip.trip_id, day, run_start),
            route_id=trip.route_id,
            route_name=name,
            headsign=trip.trip_headsign,
            departure=service_time(day, departure + shift, zone),
            arrival=service_time(day, arrival + shift, zone) if arrival is not None else None,
            board_stop_sequence=board_seq,
            alight_stop_sequence=alight_seq,
        )
