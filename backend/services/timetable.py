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
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.errors import NotFoundError, ServiceError
from backend.models import GTFS_TABLES
from backend.services.feeds import active_version_id
from inventory.service_days import WeeklyService, active_services, frequency_starts, service_time
from inventory.trip_instances import TripInstance

STOPS = GTFS_TABLES["stops"]
ROUTES = GTFS_TABLES["routes"]
TRIPS = GTFS_TABLES["trips"]
STOP_TIMES = GTFS_TABLES["stop_times"]
CALENDAR = GTFS_TABLES["calendar"]
CALENDAR_DATES = GTFS_TABLES["calendar_dates"]
FREQUENCIES = GTFS_TABLES["frequencies"]
AGENCY = GTFS_TABLES["agency"]
NO_SERVICE = 1  # pickup_type / drop_off_type "not available"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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


def require_active_version(session: Session) -> int:
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
    session: Session, version: int, stop_id: str, day: date, *, limit: int
) -> list[TripOption]:
    """Trip instances of service date ``day`` that pick up at ``stop_id``, by departure time."""
    stop_ids = _stop_and_children(session, version, stop_id)
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
    return _instances(session, version, day, matches)[:limit]


def direct_trips(
    session: Session, version: int, origin: str, destination: str, day: date
) -> list[TripOption]:
    """Trip instances of ``day`` that stop at ``origin`` and later at ``destination``."""
    if origin == destination:
        raise ServiceError("same_stop", "origin and destination are the same stop", status=422)
    origins = _stop_and_children(session, version, origin)
    destinations = _stop_and_children(session, version, destination)
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
    return _instances(session, version, day, matches)


def _stop_and_children(session: Session, version: int, stop_id: str) -> list[str]:
    get_stop(session, version, stop_id)
    children = session.scalars(
        select(STOPS.c.stop_id).where(
            STOPS.c.feed_version_id == version, STOPS.c.parent_station == stop_id
        )
    ).all()
    return [stop_id, *children]


def _instances(
    session: Session, version: int, day: date, matches: Iterable[tuple[Any, ...]]
) -> list[TripOption]:
    """Turn (trip, departure, board seq, arrival, alight seq) matches into instances of ``day``."""
    best: dict[str, tuple[Any, ...]] = {}
    for match in matches:
        current = best.get(match[0])
        if current is None or match[1] < current[1]:
            best[match[0]] = match
    if not best:
        return []
    running = _running_services(session, version, day)
    trips = {
        row.trip_id: row
        for row in session.execute(
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
            .where(TRIPS.c.feed_version_id == version, TRIPS.c.trip_id.in_(list(best)))
        )
        if row.service_id in running
    }
    zones = _agency_zones(session, version)
    runs = _frequency_runs(session, version, list(trips))
    options = [
        option
        for trip_id, trip in trips.items()
        for option in _options(trip, best[trip_id], day, zones, runs.get(trip_id))
    ]
    return sorted(options, key=lambda option: (option.departure, option.instance))


def _options(
    trip: Any,
    match: tuple[Any, ...],
    day: date,
    zones: dict[str | None, ZoneInfo],
    runs: list[tuple[int, int]] | None,
) -> Iterable[TripOption]:
    _, departure, board_seq, arrival, alight_seq = match
    zone = zones.get(trip.agency_id) or next(iter(zones.values()))
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


def _running_services(session: Session, version: int, day: date) -> set[str]:
    weekly = {
        row.service_id: WeeklyService(
            tuple(bool(getattr(row, name)) for name in WEEKDAYS),  # type: ignore[arg-type]
            row.start_date,
            row.end_date,
        )
        for row in session.execute(
            select(CALENDAR).where(
                CALENDAR.c.feed_version_id == version,
                CALENDAR.c.start_date <= day,
                CALENDAR.c.end_date >= day,
            )
        )
    }
    exceptions = session.execute(
        select(CALENDAR_DATES.c.service_id, CALENDAR_DATES.c.exception_type).where(
            CALENDAR_DATES.c.feed_version_id == version, CALENDAR_DATES.c.date == day
        )
    )
    return active_services(day, weekly, [(row[0], row[1]) for row in exceptions])


def _agency_zones(session: Session, version: int) -> dict[str | None, ZoneInfo]:
    rows = session.execute(
        select(AGENCY.c.agency_id, AGENCY.c.agency_timezone).where(
            AGENCY.c.feed_version_id == version
        )
    ).all()
    zones: dict[str | None, ZoneInfo] = {row[0]: ZoneInfo(row[1]) for row in rows}
    if len(rows) == 1:
        zones[None] = zones[rows[0][0]]
    return zones


def _frequency_runs(
    session: Session, version: int, trip_ids: list[str]
) -> dict[str, list[tuple[int, int]]]:
    """For frequency-based trips: (first scheduled departure, run start) of every run."""
    if not trip_ids:
        return {}
    rows = session.execute(
        select(FREQUENCIES).where(
            FREQUENCIES.c.feed_version_id == version, FREQUENCIES.c.trip_id.in_(trip_ids)
        )
    ).all()
    if not rows:
        return {}
    firsts: dict[str, int] = dict(
        session.execute(
            select(STOP_TIMES.c.trip_id, func.min(STOP_TIMES.c.departure_time))
            .where(STOP_TIMES.c.feed_version_id == version)
            .where(STOP_TIMES.c.trip_id.in_({row.trip_id for row in rows}))
            .group_by(STOP_TIMES.c.trip_id)
        ).all()
    )
    runs: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        for start in frequency_starts(row.start_time, row.end_time, row.headway_secs):
            runs.setdefault(row.trip_id, []).append((firsts[row.trip_id], start))
    return runs
