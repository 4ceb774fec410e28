"""Which seat map serves which route and trip: the seat map files, and operators' choices.

The files (``seatmap_dir``, see config/seatmaps/README.md) define the layouts and may list the
trips and routes each serves, or make one the default. An operator may choose another map for
a route or a trip in the console (``seat_map_assignment`` rows). The more specific level wins,
and at each level the operator's choice comes before the files: the operator's choice for the
trip, the files' listing of the trip, the operator's choice for the route, the files' listing
of the route, the default.

A trip instance keeps the map it was opened for sale with (its first hold records it in
``trip_inventory.seat_map``): its seat claims name that map's seats, and moving them is
re-accommodation's work, not a relabelling. So a choice applies to every instance opened
afterwards, and the instances already on sale with another map are listed as *changed* for
the operator to see. Every server process reads the choices from the database when it opens
an instance, so a choice made on one server applies on all of them at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from backend.db import Executor
from backend.errors import NotFoundError, ServiceError
from backend.models import SeatMapAssignment, StaffUser, TripInventory
from backend.services.trip_loads import VersionTrips
from inventory.seatmaps import SeatMapCatalog

CHANGED_SHOWN = 50
SCOPES = ("route", "trip")


@dataclass(frozen=True)
class MapFacts:
    """A seat map file and what it serves."""

    name: str
    description: str
    seats: int
    classes: tuple[str, ...]
    unassigned: tuple[tuple[str, int], ...]
    default: bool
    routes: tuple[str, ...]
    trips: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """An operator's choice of map for a route or a trip."""

    scope: str
    target_id: str
    seat_map: str
    changed_at: datetime
    changed_by: str | None


@dataclass(frozen=True)
class Choices:
    """Every operator's choice, by route and by trip."""

    routes: dict[str, Choice] = field(default_factory=dict)
    trips: dict[str, Choice] = field(default_factory=dict)

    def name_for(self, catalog: SeatMapCatalog, trip_id: str, route_id: str) -> str | None:
        """The map serving the trip, with these choices over the files."""
        trip_choice = self.trips.get(trip_id)
        route_choice = self.routes.get(route_id)
        return catalog.name_for_trip(
            trip_id,
            route_id,
            trip_choice=trip_choice.seat_map if trip_choice else None,
            route_choice=route_choice.seat_map if route_choice else None,
        )


@dataclass(frozen=True)
class RouteAssignment:
    """The map a route's trips get, why, and how many of its trips name another map."""

    route_id: str
    route_name: str
    seat_map: str | None
    source: str  # "console", "route" (the files), "default" or "none"
    trips: int
    trips_overridden: int
    choice: Choice | None


@dataclass(frozen=True)
class ChangedInstance:
    """A trip instance opened on one map whose trip is now given another."""

    trip_instance: str
    service_date: date
    opened_with: str
    now_assigned: str | None


def load_choices(
    session: Executor, *, trip_id: str | None = None, route_id: str | None = None
) -> Choices:
    """The operators' choices: every one, or those for ``trip_id`` and ``route_id``."""
    table = SeatMapAssignment
    query = select(
        table.scope, table.target_id, table.seat_map, table.changed_at, StaffUser.email
    ).outerjoin(StaffUser, StaffUser.id == table.changed_by)
    if trip_id is not None or route_id is not None:
        query = query.where(
            or_(
                and_(table.scope == "trip", table.target_id == trip_id),
                and_(table.scope == "route", table.target_id == route_id),
            )
        )
    choices = Choices()
    for scope, target_id, seat_map, changed_at, email in session.execute(query):
        choice = Choice(scope, target_id, seat_map, changed_at, email)
        (choices.trips if scope == "trip" else choices.routes)[target_id] = choice
    return choices


def assigned_name(
    session: Executor, catalog: SeatMapCatalog, trip_id: str, route_id: str
) -> str | None:
    """The map a trip is given now (for an instance opening for sale), read afresh."""
    return load_choices(session, trip_id=trip_id, route_id=route_id).name_for(
        catalog, trip_id, route_id
    )


