"""Holds and bookings of seats and places on trip instances, safe under a rush.

A hold takes seats (chosen by the traveler or assigned by ``inventory.assignment``) or
unassigned places of a class on a leg range [board, alight) of a trip instance, until it
expires; confirming it makes a booking. Every write runs in a writer transaction
(``Database.writer_sessions``) and leaves the last word to the database: an exclusion
constraint (PostgreSQL) or trigger (SQLite) refuses a seat claim overlapping another, and a
CHECK refuses a leg's places beyond its capacity, whatever the application believed when it
read. Lock waits are bounded by ``lock_timeout``; a request that loses a race gets 409 with a
code, one that cannot get its locks in time 503 ``busy_try_again``, never a 500.

Expired holds free their seats for readers at once: every read counts only claims whose expiry
is still ahead. Writers delete the expired claims of the trip instance they touch before they
claim, and ``sweep_expired`` (a scheduled job) ends the rest.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, and_, case, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import (
    Booking,
    BookingPassenger,
    Hold,
    IdempotencyRecord,
    LegCapacity,
    PlaceClaim,
    SeatClaim,
    TripInventory,
)
from backend.services import trip_lookup
from backend.services.timetable import require_active_version
from backend.services.trip_lookup import ResolvedInstance, TripStopsCache
from backend.services.version_facts import VersionFactsCache
from inventory.assignment import SeatRequest, assign_seats, validate_explicit
from inventory.availability import free_seats, unassigned_free
from inventory.errors import InventoryError
from inventory.legs import LegRange, leg_range_between
from inventory.seatmaps import SeatMap, SeatMapCatalog

T = TypeVar("T")

# The rush path runs Core statements on these tables, without the ORM's bookkeeping.
HOLDS: Table = Hold.__table__  # type: ignore[assignment]
SEAT_CLAIMS: Table = SeatClaim.__table__  # type: ignore[assignment]
BOOKINGS: Table = Booking.__table__  # type: ignore[assignment]
PASSENGERS: Table = BookingPassenger.__table__  # type: ignore[assignment]

AUTO_ASSIGN_ATTEMPTS = 3  # an assigned hold that loses a race reads again and tries again
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REFERENCE_LENGTH = 8

_INVENTORY_STATUS = {
    "seat_taken": 409,
    "sold_out": 409,
    "invalid_leg_range": 400,
    "unknown_seat": 400,
    "duplicate_seat": 400,
    "invalid_party": 400,
    "class_mismatch": 400,
    "invalid_seat_map": 500,
}


@dataclass(frozen=True)
class Inventory:
    """What the reservation services need from the application."""

    database: Database
    seat_maps: SeatMapCatalog
    facts: VersionFactsCache
    trips: TripStopsCache
    hold_duration: timedelta
    lock_timeout_ms: int
    # Trip instances whose inventory rows this process has seen created.
    opened: set[str] = field(default_factory=set)


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


@dataclass(frozen=True)
class Passenger:
    """One traveler named when a hold is confirmed."""

    name: str


@dataclass(frozen=True)
class IdempotencyKey:
    """An ``Idempotency-Key`` header, scoped to one operation, with a digest of the body."""

    scope: str
    key: str
    request_hash: str


@dataclass(frozen=True)
class Outcome:
    """A response to give: status code and JSON body (as stored for idempotent replays)."""

    status: int
    body: dict[str, Any]


def inventory_error(error: InventoryError) -> ServiceError:
    """The service error for a refusal of the inventory domain."""
    return ServiceError(error.code, error.message, status=_INVENTORY_STATUS.get(error.code, 400))


# --- reading -------------------------------------------------------------------------------


def _resolve(session: Session, inventory: Inventory, trip_instance: str) -> ResolvedInstance:
    version = require_active_version(session)
    facts = inventory.facts.get(session, version)
    return trip_lookup.resolve(session, facts, inventory.trips, trip_instance)


def _seat_map(inventory: Inventory, resolved: ResolvedInstance) -> SeatMap:
    seat_map = inventory.seat_maps.for_trip(resolved.trip.trip_id, resolved.trip.route_id)
    if seat_map is None:
        raise ConflictError(
            "not_reservable", f"trip {resolved.trip.trip_id} has no seat map; it cannot be held"
        )
    return seat_map


def _legs(resolved: ResolvedInstance, from_stop: str, to_stop: str) -> LegRange:
    try:
        return leg_range_between(resolved.trip.stop_ids, from_stop, to_stop)
    except InventoryError as error:
        raise inventory_error(error) from error


def _live(column: Any, now: datetime) -> Any:
    return or_(column.is_(None), column > now)


def _taken(session: Session, trip_instance: str, now: datetime) -> dict[str, list[LegRange]]:
    taken: dict[str, list[LegRange]] = defaultdict(list)
    claims = SEAT_CLAIMS.c
    rows = session.connection().execute(
        select(claims.seat, claims.board, claims.alight).where(
            claims.trip_instance == trip_instance, _live(claims.expires_at, now)
        )
    )
    for seat, board, alight in rows:
        taken[seat].append(LegRange(board, alight))
    return taken


def _taken_around(
    session: Session, trip_instance: str, legs: LegRange, now: datetime
) -> dict[str, list[LegRange]]:
    """What assignment needs of the claims on ``legs``, summed up per seat by the database.

    For every seat with live claims: one claim overlapping ``legs`` if any does, else the
    nearest claims ending before it and starting after it (as one-leg stand-ins), which is
    all that decides whether the seat is free on ``legs`` and how tightly it fits. A busy trip
    thus costs one row per seat rather than one per claim.
    """
    claims = SEAT_CLAIMS.c
    overlapping = and_(claims.board < legs.alight, claims.alight > legs.board)
    rows = session.connection().execute(
        select(
            claims.seat,
            func.max(case((overlapping, 1), else_=0)),
            func.max(case((claims.alight <= legs.board, claims.alight))),
            func.min(case((claims.board >= legs.alight, claims.board))),
        )
        .where(claims.trip_instance == trip_instance, _live(claims.expires_at, now))
        .group_by(claims.seat)
    )
    taken: dict[str, list[LegRange]] = {}
    for seat, blocked, free_from, free_until in rows:
        if blocked:
            taken[seat] = [legs]
            continue
        ranges = taken[seat] = []
        if free_from is not None:
            ranges.append(LegRange(free_from - 1, free_from))
        if free_until is not None:
            ranges.append(LegRange(free_until, free_until + 1))
    return taken


def _place_claims(
    session: Session, trip_instance: str, now: datetime
) -> dict[str, list[tuple[LegRange, int]]]:
    claims: dict[str, list[tuple[LegRange, int]]] = defaultdict(list)
    rows = session.execute(
        select(PlaceClaim.seat_class, PlaceClaim.board, PlaceClaim.alight, PlaceClaim.places).where(
            PlaceClaim.trip_instance == trip_instance, _live(PlaceClaim.expires_at, now)
        )
    )
    for seat_class, board, alight, places in rows:
        claims[seat_class].append((LegRange(board, alight), places))
    return claims


def availability(
    session: Session,
    inventory: Inventory,
    trip_instance: str,
    *,
    from_stop: str,
    to_stop: str,
    now: datetime,
) -> dict[str, Any]:
    """Free places per class and the seat map with each seat free or taken on the legs."""
    resolved = _resolve(session, inventory, trip_instance)
    seat_map = _seat_map(inventory, resolved)
    legs = _legs(resolved, from_stop, to_stop)
    taken = _taken(session, resolved.key, now)
    free = {seat.label for seat in free_seats(seat_map, taken, legs)}
    claims = _place_claims(session, resolved.key, now)
    classes: dict[str, dict[str, int]] = {}
    for seat in seat_map.seats:
        entry = classes.setdefault(seat.seat_class, {"seats": 0, "places": 0})
        entry["seats"] += seat.label in free
    for seat_class, capacity in seat_map.unassigned.items():
        entry = classes.setdefault(seat_class, {"seats": 0, "places": 0})
        entry["places"] += unassigned_free(capacity, claims.get(seat_class, []), legs)
    return {
        "trip_instance": resolved.key,
        "from": from_stop,
        "to": to_stop,
        "board": legs.board,
        "alight": legs.alight,
        "seat_map": seat_map.name,
        "classes": [
            {"seat_class": name, "free": counts["seats"] + counts["places"], **counts}
            for name, counts in sorted(classes.items())
        ],
        "seats": [
            {
                "label": seat.label,
                "row": seat.row,
                "column": seat.column,
                "deck": seat.deck,
                "seat_class": seat.seat_class,
                "attributes": sorted(seat.attributes),
                "free": seat.label in free,
            }
            for seat in seat_map.seats
        ],
    }


# --- writing -------------------------------------------------------------------------------


@contextmanager
def _writer(inventory: Inventory) -> Iterator[Session]:
    """A writer transaction with bounded lock waits; database refusals become 409/503."""
    with inventory.database.writer_sessions() as session:
        try:
            _bound_lock_waits(session, inventory.lock_timeout_ms)
            yield session
        except (IntegrityError, OperationalError, DBAPIError) as error:
            session.rollback()
            raise _database_refusal(error) from error


def _bound_lock_waits(session: Session, milliseconds: int) -> None:
    """Give the session's PostgreSQL connection its lock timeout, once per connection.

    The setting stays with the connection (saving a round trip per transaction); work that
    may wait longer on locks, such as a feed import, sets its own for its transaction.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    info = connection.connection.info
    if info.get(_LOCK_TIMEOUT_KEY) != milliseconds:
        connection.execute(text(f"SET lock_timeout = {int(milliseconds)}"))
        info[_LOCK_TIMEOUT_KEY] = milliseconds


