"""Holds on seats and places of trip instances, and what is free, safe under a rush.

A hold takes seats (chosen by the traveler or assigned by ``inventory.assignment``) or
unassigned places of a class on a leg range [board, alight) of a trip instance, until it
expires; ``bookings`` confirms it. Holds are written in writer transactions whose claims the
database may refuse (``reservation_store``): a hold whose seats were taken meanwhile is tried
again in a fresh transaction that first clears the trip's expired claims and reads the taken
seats afresh.

What happens to a hold afterwards (shown, released, expired) is in ``hold_lifecycle``.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from backend.db import Executor
from backend.errors import ConflictError, ServiceError
from backend.models import Hold, PlaceClaim
from backend.services import one_statement
from backend.services.claim_reads import SEAT_CLAIMS, taken_around
from backend.services.feeds import active_version_id
from backend.services.hold_lifecycle import hold_body
from backend.services.hold_pricing import HoldPrice, price_hold
from backend.services.reservation_store import (
    HoldRow,
    IdempotencyKey,
    Inventory,
    Outcome,
    expire_place_claims,
    expire_seat_claims,
    inventory_error,
    legs_between,
    lock_legs,
    refuse_if_cancelled,
    resolve,
    sale_seat_map,
)
from backend.services.trip_lookup import ResolvedInstance
from backend.services.write_sessions import (
    lock_claim_writers,
    single_statements,
    with_idempotency,
)
from inventory.assignment import Assignment, SeatRequest, assign_seats, validate_explicit
from inventory.errors import InventoryError
from inventory.legs import LegRange
from inventory.seatmaps import SeatMap

# Holds are inserted with a Core statement, without the ORM's bookkeeping.
HOLDS: Table = Hold.__table__  # type: ignore[assignment]

AUTO_ASSIGN_ATTEMPTS = 3  # an assigned hold that loses a race reads again and tries again


@dataclass(frozen=True)
class HoldRequest:
    """What a traveler asks to hold."""

    trip_instance: str
    from_stop: str
    to_stop: str
    seats: tuple[str, ...] = ()
    party: int | None = None
    seat_class: str | None = None
    together: bool = True
    position: str | None = None
    accessible: int = 0
    bikes: int = 0


# --- writing -------------------------------------------------------------------------------


def create_hold(
    inventory: Inventory, request: HoldRequest, now: datetime, key: IdempotencyKey | None = None
) -> Outcome:
    """Hold seats or places; 201 with the hold, or a refusal with a stable code.

    A hold whose seats another traveler claimed meanwhile (the database refuses the claim)
    is tried again in a new transaction, which first clears expired claims on the trip and
    reads the taken seats afresh; a traveler's own choice of seats is tried once more only.
    """
    if key is None and inventory.one_statement_writes:
        try:
            with single_statements(inventory) as session:
                outcome = _hold_in_one_statement(session, inventory, request, now)
            if outcome is not None:
                return outcome
        except ConflictError as refusal:
            if refusal.code != "seat_taken":
                raise
        # Lost a race, or the hold needs a transaction: the general path below.
    attempts = 2 if request.seats else AUTO_ASSIGN_ATTEMPTS
    for attempt in range(attempts):

        def run(session: Session, fresh: bool = attempt > 0) -> Outcome:
            return _hold_once(session, inventory, request, now, clear_expired=fresh)

        try:
            return with_idempotency(inventory, key, run, now)
        except ConflictError as refusal:
            if refusal.code != "seat_taken" or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _hold_once(
    session: Session,
    inventory: Inventory,
    request: HoldRequest,
    now: datetime,
    *,
    clear_expired: bool,
) -> Outcome:
    resolved = resolve(session, inventory, request.trip_instance)
    legs = legs_between(resolved, request.from_stop, request.to_stop)
    refuse_if_cancelled(session, resolved.key)
    seat_map = sale_seat_map(session, inventory, resolved, now)
    hold = _new_hold(inventory, request, resolved, legs, now)
    _price(hold, price_hold(session, inventory, resolved, legs))
    places_class = _places_class(request, seat_map)
    if places_class is not None:
        hold.assignment = "places"
        held = Hold(**_row_of(hold))
        session.add(held)
        session.flush()
        _take_places(session, held, legs, seat_class=places_class, now=now)
        session.flush()
        inventory.opened[resolved.key] = seat_map.name
        return Outcome(201, hold_body(held, (), now))
    if clear_expired:
        expire_seat_claims(session, resolved.key, now)
    seats = _choose_seats(session, resolved, seat_map, legs, request=request, hold=hold, now=now)
    # Plain INSERTs (the hold object only carries the values).
    lock_claim_writers(session, resolved.key, seats)
    connection = session.connection()
    connection.execute(insert(HOLDS).values(_row_of(hold)))
    connection.execute(  # the database refuses an overlapping claim here: 409 seat_taken
        insert(SEAT_CLAIMS),
        [
            {
                "hold_id": hold.id,
                "trip_instance": resolved.key,
                "seat": label,
                "board": legs.board,
                "alight": legs.alight,
                "expires_at": hold.expires_at,
            }
            for label in seats
        ],
    )
    inventory.opened[resolved.key] = seat_map.name
    return Outcome(201, hold_body(hold, seats, now))


def _hold_in_one_statement(
    session: Executor, inventory: Inventory, request: HoldRequest, now: datetime
) -> Outcome | None:
    """Hold seats with one statement (PostgreSQL), or None when the general path must.

    The trip is resolved against the feed version last found active, without asking; the
    statement writes only while that version is still the active one. None when it was not,
    or when places are asked for.
    """
    hint = inventory.active_version.version
    try:
        resolved = resolve(session, inventory, request.trip_instance, version=hint)
        legs = legs_between(resolved, request.from_stop, request.to_stop)
        seat_map = sale_seat_map(session, inventory, resolved, now)
    except ServiceError:
        if hint is not None and active_version_id(session) != hint:
            return None  # refused by an older timetable: the general path asks the current one
        raise
    inventory.opened[resolved.key] = seat_map.name
    if _places_class(request, seat_map) is not None:
        return None  # places: counted on locked leg rows, in a transaction
    hold = _new_hold(inventory, request, resolved, legs, now)
    _price(hold, price_hold(session, inventory, resolved, legs))
    seats = _choose_seats(session, resolved, seat_map, legs, request=request, hold=hold, now=now)
    written = one_statement.insert_hold(session, hold, seats, version=resolved.trip.version)
    inventory.active_version.version = resolved.trip.version if written else None
    return Outcome(201, hold_body(hold, seats, now)) if written else None


def _places_class(request: HoldRequest, seat_map: SeatMap) -> str | None:
    """The class of unassigned places the request asks for, if it asks for places."""
    if request.seats or request.seat_class not in seat_map.unassigned:
        return None
    return request.seat_class


def _new_hold(
    inventory: Inventory,
    request: HoldRequest,
    resolved: ResolvedInstance,
    legs: LegRange,
    now: datetime,
) -> HoldRow:
    """The hold a request asks for, not yet written."""
    return HoldRow(
        id=uuid.uuid4().hex,
        trip_instance=resolved.key,
        board=legs.board,
        alight=legs.alight,
        board_stop_id=request.from_stop,
        alight_stop_id=request.to_stop,
        seat_class=request.seat_class,
        party=len(request.seats) or request.party or 1,
        status="held",
        created_at=now,
        expires_at=now + inventory.hold_duration,
    )


def _price(hold: HoldRow, price: HoldPrice) -> None:
    hold.fare_product_id = price.fare_product_id
    hold.fare_amount = price.fare_amount
    hold.currency = price.currency
    hold.rider_category_id = price.rider_category_id
    hold.valid_from = price.valid_from
    hold.valid_until = price.valid_until


def _row_of(hold: HoldRow) -> dict[str, Any]:
    return {column.key: getattr(hold, column.key) for column in HOLDS.columns}


def _choose_seats(
    session: Executor,
    resolved: ResolvedInstance,
    seat_map: SeatMap,
    legs: LegRange,
    *,
    request: HoldRequest,
    hold: HoldRow,
    now: datetime,
) -> tuple[str, ...]:
    taken = taken_around(session, resolved.key, legs, now)
    try:
        if request.seats:
            validate_explicit(seat_map, taken, list(request.seats), legs)
            hold.assignment = "chosen"
            if request.seat_class is None:
                hold.seat_class = seat_map.seat(request.seats[0]).seat_class
            return request.seats
        assignment = _assign(seat_map, taken, resolved, legs, request)
    except InventoryError as error:
        raise inventory_error(error) from error
    hold.assignment = assignment.method
    if request.seat_class is None and assignment.seats:
        hold.seat_class = seat_map.seat(assignment.seats[0]).seat_class
    return assignment.seats


def _assign(
    seat_map: SeatMap,
    taken: dict[str, list[LegRange]],
    resolved: ResolvedInstance,
    legs: LegRange,
    request: HoldRequest,
) -> Assignment:
    """Seats for a party; one that names no class sits in the map's default class, unless it
    needs accessible or bike seats that only another class still has."""
    wanted = SeatRequest(
        party=request.party or 1,
        legs=legs,
        seat_class=request.seat_class or seat_map.default_seat_class,
        together=request.together,
        position=request.position,
        accessible=request.accessible,
        bikes=request.bikes,
    )
    stop_count = len(resolved.trip.stop_ids)
    try:
        return assign_seats(seat_map, taken, wanted, stop_count=stop_count)
    except InventoryError as error:
        needs = request.accessible or request.bikes
        if request.seat_class is not None or wanted.seat_class is None or not needs:
            raise
        if error.code != "sold_out":
            raise
        anywhere = dataclasses.replace(wanted, seat_class=None)
        return assign_seats(seat_map, taken, anywhere, stop_count=stop_count)


def _take_places(
    session: Session, hold: Hold, legs: LegRange, *, seat_class: str, now: datetime
) -> None:
    trip_instance = hold.trip_instance
    rows = lock_legs(session, trip_instance, seat_class)
    expire_place_claims(session, rows, trip_instance=trip_instance, seat_class=seat_class, now=now)
    party = hold.party
    short = [leg for leg in legs.legs if rows[leg].capacity - rows[leg].used < party]
    if short:
        raise ConflictError(
            "sold_out", f"not enough {seat_class} places left from leg {short[0]} on"
        )
    for leg in legs.legs:
        rows[leg].used += party
    session.add(
        PlaceClaim(
            hold_id=hold.id,
            trip_instance=trip_instance,
            seat_class=seat_class,
            board=legs.board,
            alight=legs.alight,
            places=party,
            expires_at=hold.expires_at,
        )
    )
