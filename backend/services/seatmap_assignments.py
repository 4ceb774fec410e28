"""Which seat map serves which route and trip, as the seat map files say, for operators.

Assignments live in the seat map files (``seatmap_dir``, see config/seatmaps/README.md): a
map lists the trips and routes it serves, or is the default; a trip's own listing wins over
its route's, which wins over the default. The console shows them and does not change them:
the layouts are in those files too, every server process holds the catalogue in memory and
resolves it on the booking path without a query, and moving a trip that has sold seats to
another map would strand the seat labels the new map lacks (re-accommodation's work). A
change is made in the files, reviewed, and deployed to every server with a restart.

Trip instances already opened for sale record the map they were opened with; when the files
now name another, the instance is listed as *changed* so that an operator can act.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import TripInventory
from backend.services.trip_loads import VersionTrips
from inventory.seatmaps import SeatMapCatalog

CHANGED_SHOWN = 50


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
class RouteAssignment:
    """The map a route's trips get, why, and how many of its trips name another map."""

    route_id: str
    route_name: str
    seat_map: str | None
    source: str  # "route", "default" or "none"
    trips: int
    trips_overridden: int


@dataclass(frozen=True)
class ChangedInstance:
    """A trip instance opened on one map whose trip the files now give another."""

    trip_instance: str
    service_date: date
    opened_with: str
    now_assigned: str | None


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


def by_route(catalog: SeatMapCatalog, version: VersionTrips) -> list[RouteAssignment]:
    """Each route of the feed version with the map serving it, by route name."""
    route_maps = {route: name for name, m in catalog.items() for route in m.routes}
    trip_maps = {trip: name for name, m in catalog.items() for trip in m.trips}
    default = next((name for name, m in catalog.items() if m.default), None)
    trips = Counter(trip.route_id for trip in version.trips.values())
    overridden = Counter(
        trip.route_id
        for trip in version.trips.values()
        if trip.trip_id in trip_maps and trip_maps[trip.trip_id] != route_maps.get(trip.route_id)
    )
    result = []
    for route_id, route_name in version.route_names.items():
        name = route_maps.get(route_id) or default
        source = "route" if route_id in route_maps else "default" if default else "none"
        result.append(
            RouteAssignment(
                route_id, route_name, name, source, trips[route_id], overridden[route_id]
            )
        )
    return sorted(result, key=lambda route: (route.route_name, route.route_id))


def changed_instances(
    session: Session, catalog: SeatMapCatalog, *, since: date
) -> list[ChangedInstance]:
    """Opened trip instances from ``since`` on whose map the files have since changed."""
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
        current = catalog.name_for_trip(trip_id, route_id)
        if current != opened_with:
            changed.append(ChangedInstance(instance, service_date, opened_with, current))
            if len(changed) >= CHANGED_SHOWN:
                break
    return changed