_LOCK_TIMEOUT_KEY = "faregate_lock_timeout_ms"


def _database_refusal(error: DBAPIError) -> ServiceError:
    state = getattr(error.orig, "sqlstate", None) or ""
    text_ = str(error.orig)
    if state == "23P01" or "overlaps another claim" in text_:
        return ConflictError("seat_taken", "a seat was taken by another traveler meanwhile")
    if state == "23514" or "within_capacity" in text_:
        return ConflictError("sold_out", "not enough places left on these legs")
    if state in ("55P03", "40P01", "40001") or "database is locked" in text_:
        return ServiceError("busy_try_again", "too many travelers at once; try again", status=503)
    if state == "23505" and "idempotency_record" in text_:
        return _IdempotencyRaceError("idempotency_in_flight", "the same request is in progress")
    raise error


class _IdempotencyRaceError(ServiceError):
    """Two requests with one Idempotency-Key ran at once; the loser replays the winner."""

    status = 409


def _replay(session: Session, key: IdempotencyKey | None) -> Outcome | None:
    if key is None:
        return None
    record = session.get(IdempotencyRecord, (key.scope, key.key))
    if record is None:
        return None
    if record.request_hash != key.request_hash:
        raise ServiceError(
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
            status=422,
        )
    return Outcome(record.status_code, record.body)


