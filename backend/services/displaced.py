"""What re-accommodating a cancelled trip instance's bookings starts from, read from the
database: each displaced booking as ``inventory.reaccommodation`` takes it, and the trip
instances it may move to, with what is already taken on them.

A displaced booking keeps its class, its stops and its party's needs (a traveler in an
accessible or bike seat needs one again). Alternatives are the trip instances of the active
timetable that call at a booking's origin and then its destination, on the cancelled service
day or the next, not cancelled themselves and not yet departed from the stops they would serve;
``inventory.reaccommodation.Rules`` then keeps those arriving within the configured window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.models import (
    Booking,
    BookingPassenger,
    Hold,
    Reaccommodation,
    TripCancellation,
    TripInventory,
)
from backend.services import timetable
from backend.services.claim_reads import place_claims, taken_on
from backend.services.reservation_store import Inventory, resolve, seat_map_for
from backend.services.trip_lookup import ResolvedInstance, TripStops, parse_instance
from inventory.reaccommodation import Alternative, DisplacedBooking, StopCall
from inventory.seatmaps import SeatMap
from inventory.service_days import service_time


@dataclass(frozen=True)
class Displaced:
    """A confirmed booking of a cancelled trip instance, not yet re-accommodated."""

    booking_id: int
    hold_id: str
    reference: str
    request: DisplacedBooking


@dataclass(frozen=True)
class Candidate:
    """A trip instance displaced bookings may move to."""

    resolved: ResolvedInstance
    seat_map: SeatMap
    alternative: Alternative


def displaced_bookings(
    session: Session, inventory: Inventory, trip_instance: str
) -> list[Displaced]:
    """The confirmed bookings of ``trip_instance`` not yet re-accommodated, in booking order."""
    opened = session.get(TripInventory, trip_instance)
    if opened is None:
        return []  # never on sale: nothing was booked
    rows = session.execute(
        select(Booking.id, Booking.reference, Hold)
        .join(Hold, Hold.id == Booking.hold_id)
        .outerjoin(Reaccommodation, Reaccommodation.booking_id == Booking.id)
        .where(
            Booking.trip_instance == trip_instance,
            Booking.status == "confirmed",
            Reaccommodation.id.is_(None),
        )
        .order_by(Booking.id)
    ).all()
    if not rows:
        return []
    seats = _seats_by_booking(session, [booking_id for booking_id, _, _ in rows])
    old_map = inventory.seat_maps.get(opened.seat_map)
    trip = inventory.trips.get(session, opened.feed_version_id, opened.trip_id)
    facts = inventory.facts.get(session, opened.feed_version_id)
    instance = parse_instance(trip_instance)
    shift = _shift(facts.runs.get(opened.trip_id), instance.run_start)
    zone = facts.zone(None)
    displaced = []
    for booking_id, reference, hold in rows:
        taken = [old_map.seat(label) for label in seats[booking_id] if old_map and label in old_map]
        arrival_s = _arrival_at(trip, hold.alight) if trip is not None else None
        if arrival_s is None:
            continue  # the old timetable is gone: nothing to compare alternatives with
        displaced.append(
            Displaced(
                booking_id,
                hold.id,
                reference,
                DisplacedBooking(
                    booking_id=str(booking_id),
                    party=hold.party,
                    seat_class=hold.seat_class or "",
                    origin=hold.board_stop_id,
                    destination=hold.alight_stop_id,
                    arrival=service_time(instance.service_date, arrival_s + shift, zone),
                    accessible=sum(seat.has("accessible") for seat in taken),
                    bikes=sum(seat.has("bike") for seat in taken),
                    unassigned=hold.assignment == "places",
                ),
            )
        )
    return displaced


def alternatives(
    session: Session,
    inventory: Inventory,
    cancelled: str,
    displaced: list[Displaced],
    now: datetime,
) -> list[Candidate]:
    """The trip instances of the active timetable the displaced bookings may move to."""
    if not displaced:
        return []
    facts = inventory.facts.get(session, timetable.require_active_version(session))
    day = parse_instance(cancelled).service_date
    days = (day, day + timedelta(days=1))
    gone = set(
        session.scalars(
            select(TripCancellation.trip_instance).where(TripCancellation.service_date.in_(days))
        )
    )
    departures: dict[str, datetime] = {}
    pairs = {(d.request.origin, d.request.destination) for d in displaced}
    for origin, destination in sorted(pairs):
        for service_day in days:
            try:
                options = timetable.direct_trips(session, facts, origin, destination, service_day)
            except ServiceError:
                continue  # a stop the active timetable no longer has
            for option in options:
                key = str(option.instance)
                if key == cancelled or key in gone:
                    continue
                earliest = departures.get(key)
                if earliest is None or option.departure < earliest:
                    departures[key] = option.departure
    candidates = []
    for key, departure in sorted(departures.items()):
        if departure <= now:
            continue  # gone already from a stop a displaced traveler would board at
        try:
            resolved = resolve(session, inventory, key, version=facts.version)
            seat_map = seat_map_for(session, inventory, resolved)
        except ServiceError:
            continue  # not reservable
        calls = _calls(resolved.trip, resolved, facts.runs.get(resolved.trip.trip_id))
        if calls is None:
            continue
        zone = facts.zone(None)
        candidates.append(
            Candidate(
                resolved,
                seat_map,
                Alternative(
                    trip_instance=key,
                    calls=tuple(
                        StopCall(stop, service_time(resolved.instance.service_date, at, zone))
                        for stop, at in calls
                    ),
                    seat_map=seat_map,
                    taken=taken_on(session, key, now),
                    unassigned_claims=place_claims(session, key, now),
                ),
            )
        )
    return candidates


def _seats_by_booking(session: Session, booking_ids: list[int]) -> dict[int, list[str]]:
    seats: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(BookingPassenger.booking_id, BookingPassenger.seat)
        .where(BookingPassenger.booking_id.in_(booking_ids), BookingPassenger.seat.is_not(None))
        .order_by(BookingPassenger.booking_id, BookingPassenger.position)
    )
    for booking_id, seat in rows:
        seats[booking_id].append(str(seat))
    return seats


def _shift(runs: list[tuple[int, int]] | None, run_start: int | None) -> int:
    """Seconds a frequency-based run is later than its trip's stop times."""
    if run_start is None or not runs:
        return 0
    return next((start - first for first, start in runs if start == run_start), 0)


def _arrival_at(trip: TripStops, stop_index: int) -> int | None:
    """The time the trip reaches its ``stop_index``-th stop, in seconds of its service day
    (the nearest timed stop before it when that one is untimed)."""
    for arrival, departure in reversed(trip.times[: stop_index + 1]):
        if arrival is not None or departure is not None:
            return arrival if arrival is not None else departure
    return None


def _calls(
    trip: TripStops, resolved: ResolvedInstance, runs: list[tuple[int, int]] | None
) -> list[tuple[str, int]] | None:
    """Each stop of the trip with the time it reaches it (untimed stops take the time of the
    timed stop before them); None when the trip has no times."""
    shift = _shift(runs, resolved.instance.run_start)
    calls: list[tuple[str, int]] = []
    for index, stop in enumerate(trip.stop_ids):
        at = _arrival_at(trip, index)
        if at is None:
            return None
        calls.append((stop, at + shift))
    return calls
