"""How full each trip instance of a service day is: seats sold against the seats of its map.

For a trip instance with a seat map of S seats and L legs (stops − 1):

- *seats sold*: seats booked on at least one leg;
- *load factor*: booked seat-legs ÷ (S × L), the average share of seats taken over the
  trip's legs (a seat sold on half the trip counts half);
- *peak*: the most seats taken on any one leg, ÷ S.

Only booked claims count (confirmed bookings; holds are not sales yet). Unassigned places
(standing room) are not seats and are left out. A trip without a seat map has no load
factor. Trips of the active feed version that run on the day are all listed, whether or not
anything was sold on them; frequency-based trips once per run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db import Executor
from backend.models import GTFS_TABLES, SeatClaim, TripInventory
from backend.services.loaded_cache import LoadedCache
from backend.services.version_facts import VersionFacts
from inventory.seatmaps import SeatMapCatalog
from inventory.trip_instances import TripInstance

TRIPS = GTFS_TABLES["trips"]
ROUTES = GTFS_TABLES["routes"]
STOP_TIMES = GTFS_TABLES["stop_times"]


@dataclass(frozen=True)
class TripSummary:
    """A trip of a feed version: route, service, headsign, stop count and time span."""

    trip_id: str
    route_id: str
    service_id: str
    headsign: str | None
    stops: int
    first_departure: int | None  # seconds of the service day
    last_arrival: int | None


@dataclass(frozen=True)
class VersionTrips:
    """Every trip of a feed version, and its routes' names."""

    trips: dict[str, TripSummary]
    route_names: dict[str, str]


class TripSummaryCache(LoadedCache[int, VersionTrips]):
    """The trips of the two most recently used versions (they never change); thread-safe."""

    def __init__(self) -> None:
        super().__init__(_load_trips, 2)


@dataclass(frozen=True)
class TripLoad:
    """One trip instance of the day and how full it is."""

    instance: str
    trip_id: str
    route_id: str
    route_name: str
    headsign: str | None
    departure: int | None
    arrival: int | None
    seat_map: str | None
    seats: int
    legs: int
    seats_sold: int
    seat_legs_sold: int
    peak: int

    @property
    def seat_legs(self) -> int:
        """Seat-legs offered: seats × legs (0 without a seat map)."""
        return self.seats * self.legs

    @property
    def load_factor(self) -> float | None:
        """Booked seat-legs ÷ seat-legs offered; None without seats."""
        return self.seat_legs_sold / self.seat_legs if self.seat_legs else None

    @property
    def peak_factor(self) -> float | None:
        """The fullest leg's share of seats taken; None without seats."""
        return self.peak / self.seats if self.seats else None


def trips_on(
    session: Session,
    facts: VersionFacts,
    summaries: TripSummaryCache,
    seat_maps: SeatMapCatalog,
    day: date,
    *,
    assigned: Callable[[str, str], str | None] | None = None,
) -> list[TripLoad]:
    """Every trip instance of ``day`` in the version of ``facts``, by departure.

    An instance opened for sale shows the map it was opened with; any other, the map its trip
    is ``assigned`` now (a function of the trip and route ids; by default the files' word)."""
    assigned = assigned or seat_maps.name_for_trip
    version = summaries.get(session, facts.version)
    running = facts.running(day)
    sold = _booked_claims(session, day)
    opened = dict(
        session.execute(
            select(TripInventory.trip_instance, TripInventory.seat_map).where(
                TripInventory.service_date == day
            )
        ).all()
    )
    loads: list[TripLoad] = []
    for trip in version.trips.values():
        if trip.service_id not in running:
            continue
        for instance, shift in _instances(trip, day, facts):
            claims = sold.get(str(instance), [])
            name = opened.get(str(instance)) or assigned(trip.trip_id, trip.route_id)
            seat_map = seat_maps.get(name) if name else None
            legs = max(trip.stops - 1, 0)
            loads.append(
                TripLoad(
                    instance=str(instance),
                    trip_id=trip.trip_id,
                    route_id=trip.route_id,
                    route_name=version.route_names.get(trip.route_id, trip.route_id),
                    headsign=trip.headsign,
                    departure=_shifted(trip.first_departure, shift),
                    arrival=_shifted(trip.last_arrival, shift),
                    seat_map=seat_map.name if seat_map else None,
                    seats=len(seat_map.seats) if seat_map else 0,
                    legs=legs,
                    seats_sold=len({seat for seat, _, _ in claims}),
                    seat_legs_sold=sum(alight - board for _, board, alight in claims),
                    peak=_peak(claims, legs),
                )
            )
    return sorted(loads, key=lambda load: (load.departure is None, load.departure, load.instance))


def _instances(trip: TripSummary, day: date, facts: VersionFacts) -> list[tuple[TripInstance, int]]:
    runs = facts.runs.get(trip.trip_id)
    if runs is None:
        return [(TripInstance(trip.trip_id, day), 0)]
    return [(TripInstance(trip.trip_id, day, start), start - first) for first, start in runs]


def _shifted(seconds: int | None, shift: int) -> int | None:
    return None if seconds is None else seconds + shift


def _peak(claims: list[tuple[str, int, int]], legs: int) -> int:
    taken = [0] * legs
    for _, board, alight in claims:
        for leg in range(max(board, 0), min(alight, legs)):
            taken[leg] += 1
    return max(taken, default=0)


def _booked_claims(session: Session, day: date) -> dict[str, list[tuple[str, int, int]]]:
    """Booked seat claims of the trip instances of ``day``, by instance."""
    rows = session.execute(
        select(SeatClaim.trip_instance, SeatClaim.seat, SeatClaim.board, SeatClaim.alight)
        .join(TripInventory, TripInventory.trip_instance == SeatClaim.trip_instance)
        .where(TripInventory.service_date == day, SeatClaim.expires_at.is_(None))
    )
    found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for instance, seat, board, alight in rows:
        found[instance].append((seat, board, alight))
    return found


def _load_trips(session: Executor, version: int) -> VersionTrips:
    spans = (
        select(
            STOP_TIMES.c.trip_id,
            func.count().label("stops"),
            func.min(STOP_TIMES.c.departure_time).label("first_departure"),
            func.max(STOP_TIMES.c.arrival_time).label("last_arrival"),
        )
        .where(STOP_TIMES.c.feed_version_id == version)
        .group_by(STOP_TIMES.c.trip_id)
        .subquery()
    )
    rows = session.execute(
        select(
            TRIPS.c.trip_id,
            TRIPS.c.route_id,
            TRIPS.c.service_id,
            TRIPS.c.trip_headsign,
            spans.c.stops,
            spans.c.first_departure,
            spans.c.last_arrival,
        )
        .join(spans, spans.c.trip_id == TRIPS.c.trip_id)
        .where(TRIPS.c.feed_version_id == version)
    )
    trips = {row.trip_id: TripSummary(*row) for row in rows}
    routes = session.execute(
        select(ROUTES.c.route_id, ROUTES.c.route_short_name, ROUTES.c.route_long_name).where(
            ROUTES.c.feed_version_id == version
        )
    )
    names = {
        route_id: " ".join(name for name in (short, long) if name) or route_id
        for route_id, short, long in routes
    }
    return VersionTrips(trips, names)