def _with_idempotency(
    inventory: Inventory,
    key: IdempotencyKey | None,
    run: Callable[[Session], Outcome],
    now: datetime,
) -> Outcome:
    """Run ``run`` in a writer transaction, once per idempotency key; replay otherwise."""

    def once() -> Outcome:
        with _writer(inventory) as session:
            replay = _replay(session, key)
            if replay is not None:
                return replay
            if key is not None:
                # Claim the key first: a concurrent twin waits here, then replays this one.
                record = IdempotencyRecord(
                    scope=key.scope,
                    key=key.key,
                    request_hash=key.request_hash,
                    status_code=0,
                    body={},
                    created_at=now,
                )
                session.add(record)
                session.flush()
            outcome = run(session)
            if key is not None:
                record.status_code = outcome.status
                record.body = outcome.body
            session.commit()
            return outcome

    try:
        return once()
    except _IdempotencyRaceError:
        return once()


def _open_inventory(
    session: Session, resolved: ResolvedInstance, seat_map: SeatMap, now: datetime
) -> None:
    """Create the trip instance's inventory row and capacity rows if they are new."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(TripInventory)
        .values(
            trip_instance=resolved.key,
            feed_version_id=resolved.trip.version,
            trip_id=resolved.trip.trip_id,
            service_date=resolved.instance.service_date,
            route_id=resolved.trip.route_id,
            seat_map=seat_map.name,
            stop_ids=list(resolved.trip.stop_ids),
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    legs = len(resolved.trip.stop_ids) - 1
    rows = [
        {
            "trip_instance": resolved.key,
            "seat_class": seat_class,
            "leg": leg,
            "capacity": capacity,
            "used": 0,
        }
        for seat_class, capacity in sorted(seat_map.unassigned.items())
        for leg in range(legs)
    ]
    if rows:
        session.execute(insert(LegCapacity).values(rows).on_conflict_do_nothing())


def _expire_seat_claims(session: Session, trip_instance: str, now: datetime) -> None:
    """Delete the trip instance's expired seat claims and end their holds."""
    expired = session.scalars(
        delete(SeatClaim)
        .where(SeatClaim.trip_instance == trip_instance, SeatClaim.expires_at <= now)
        .returning(SeatClaim.hold_id)
    ).all()
    if expired:
        session.execute(
            update(Hold)
            .where(Hold.id.in_(set(expired)), Hold.status == "held")
            .values(status="expired", ended_at=now)
        )


