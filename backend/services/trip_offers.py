"""What a traveler searching for a trip is offered: stops found by name, and the direct trips
of a day between two stops with their times, fare and seats left.

Stops are found by name in the active timetable (``timetable.search_stops``): a name matching
one stop exactly (in any case) or matching one stop only is taken; otherwise the traveler is
asked to choose among the candidates. Entrances, nodes and boarding areas are never offered.

A trip that has already left is not offered: its count is given instead. The fare is what a
hold would be priced at (``hold_pricing``, the feed's default rider category); the seats and
standing places left are what is free in every class on the traveler's legs
(``claim_reads.availability``). A trip with no seat map is listed but cannot be reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.models import GTFS_TABLES, TripCancellation
from backend.services import claim_reads, timetable
from backend.services.hold_pricing import price_hold
from backend.services.reservation_store import Inventory, legs_between, resolve
from backend.services.timetable import TripOption
from fares.money import Money

STOPS = GTFS_TABLES["stops"]
STOP_TIMES = GTFS_TABLES["stop_times"]
TRAVELER_LOCATIONS = (0, 1)  # stops and stations (GTFS location_type, empty meaning 0)
CANDIDATES = 8


@dataclass(frozen=True)
class Stop:
    """A stop or station a traveler can search from or to."""

    stop_id: str
    name: str


@dataclass(frozen=True)
class StopLookup:
    """The stop a typed name stands for, or the candidates to choose from (none: no match)."""

    found: Stop | None
    candidates: tuple[Stop, ...] = ()


@dataclass(frozen=True)
class TripOffer:
    """One direct trip a traveler may book."""

    trip_instance: str
    route_name: str
    headsign: str | None
    board_stop: str  # the stop ids of the trip itself (a station's platform, say)
    alight_stop: str
    departure: datetime
    arrival: datetime | None
    fare: Money | None  # per traveler; None when the fares do not price the journey
    seats_left: int | None  # free numbered seats; None when the trip has no seat map
    places_left: int = 0  # free unassigned places (standing)


@dataclass(frozen=True)
class Offers:
    """The trips of a day between two stops that have not left yet."""

    trips: list[TripOffer]
    departed: int


def _traveler_stop() -> Any:
    return or_(STOPS.c.location_type.is_(None), STOPS.c.location_type.in_(TRAVELER_LOCATIONS))


def look_up_stop(session: Session, version: int, text: str, stop_id: str = "") -> StopLookup:
    """The stop ``text`` names (or ``stop_id``, picked among candidates for it), else
    candidates."""
    base = select(STOPS.c.stop_id, STOPS.c.stop_name).where(
        STOPS.c.feed_version_id == version, _traveler_stop()
    )
    text = text.strip()
    if stop_id:
        row = session.execute(base.where(STOPS.c.stop_id == stop_id)).first()
        name = (row.stop_name or row.stop_id) if row is not None else ""
        if row is not None and text.casefold() in name.casefold():  # not a name typed since
            return StopLookup(Stop(row.stop_id, name))
    if not text:
        return StopLookup(None)
    exact = session.execute(
        base.where(func.lower(STOPS.c.stop_name) == text.lower())
        .order_by(STOPS.c.stop_id)
        .limit(CANDIDATES)
    ).all()
    if len(exact) == 1:
        return StopLookup(Stop(exact[0].stop_id, exact[0].stop_name))
    if exact:
        return StopLookup(None, tuple(Stop(r.stop_id, r.stop_name) for r in exact))
    rows, _ = timetable.search_stops(session, version, text, limit=CANDIDATES * 2, offset=0)
    found = [Stop(r.stop_id, r.stop_name) for r in rows if r.location_type in (None, 0, 1)]
    if len(found) == 1:
        return StopLookup(found[0])
    return StopLookup(None, tuple(found[:CANDIDATES]))


def stop_names(session: Session, version: int, limit: int) -> list[str] | None:
    """Every traveler stop's name, for a form's suggestions; None when there are more than
    ``limit`` (the page's script then asks the stops search as the traveler types)."""
    names = session.scalars(
        select(STOPS.c.stop_name)
        .where(STOPS.c.feed_version_id == version, _traveler_stop())
        .distinct()
        .order_by(STOPS.c.stop_name)
        .limit(limit + 1)
    ).all()
    return None if len(names) > limit else [name for name in names if name]


def trip_offers(
    session: Session,
    inventory: Inventory,
    origin: str,
    destination: str,
    *,
    day: date,
    now: datetime,
) -> Offers:
    """The direct trips of service date ``day`` from ``origin`` to ``destination`` that have
    not left by ``now`` and are not cancelled; 422 ``same_stop``, 404 ``stop_not_found`` or
    ``no_active_feed``."""
    version = timetable.require_active_version(session)
    facts = inventory.facts.get(session, version)
    options = timetable.direct_trips(session, facts, origin, destination, day)
    cancelled = set(
        session.scalars(
            select(TripCancellation.trip_instance).where(
                TripCancellation.service_date.in_({o.instance.service_date for o in options})
            )
        )
    )
    options = [option for option in options if str(option.instance) not in cancelled]
    ahead = [option for option in options if option.departure > now]
    stops = _leg_stops(session, version, ahead)
    trips = [_offer(session, inventory, option, stops, now) for option in ahead]
    return Offers(trips, len(options) - len(ahead))


def _leg_stops(
    session: Session, version: int, options: list[TripOption]
) -> dict[tuple[str, int], str]:
    """The stop id at each (trip, stop_sequence) the options board or alight at."""
    wanted = {(o.instance.trip_id, o.board_stop_sequence) for o in options}
    wanted |= {
        (o.instance.trip_id, o.alight_stop_sequence)
        for o in options
        if o.alight_stop_sequence is not None
    }
    if not wanted:
        return {}
    rows = session.execute(
        select(STOP_TIMES.c.trip_id, STOP_TIMES.c.stop_sequence, STOP_TIMES.c.stop_id).where(
            STOP_TIMES.c.feed_version_id == version,
            tuple_(STOP_TIMES.c.trip_id, STOP_TIMES.c.stop_sequence).in_(sorted(wanted)),
        )
    )
    return {(trip, sequence): stop for trip, sequence, stop in rows}


def _offer(
    session: Session,
    inventory: Inventory,
    option: TripOption,
    stops: dict[tuple[str, int], str],
    now: datetime,
) -> TripOffer:
    trip_id = option.instance.trip_id
    board = stops[(trip_id, option.board_stop_sequence)]
    alight = stops[(trip_id, option.alight_stop_sequence or 0)]
    key = str(option.instance)
    fare = seats = None
    places = 0
    try:
        resolved = resolve(session, inventory, key)
        price = price_hold(session, inventory, resolved, legs_between(resolved, board, alight))
        if price.fare_amount is not None and price.currency is not None:
            fare = Money(price.fare_amount, price.currency)
        free = claim_reads.availability(
            session, inventory, key, from_stop=board, to_stop=alight, now=now
        )
        seats = sum(entry["seats"] for entry in free["classes"])
        places = sum(entry["places"] for entry in free["classes"])
    except ServiceError:
        pass  # no seat map (not_reservable): listed, not bookable
    return TripOffer(
        trip_instance=key,
        route_name=option.route_name,
        headsign=option.headsign,
        board_stop=board,
        alight_stop=alight,
        departure=option.departure,
        arrival=option.arrival,
        fare=fare,
        seats_left=seats,
        places_left=places,
    )