def choose(
    session: Session,
    catalog: SeatMapCatalog,
    version: VersionTrips,
    *,
    scope: str,
    target_id: str,
    seat_map: str | None,
    staff_id: int | None,
    now: datetime,
) -> None:
    """Give a route or trip of the active timetable the map ``seat_map``, or (None) go back to
    what the files say, and commit.

    400 ``invalid_scope`` or ``unknown_seat_map``; 404 ``unknown_route`` or ``unknown_trip``.
    """
    if scope not in SCOPES:
        raise ServiceError("invalid_scope", f"scope must be one of {', '.join(SCOPES)}")
    known = version.route_names if scope == "route" else version.trips
    if target_id not in known:
        raise NotFoundError(
            f"unknown_{scope}", f"the active timetable has no {scope} {target_id!r}"
        )
    if seat_map is not None and seat_map not in catalog:
        raise ServiceError(
            "unknown_seat_map",
            f"no seat map {seat_map!r}; the maps are {', '.join(sorted(catalog))}",
        )
    session.execute(
        delete(SeatMapAssignment).where(
            SeatMapAssignment.scope == scope, SeatMapAssignment.target_id == target_id
        )
    )
    if seat_map is not None:
        session.add(
            SeatMapAssignment(
                scope=scope,
                target_id=target_id,
                seat_map=seat_map,
                changed_at=now,
                changed_by=staff_id,
            )
        )
    session.commit()


def maps(catalog: SeatMapCatalog) -> list[MapFacts]:
    """Every seat map, by name."""
    return [
        MapFacts(
            name=name,
            description=seat_map.description,
            seats=len(seat_map.seats),
            classes=tuple(sorted({seat.seat_class for seat in seat_map.seats})),
            unassigned=tuple(sorted(seat_map.unassigned.items())),
            default=seat_map.default,
            routes=tuple(sorted(seat_map.routes)),
            trips=tuple(sorted(seat_map.trips)),
        )
        for name, seat_map in sorted(catalog.items())
    ]


def by_route(
    catalog: SeatMapCatalog, version: VersionTrips, choices: Choices
) -> list[RouteAssignment]:
    """Each route of the feed version with the map serving it, by route name."""
    served: dict[str, tuple[str | None, str, Choice | None]] = {}
    for route_id in version.route_names:
        choice = choices.routes.get(route_id)
        listed = catalog.listed_for_route(route_id)
        name = choice.seat_map if choice else listed or catalog.default_name()
        source = "console" if choice else "route" if listed else "default" if name else "none"
        served[route_id] = (name, source, choice)
    trips: Counter[str] = Counter()
    overridden: Counter[str] = Counter()
    for trip in version.trips.values():
        trips[trip.route_id] += 1
        route_map = served.get(trip.route_id, (None, "none", None))[0]
        if choices.name_for(catalog, trip.trip_id, trip.route_id) != route_map:
            overridden[trip.route_id] += 1
    result = [
        RouteAssignment(
            route_id,
            route_name,
            *served[route_id][:2],
            trips[route_id],
            overridden[route_id],
            served[route_id][2],
        )
        for route_id, route_name in version.route_names.items()
    ]
    return sorted(result, key=lambda route: (route.route_name, route.route_id))


def changed_instances(
    session: Session, catalog: SeatMapCatalog, choices: Choices, *, since: date
) -> list[ChangedInstance]:
    """Opened trip instances from ``since`` on whose trip is now given another map."""
    rows = session.execute(
        select(
            TripInventory.trip_instance,
            TripInventory.service_date,
            TripInventory.trip_id,
            TripInventory.route_id,
            TripInventory.seat_map,
        )
        .where(TripInventory.service_date >= since)
        .order_by(TripInventory.service_date, TripInventory.trip_instance)
    )
    changed = []
    for instance, service_date, trip_id, route_id, opened_with in rows:
        current = choices.name_for(catalog, trip_id, route_id)
        if current != opened_with:
            changed.append(ChangedInstance(instance, service_date, opened_with, current))
            if len(changed) >= CHANGED_SHOWN:
                break
    return changed