def _lock_legs(session: Session, trip_instance: str, seat_class: str) -> dict[int, LegCapacity]:
    """Lock every leg row of a class, in leg order (the same order in every transaction)."""
    rows = session.scalars(
        select(LegCapacity)
        .where(LegCapacity.trip_instance == trip_instance, LegCapacity.seat_class == seat_class)
        .order_by(LegCapacity.leg)
        .with_for_update()
    ).all()
    return {row.leg: row for row in rows}


def _give_back(legs: dict[int, LegCapacity], claim: PlaceClaim) -> None:
    for leg in range(claim.board, claim.alight):
        legs[leg].used -= claim.places


def _expire_place_claims(
    session: Session,
    legs: dict[int, LegCapacity],
    *,
    trip_instance: str,
    seat_class: str,
    now: datetime,
) -> None:
    expired = session.scalars(
        select(PlaceClaim).where(
            PlaceClaim.trip_instance == trip_instance,
            PlaceClaim.seat_class == seat_class,
            PlaceClaim.expires_at <= now,
        )
    ).all()
    for claim in expired:
        _give_back(legs, claim)
        session.delete(claim)
    if expired:
        session.execute(
            update(Hold)
            .where(Hold.id.in_({claim.hold_id for claim in expired}), Hold.status == "held")
            .values(status="expired", ended_at=now)
        )


