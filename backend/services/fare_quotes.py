"""Price a journey over trip instances of the active timetable with the fare engine.

A journey is one or more legs, each a trip instance ridden from one of its stops to a later
one. Each leg becomes a ``fares.engine.Leg``: its route, its stops, its departure and arrival
as aware datetimes in the agency's timezone (all agencies of a GTFS feed share one), and the
services running on its service day (for Fares v2 timeframes). An untimed stop takes the time
of the nearest timed stop before it (departing) or after it (arriving).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.db import Executor
from backend.errors import NotFoundError, ServiceError
from backend.services.fare_data import FareTablesCache
from backend.services.trip_lookup import ResolvedInstance, TripStopsCache, resolve
from backend.services.version_facts import VersionFacts, VersionFactsCache
from fares.engine import FareError, price_journey
from fares.journey import Journey, Leg, Quote
from fares.money import Money
from gtfs.currencies import MINOR_UNITS
from inventory.errors import InventoryError
from inventory.legs import LegRange, leg_range_between
from inventory.service_days import service_time


@dataclass(frozen=True)
class LegRequest:
    """One leg asked about: a trip instance from one of its stops to a later one."""

    trip_instance: str
    from_stop: str
    to_stop: str


@dataclass(frozen=True)
class FareCaches:
    """What quoting keeps in memory between requests."""

    facts: VersionFactsCache
    trips: TripStopsCache
    tables: FareTablesCache


def quote(
    session: Executor,
    caches: FareCaches,
    version: int,
    legs: Sequence[LegRequest],
    *,
    rider_category: str | None = None,
    fare_media: str | None = None,
) -> dict[str, Any]:
    """The fare of ``legs`` in feed ``version``, per leg and in total, with the rules applied;
    400/404 with a code when a leg or the fare cannot be found."""
    facts = caches.facts.get(session, version)
    journey = Journey(
        tuple(_requested_leg(session, caches, facts, leg) for leg in legs),
        rider_category_id=rider_category,
        fare_media_id=fare_media,
    )
    try:
        priced = price_journey(caches.tables.get(session, version), journey)
    except FareError as error:
        refusal = NotFoundError if error.code == "no_fare" else ServiceError
        raise refusal(error.code, error.message) from error
    return quote_json(priced, legs)


def _requested_leg(
    session: Executor, caches: FareCaches, facts: VersionFacts, request: LegRequest
) -> Leg:
    resolved = resolve(session, facts, caches.trips, request.trip_instance)
    try:
        legs = leg_range_between(resolved.trip.stop_ids, request.from_stop, request.to_stop)
    except InventoryError as error:
        raise ServiceError(error.code, error.message) from error
    return journey_leg(facts, resolved, legs)


def journey_leg(facts: VersionFacts, resolved: ResolvedInstance, legs: LegRange) -> Leg:
    """The fare engine's leg for riding ``resolved`` over ``legs``."""
    day = resolved.instance.service_date
    zone = facts.zone(None)
    offset = _run_offset(resolved, facts)
    departure, arrival = _times(resolved, legs.board, legs.alight)
    return Leg(
        route_id=resolved.trip.route_id,
        from_stop_id=resolved.trip.stop_ids[legs.board],
        to_stop_id=resolved.trip.stop_ids[legs.alight],
        departure=service_time(day, departure + offset, zone),
        arrival=service_time(day, arrival + offset, zone),
        services=facts.running(day),
    )


def _times(resolved: ResolvedInstance, board: int, alight: int) -> tuple[int, int]:
    """Seconds of the service day at which the leg departs ``board`` and arrives at
    ``alight``, from the nearest timed stops."""
    times = resolved.trip.times
    departing = [dep if dep is not None else arr for arr, dep in times[: board + 1]]
    arriving = [arr if arr is not None else dep for arr, dep in times[alight:]]
    departure = next((t for t in reversed(departing) if t is not None), None)
    arrival = next((t for t in arriving if t is not None), None)
    if departure is None or arrival is None:
        raise ServiceError("untimed_trip", f"trip {resolved.trip.trip_id} has no times to price")
    return departure, arrival


def _run_offset(resolved: ResolvedInstance, facts: VersionFacts) -> int:
    """How much later than its scheduled times a frequency run leaves (0 for other trips)."""
    start = resolved.instance.run_start
    if start is None:
        return 0
    first = next(first for first, _ in facts.runs[resolved.trip.trip_id])
    return start - first


def money_json(money: Money) -> dict[str, Any]:
    """An amount in minor units, its currency and its text."""
    exponent = MINOR_UNITS.get(money.currency, 2)
    return {"amount": money.amount, "currency": money.currency, "text": money.format(exponent)}


def quote_json(priced: Quote, legs: Sequence[LegRequest]) -> dict[str, Any]:
    """A quote as the API shows it."""
    return {
        "total": money_json(priced.total),
        "legs": [
            {
                "trip_instance": legs[fare.leg_index].trip_instance,
                "from": legs[fare.leg_index].from_stop,
                "to": legs[fare.leg_index].to_stop,
                "fare_product_id": fare.fare_product_id,
                "fare_product_name": fare.fare_product_name,
                "price": money_json(fare.amount),
                "explanation": fare.explanation,
            }
            for fare in priced.legs
        ],
        "explanation": priced.explanation(),
    }
