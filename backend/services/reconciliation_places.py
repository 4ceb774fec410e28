"""Place rides on the active timetable: the fare engine's leg for a gate or bus ride.

A gate ride runs from the entry gate's stop to the exit gate's stop, at the tap times. A gate
knows no route, so the ride is given the route that prices it cheapest among the routes with
a trip calling at the entry stop and later at the exit stop (a station's platforms count as
the station); with none, among the routes calling at the entry stop.

A bus ride is a boarding on the journaled trip instance (which must run in the active
timetable). The bus validator knows where the bus was going but sees no alighting, so the ride
runs from the stop the bus had last left by its timetable at the tap (its first stop before
that) to the trip's last stop, the furthest the boarding could have taken the rider; it
departs at the tap and arrives at the trip's scheduled arrival there (or the tap, if later).

Times are aware datetimes in the agency's timezone; a leg's services are those running on its
local date (the trip's service date for a bus), for Fares v2 timeframes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from backend.db import Executor
from backend.errors import ServiceError
from backend.models import GTFS_TABLES
from backend.services.reconciliation_pricing import PlacedRide, RiderChoice
from backend.services.reconciliation_rides import Ride, RideKind
from backend.services.trip_lookup import ResolvedInstance, TripStopsCache, resolve
from backend.services.version_facts import VersionFacts
from fares.engine import FareError, price_journey
from fares.fare_tables import FareTables
from fares.journey import Journey, Leg
from inventory.service_days import service_time

STOPS = GTFS_TABLES["stops"]
TRIPS = GTFS_TABLES["trips"]
STOP_TIMES = GTFS_TABLES["stop_times"]


class RidePlacer:
    """Places rides on one feed version, remembering what it looked up for one run."""

    def __init__(
        self,
        session: Executor,
        facts: VersionFacts,
        trips: TripStopsCache,
        tables: FareTables,
        rider: RiderChoice,
    ) -> None:
        self._session, self._facts, self._trips = session, facts, trips
        self._tables, self._rider = tables, rider
        self._zone: ZoneInfo = facts.zone(None)
        self._routes: dict[tuple[str, str], tuple[str, ...]] = {}

    def place(self, ride: Ride) -> PlacedRide:
        """The ride with its leg, or with the reason it has none."""
        if not ride.complete:
            return PlacedRide(ride, None)
        try:
            leg = self._gate_leg(ride) if ride.kind is RideKind.GATE else self._bus_leg(ride)
        except ServiceError as error:
            return PlacedRide(ride, None, f"{error.code}: {error.message}")
        return PlacedRide(ride, leg)

    def _gate_leg(self, ride: Ride) -> Leg:
        entry, exit_tap = ride.entry, ride.exit
        if exit_tap is None or entry.stop_id is None or exit_tap.stop_id is None:
            raise ServiceError("gate_without_stop", "a gate of the ride names no stop")
        departure = entry.at.astimezone(self._zone)
        leg = Leg(
            route_id="",
            from_stop_id=entry.stop_id,
            to_stop_id=exit_tap.stop_id,
            departure=departure,
            arrival=exit_tap.at.astimezone(self._zone),
            services=self._facts.running(departure.date()),
        )
        routes = self._routes_between(entry.stop_id, exit_tap.stop_id)
        if not routes:
            raise ServiceError(
                "no_route",
                f"no route of the timetable calls at {entry.stop_id} (to {exit_tap.stop_id})",
            )
        return min((replace(leg, route_id=route) for route in routes), key=self._leg_price)

    def _leg_price(self, leg: Leg) -> tuple[int, int, str]:
        """Sort key: priced legs first, cheapest first, then by route id."""
        journey = Journey((leg,), self._rider.rider_category_id, self._rider.fare_media_id)
        try:
            return 0, price_journey(self._tables, journey).total.amount, leg.route_id
        except FareError:
            return 1, 0, leg.route_id

    def _routes_between(self, board: str, alight: str) -> tuple[str, ...]:
        key = (board, alight)
        if key not in self._routes:
            through = self._route_query(board, alight)
            self._routes[key] = through or self._route_query(board, None)
        return self._routes[key]

    def _route_query(self, board: str, alight: str | None) -> tuple[str, ...]:
        version = self._facts.version
        here, there = aliased(STOP_TIMES), aliased(STOP_TIMES)
        query = (
            select(TRIPS.c.route_id)
            .distinct()
            .join(
                here,
                and_(here.c.feed_version_id == version, here.c.trip_id == TRIPS.c.trip_id),
            )
            .where(TRIPS.c.feed_version_id == version, here.c.stop_id.in_(self._at(board)))
        )
        if alight is not None:
            query = query.join(
                there,
                and_(
                    there.c.feed_version_id == version,
                    there.c.trip_id == TRIPS.c.trip_id,
                    there.c.stop_sequence > here.c.stop_sequence,
                ),
            ).where(there.c.stop_id.in_(self._at(alight)))
        return tuple(sorted(self._session.execute(query).scalars()))

    def _at(self, stop_id: str) -> list[str]:
        """The stop and, for a station, its platforms."""
        children = self._session.execute(
            select(STOPS.c.stop_id).where(
                STOPS.c.feed_version_id == self._facts.version,
                STOPS.c.parent_station == stop_id,
            )
        ).scalars()
        return [stop_id, *children]

    def _bus_leg(self, ride: Ride) -> Leg:
        tap = ride.entry
        resolved = resolve(self._session, self._facts, self._trips, tap.trip_instance or "")
        times = self._departures(resolved)
        at = tap.at.astimezone(self._zone)
        last = len(times) - 1
        board = max(
            (index for index, left in enumerate(times[:last]) if left is not None and left <= at),
            default=0,
        )
        arrival = times[last] or at
        return Leg(
            route_id=resolved.trip.route_id,
            from_stop_id=resolved.trip.stop_ids[board],
            to_stop_id=resolved.trip.stop_ids[last],
            departure=at,
            arrival=max(arrival, at),
            services=self._facts.running(resolved.instance.service_date),
        )

    def _departures(self, resolved: ResolvedInstance) -> list[datetime | None]:
        """When the trip leaves each stop (arrives, at the last), None where untimed."""
        day, trip = resolved.instance.service_date, resolved.trip
        offset = 0
        runs = self._facts.runs.get(trip.trip_id)
        if resolved.instance.run_start is not None and runs:
            offset = resolved.instance.run_start - runs[0][0]
        moments: list[datetime | None] = []
        last = len(trip.times) - 1
        for index, (arrival, departure) in enumerate(trip.times):
            first, second = (arrival, departure) if index == last else (departure, arrival)
            seconds = first if first is not None else second
            moments.append(
                None if seconds is None else service_time(day, seconds + offset, self._zone)
            )
        return moments