def create_hold(
    inventory: Inventory, request: HoldRequest, now: datetime, key: IdempotencyKey | None = None
) -> Outcome:
    """Hold seats or places; 201 with the hold, or a refusal with a stable code.

    A hold whose seats another traveler claimed meanwhile (the database refuses the claim)
    is tried again in a new transaction, which first clears expired claims on the trip and
    reads the taken seats afresh; a traveler's own choice of seats is tried once more only.
    """
    attempts = 2 if request.seats else AUTO_ASSIGN_ATTEMPTS
    for attempt in range(attempts):

        def run(session: Session, fresh: bool = attempt > 0) -> Outcome:
            return _hold_once(session, inventory, request, now, clear_expired=fresh)

        try:
            return _with_idempotency(inventory, key, run, now)
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
    resolved = _resolve(session, inventory, request.trip_instance)
    seat_map = _seat_map(inventory, resolved)
    legs = _legs(resolved, request.from_stop, request.to_stop)
    if resolved.key not in inventory.opened:
        _open_inventory(session, resolved, seat_map, now)
    hold = Hold(
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
    places_class = request.seat_class if request.seat_class in seat_map.unassigned else None
    if places_class is not None and not request.seats:
        hold.assignment = "places"
        session.add(hold)
        session.flush()
        _take_places(session, hold, legs, seat_class=places_class, now=now)
        session.flush()
        inventory.opened.add(resolved.key)
        return Outcome(201, hold_body(hold, (), now))
    if clear_expired:
        _expire_seat_claims(session, resolved.key, now)
    seats = _choose_seats(session, resolved, seat_map, legs, request=request, hold=hold, now=now)
    # Plain INSERTs (the hold object only carries the values): this is the rush path.
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
    inventory.opened.add(resolved.key)
    return Outcome(201, hold_body(hold, seats, now))


def _row_of(hold: Hold) -> dict[str, Any]:
    return {column.key: getattr(hold, column.key) for column in HOLDS.columns}


def _choose_seats(
    session: Session,
    resolved: ResolvedInstance,
    seat_map: SeatMap,
    legs: LegRange,
    *,
    request: HoldRequest,
    hold: Hold,
    now: datetime,
) -> tuple[str, ...]:
    taken = _taken_around(session, resolved.key, legs, now)
    try:
        if request.seats:
            validate_explicit(seat_map, taken, list(request.seats), legs)
            hold.assignment = "chosen"
            if request.seat_class is None:
                hold.seat_class = seat_map.seat(request.seats[0]).seat_class
            return request.seats
        assignment = assign_seats(
            seat_map,
            taken,
            SeatRequest(
                party=request.party or 1,
                legs=legs,
                seat_class=request.seat_class,
                together=request.together,
                position=request.position,
                accessible=request.accessible,
                bikes=request.bikes,
            ),
            stop_count=len(resolved.trip.stop_ids),
        )
    except InventoryError as error:
        raise inventory_error(error) from error
    hold.assignment = assignment.method
    if request.seat_class is None and assignment.seats:
        hold.seat_class = seat_map.seat(assignment.seats[0]).seat_class
    return assignment.seats


def _take_places(
    session: Session, hold: Hold, legs: LegRange, *, seat_class: str, now: datetime
) -> None:
    trip_instance = hold.trip_instance
    rows = _lock_legs(session, trip_instance, seat_class)
    _expire_place_claims(session, rows, trip_instance=trip_instance, seat_class=seat_class, now=now)
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


def hold_status(hold: Hold, now: datetime) -> str:
    """A hold's status as of ``now`` (a held hold past its expiry is expired)."""
    if hold.status == "held" and hold.expires_at <= now:
        return "expired"
    return hold.status


def hold_body(hold: Hold, seats: Sequence[str], now: datetime) -> dict[str, Any]:
    """The JSON form of a hold."""
    return {
        "id": hold.id,
        "trip_instance": hold.trip_instance,
        "from": hold.board_stop_id,
        "to": hold.alight_stop_id,
        "board": hold.board,
        "alight": hold.alight,
        "status": hold_status(hold, now),
        "party": hold.party,
        "seat_class": hold.seat_class,
        "seats": list(seats),
        "assignment": hold.assignment,
        "created_at": hold.created_at.isoformat(),
        "expires_at": hold.expires_at.isoformat(),
    }


def _hold_seats(session: Session, hold_id: str) -> list[str]:
    return list(
        session.scalars(
            select(SeatClaim.seat).where(SeatClaim.hold_id == hold_id).order_by(SeatClaim.id)
        )
    )


def get_hold(session: Session, hold_id: str, now: datetime) -> dict[str, Any]:
    """One hold; 404 ``hold_not_found``."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFoundError("hold_not_found", f"no hold {hold_id}")
    return hold_body(hold, _hold_seats(session, hold_id), now)


def _locked_hold(session: Session, hold_id: str) -> Hold:
    hold = session.get(Hold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFoundError("hold_not_found", f"no hold {hold_id}")
    return hold


def _end_claims(session: Session, hold: Hold) -> None:
    """Delete the hold's claims, giving places back to their legs (locked in leg order)."""
    session.execute(delete(SeatClaim).where(SeatClaim.hold_id == hold.id))
    claims = session.scalars(select(PlaceClaim).where(PlaceClaim.hold_id == hold.id)).all()
    for claim in claims:
        legs = _lock_legs(session, claim.trip_instance, claim.seat_class)
        _give_back(legs, claim)
        session.delete(claim)


def release_hold(inventory: Inventory, hold_id: str, now: datetime) -> dict[str, Any]:
    """Let a hold's seats go (idempotent); 409 ``hold_confirmed`` once it is a booking."""
    with _writer(inventory) as session:
        hold = _locked_hold(session, hold_id)
        if hold.status == "confirmed":
            raise ConflictError("hold_confirmed", "the hold is a booking; cancel the booking")
        if hold.status == "held":
            seats = _hold_seats(session, hold.id)
            _end_claims(session, hold)
            hold.status = "expired" if hold.expires_at <= now else "released"
            hold.ended_at = now
            body = hold_body(hold, seats, now)
            session.commit()
            return body
        return hold_body(hold, [], now)


def confirm(
    inventory: Inventory,
    hold_id: str,
    *,
    passengers: Sequence[Passenger],
    email: str,
    now: datetime,
    key: IdempotencyKey | None = None,
) -> Outcome:
    """Turn a live hold into a booking; 410 ``hold_expired`` when it ran out."""

    def run(session: Session) -> Outcome:
        hold = _locked_hold(session, hold_id)
        if hold.status != "held":
            raise ConflictError(
                "hold_not_active", f"the hold is {hold_status(hold, now)}, not held"
            )
        if hold.expires_at <= now:
            raise _ExpiredError(hold.id)
        if len(passengers) != hold.party:
            raise ServiceError(
                "passenger_count_mismatch",
                f"the hold is for {hold.party} traveler(s); {len(passengers)} named",
            )
        connection = session.connection()
        claimed = connection.execute(
            update(SEAT_CLAIMS)
            .where(SEAT_CLAIMS.c.hold_id == hold.id)
            .values(expires_at=None)
            .returning(SEAT_CLAIMS.c.id, SEAT_CLAIMS.c.seat)
        ).all()
        seats = [seat for _, seat in sorted(claimed)]  # in the order they were claimed
        if hold.assignment == "places":
            session.execute(
                update(PlaceClaim).where(PlaceClaim.hold_id == hold.id).values(expires_at=None)
            )
        hold.status = "confirmed"
        hold.ended_at = now
        booking = Booking(
            reference="",
            hold_id=hold.id,
            trip_instance=hold.trip_instance,
            status="confirmed",
            contact_email=email,
            created_at=now,
        )
        booking.id, booking.reference = _insert_booking(session, booking)
        seat_class = hold.seat_class or ""
        booked = [
            BookingPassenger(
                booking_id=booking.id,
                position=position,
                name=passenger.name,
                seat=seats[position] if position < len(seats) else None,
                seat_class=seat_class,
            )
            for position, passenger in enumerate(passengers)
        ]
        connection.execute(
            insert(PASSENGERS),
            [
                {
                    "booking_id": p.booking_id,
                    "position": p.position,
                    "name": p.name,
                    "seat": p.seat,
                    "seat_class": p.seat_class,
                }
                for p in booked
            ],
        )
        return Outcome(201, booking_body(booking, hold, booked))

    try:
        return _with_idempotency(inventory, key, run, now)
    except _ExpiredError:
        _expire_hold(inventory, hold_id, now)
        raise ServiceError(
            "hold_expired", "the hold expired before it was confirmed; hold again", status=410
        ) from None


class _ExpiredError(Exception):
    """The hold being confirmed has run out."""


def _expire_hold(inventory: Inventory, hold_id: str, now: datetime) -> None:
    with _writer(inventory) as session:
        hold = _locked_hold(session, hold_id)
        if hold.status == "held":
            _end_claims(session, hold)
            hold.status = "expired"
            hold.ended_at = now
        session.commit()


def _insert_booking(session: Session, booking: Booking) -> tuple[int, str]:
    """Insert ``booking`` under a fresh random reference; (id, reference)."""
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        column.key: getattr(booking, column.key)
        for column in BOOKINGS.columns
        if column.key != "id"
    }
    while True:  # a reference already taken (about one in 10^12 per booking): draw again
        values["reference"] = "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
        )
        booking_id = (
            session.connection()
            .execute(
                insert_(BOOKINGS)
                .values(values)
                .on_conflict_do_nothing(index_elements=["reference"])
                .returning(BOOKINGS.c.id)
            )
            .scalar()
        )
        if booking_id is not None:
            return booking_id, values["reference"]


