"""A held or booked journey as travelers read it: the route, the stops' names and the times.

Times come from the active timetable (``fare_quotes.journey_leg``: a frequency run's own
times, in the agency's timezone). A trip the active timetable no longer runs (a newer feed
was published) is still described, by its ids and without times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.models import GTFS_TABLES
from backend.services.fare_quotes import journey_leg
from backend.services.feeds import active_version_id
from backend.services.reservation_store import Inventory, legs_between, resolve
from inventory.trip_instances import InvalidTripInstanceError, TripInstance

STOPS = GTFS_TABLES["stops"]
ROUTES = GTFS_TABLES["routes"]
TRIPS = GTFS_TABLES["trips"]


@dataclass(frozen=True)
class LegSummary:
    """One trip instance ridden from one stop to another."""

    trip_instance: str
    service_date: date | None
    route_name: str
    headsign: str | None
    from_stop: str
    to_stop: str
    from_name: str
    to_name: str
    departure: datetime | None  # aware, in the agency's timezone
    arrival: datetime | None


def summarize(
    session: Session, inventory: Inventory, trip_instance: str, from_stop: str, to_stop: str
) -> LegSummary:
    """Describe riding ``trip_instance`` from ``from_stop`` to ``to_stop``."""
    try:
        service_date: date | None = TripInstance.parse(trip_instance).service_date
    except InvalidTripInstanceError:
        service_date = None
    version = active_version_id(session)
    if version is None:
        return LegSummary(
            trip_instance, service_date, "", None, from_stop, to_stop, from_stop, to_stop, None,
            None,
        )  # fmt: skip
    departure = arrival = None
    try:
        resolved = resolve(session, inventory, trip_instance)
        leg = journey_leg(
            inventory.facts.get(session, version),
            resolved,
            legs_between(resolved, from_stop, to_stop),
        )
        departure, arrival = leg.departure, leg.arrival
    except ServiceError:
        pass  # not in the active timetable any more
    names = dict(
        session.execute(
            select(STOPS.c.stop_id, STOPS.c.stop_name).where(
                STOPS.c.feed_version_id == version, STOPS.c.stop_id.in_([from_stop, to_stop])
            )
        ).all()
    )
    route_name, headsign = _route(session, version, trip_instance.rpartition("@")[0])
    return LegSummary(
        trip_instance=trip_instance,
        service_date=service_date,
        route_name=route_name,
        headsign=headsign,
        from_stop=from_stop,
        to_stop=to_stop,
        from_name=names.get(from_stop) or from_stop,
        to_name=names.get(to_stop) or to_stop,
        departure=departure,
        arrival=arrival,
    )


def _route(session: Session, version: int, trip_id: str) -> tuple[str, str | None]:
    row = session.execute(
        select(
            ROUTES.c.route_short_name,
            ROUTES.c.route_long_name,
            ROUTES.c.route_id,
            TRIPS.c.trip_headsign,
        )
        .join(
            ROUTES,
            (ROUTES.c.feed_version_id == TRIPS.c.feed_version_id)
            & (ROUTES.c.route_id == TRIPS.c.route_id),
        )
        .where(TRIPS.c.feed_version_id == version, TRIPS.c.trip_id == trip_id)
    ).first()
    if row is None:
        return "", None
    name = " ".join(part for part in (row.route_short_name, row.route_long_name) if part)
    return name or row.route_id, row.trip_headsign