def booking_body(
    booking: Booking, hold: Hold, passengers: Sequence[BookingPassenger]
) -> dict[str, Any]:
    """The JSON form of a booking."""
    return {
        "reference": booking.reference,
        "status": booking.status,
        "trip_instance": booking.trip_instance,
        "from": hold.board_stop_id,
        "to": hold.alight_stop_id,
        "hold_id": hold.id,
        "contact_email": booking.contact_email,
        "passengers": [
            {"name": p.name, "seat": p.seat, "seat_class": p.seat_class} for p in passengers
        ],
        "created_at": booking.created_at.isoformat(),
        "cancelled_at": booking.cancelled_at.isoformat() if booking.cancelled_at else None,
    }


def _passengers(session: Session, booking: Booking) -> list[BookingPassenger]:
    return list(
        session.scalars(
            select(BookingPassenger)
            .where(BookingPassenger.booking_id == booking.id)
            .order_by(BookingPassenger.position)
        )
    )


def _booking_for(session: Session, reference: str, email: str, *, lock: bool) -> Booking:
    query = select(Booking).where(Booking.reference == reference.upper())
    if lock:
        query = query.with_for_update()
    booking = session.scalar(query)
    if booking is None or booking.contact_email.casefold() != email.casefold():
        raise NotFoundError("booking_not_found", f"no booking {reference} for that email")
    return booking


def get_booking(session: Session, reference: str, email: str) -> dict[str, Any]:
    """A booking, shown to whoever knows its reference and contact email."""
    booking = _booking_for(session, reference, email, lock=False)
    hold = session.get(Hold, booking.hold_id)
    assert hold is not None  # noqa: S101 - a booking's hold is never deleted
    return booking_body(booking, hold, _passengers(session, booking))


def cancel_booking(
    inventory: Inventory, reference: str, email: str, now: datetime
) -> dict[str, Any]:
    """Cancel a booking and free its seats (idempotent)."""
    with _writer(inventory) as session:
        booking = _booking_for(session, reference, email, lock=True)
        hold = _locked_hold(session, booking.hold_id)
        if booking.status == "confirmed":
            _end_claims(session, hold)
            booking.status = "cancelled"
            booking.cancelled_at = now
        body = booking_body(booking, hold, _passengers(session, booking))
        session.commit()
        return body


def sweep_expired(inventory: Inventory, now: datetime, *, batch: int = 500) -> int:
    """End holds past their expiry and free what they held; how many were ended."""
    ended = 0
    while True:
        with inventory.database.sessions() as session:
            due = session.scalars(
                select(Hold.id)
                .where(Hold.status == "held", Hold.expires_at <= now)
                .order_by(Hold.expires_at)
                .limit(batch)
            ).all()
        for hold_id in due:
            try:
                _expire_hold(inventory, hold_id, now)
                ended += 1
            except ServiceError:
                continue  # busy: the next sweep takes it
        if len(due) < batch:
            return ended


def claims_overlapping(
    session: Session, trip_instance: str, seat: str, legs: LegRange, now: datetime
) -> int:
    """How many live claims cover ``seat`` on any leg of ``legs`` (for checks and tests)."""
    return len(
        session.scalars(
            select(SeatClaim.id).where(
                and_(
                    SeatClaim.trip_instance == trip_instance,
                    SeatClaim.seat == seat,
                    SeatClaim.board < legs.alight,
                    SeatClaim.alight > legs.board,
                    _live(SeatClaim.expires_at, now),
                )
            )
        ).all()
    )
