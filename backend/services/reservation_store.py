"""What holds and bookings share: the reservation context, writer transactions, idempotency,
and ending claims on a trip instance's seats and places (``claim_reads`` reads them).

Every write runs in a writer transaction (``writer``), or on PostgreSQL as one statement of
its own (``single_statements``, ``one_statement``), and leaves the last word to the
database: an exclusion constraint (PostgreSQL) or trigger (SQLite) refuses a seat claim
overlapping another, and a CHECK refuses a leg's places beyond its capacity, whatever the
application believed when it read. Lock waits are bounded by ``lock_timeout``; a request that
loses a race gets 409 with a code, one that cannot get its locks in time 503
``busy_try_again``, never a 500. Reads count only claims whose expiry is still ahead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.db import Database, Executor, core
from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import (
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
from inventory.errors import InventoryError
from inventory.legs import LegRange, leg_range_between
from inventory.seatmaps import SeatMap, SeatMapCatalog

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


@dataclass
class ActiveVersionHint:
    """The feed version last found active, for writes that check it themselves."""

    version: int | None = None


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
    active_version: ActiveVersionHint = field(default_factory=ActiveVersionHint)

    @property
    def one_statement_writes(self) -> bool:
        """Whether holds and confirmations may write in one statement (``one_statement``)."""
        return self.database.engine.dialect.name == "postgresql"


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


def new_reference() -> str:
    """A random booking reference: 8 characters without look-alikes (about 10^12 choices)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def inventory_error(error: InventoryError) -> ServiceError:
    """The service error for a refusal of the inventory domain."""
    return ServiceError(error.code, error.message, status=_INVENTORY_STATUS.get(error.code, 400))


def resolve(
    session: Executor, inventory: Inventory, trip_instance: str, *, version: int | None = None
) -> ResolvedInstance:
    """The running trip instance named ``trip_instance`` in the active timetable (or in the
    feed ``version`` given)."""
    if version is None:
        version = require_active_version(session)
    facts = inventory.facts.get(session, version)
    return trip_lookup.resolve(session, facts, inventory.trips, trip_instance)


def seat_map_for(inventory: Inventory, resolved: ResolvedInstance) -> SeatMap:
    """The seat map of the instance's trip; 409 ``not_reservable`` without one."""
    seat_map = inventory.seat_maps.for_trip(resolved.trip.trip_id, resolved.trip.route_id)
    if seat_map is None:
        raise ConflictError(
            "not_reservable", f"trip {resolved.trip.trip_id} has no seat map; it cannot be held"
        )
    return seat_map


def legs_between(resolved: ResolvedInstance, from_stop: str, to_stop: str) -> LegRange:
    """The leg range from ``from_stop`` to ``to_stop``; 400 ``invalid_leg_range``."""
    try:
        return leg_range_between(resolved.trip.stop_ids, from_stop, to_stop)
    except InventoryError as error:
        raise inventory_error(error) from error


@contextmanager
def writer(inventory: Inventory) -> Iterator[Session]:
    """A writer transaction with bounded lock waits; database refusals become 409/503."""
    with inventory.database.writer_sessions() as session:
        try:
            _bound_lock_waits(session, inventory.lock_timeout_ms)
            yield session
        except (IntegrityError, OperationalError, DBAPIError) as error:
            session.rollback()
            raise _database_refusal(error) from error


@contextmanager
def single_statements(inventory: Inventory) -> Iterator[Connection]:
    """A connection whose every statement commits on its own, with bounded lock waits and
    database refusals turned into 409/503, as in :func:`writer`."""
    with inventory.database.autocommit.connect() as connection:
        try:
            _bound_lock_waits(connection, inventory.lock_timeout_ms)
            yield connection
        except (IntegrityError, OperationalError, DBAPIError) as error:
            raise _database_refusal(error) from error


def _bound_lock_waits(session: Executor, milliseconds: int) -> None:
    """Give the session's PostgreSQL connection its lock timeout, once per connection.

    The setting stays with the connection (saving a round trip per transaction); work that
    may wait longer on locks, such as a feed import, sets its own for its transaction.
    """
    connection = core(session)
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


def with_idempotency(
    inventory: Inventory,
    key: IdempotencyKey | None,
    run: Callable[[Session], Outcome],
    now: datetime,
) -> Outcome:
    """Run ``run`` in a writer transaction, once per idempotency key; replay otherwise."""

    def once() -> Outcome:
        with writer(inventory) as session:
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


def open_inventory(
    session: Executor, resolved: ResolvedInstance, seat_map: SeatMap, now: datetime
) -> None:
    """Create the trip instance's inventory row and capacity rows if they are new (rows
    already there are kept, so this may run again, in any transaction or none)."""
    dialect = core(session).dialect.name
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


def expire_seat_claims(session: Session, trip_instance: str, now: datetime) -> None:
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


def lock_legs(session: Session, trip_instance: str, seat_class: str) -> dict[int, LegCapacity]:
    """Lock every leg row of a class, in leg order (the same order in every transaction)."""
    rows = session.scalars(
        select(LegCapacity)
        .where(LegCapacity.trip_instance == trip_instance, LegCapacity.seat_class == seat_class)
        .order_by(LegCapacity.leg)
        .with_for_update()
    ).all()
    return {row.leg: row for row in rows}


def give_back(legs: dict[int, LegCapacity], claim: PlaceClaim) -> None:
    """Return a place claim's places to the legs it used."""
    for leg in range(claim.board, claim.alight):
        legs[leg].used -= claim.places


def expire_place_claims(
    session: Session,
    legs: dict[int, LegCapacity],
    *,
    trip_instance: str,
    seat_class: str,
    now: datetime,
) -> None:
    """End the expired place claims of a class, giving their places back."""
    expired = session.scalars(
        select(PlaceClaim).where(
            PlaceClaim.trip_instance == trip_instance,
            PlaceClaim.seat_class == seat_class,
            PlaceClaim.expires_at <= now,
        )
    ).all()
    for claim in expired:
        give_back(legs, claim)
        session.delete(claim)
    if expired:
        session.execute(
            update(Hold)
            .where(Hold.id.in_({claim.hold_id for claim in expired}), Hold.status == "held")
            .values(status="expired", ended_at=now)
        )


@dataclass(slots=True)
class HoldRow:
    """A hold being made, before it is written: the ``hold`` table's columns, without the
    ORM's bookkeeping."""

    id: str
    trip_instance: str
    board: int
    alight: int
    board_stop_id: str
    alight_stop_id: str
    seat_class: str | None
    party: int
    status: str
    created_at: datetime
    expires_at: datetime
    assignment: str | None = None
    ended_at: datetime | None = None


def hold_status(hold: Hold | HoldRow, now: datetime) -> str:
    """A hold's status as of ``now`` (a held hold past its expiry is expired)."""
    if hold.status == "held" and hold.expires_at <= now:
        return "expired"
    return hold.status


def hold_seats(session: Session, hold_id: str) -> list[str]:
    """The seats a hold claims, in the order they were claimed."""
    return list(
        session.scalars(
            select(SeatClaim.seat).where(SeatClaim.hold_id == hold_id).order_by(SeatClaim.id)
        )
    )


# Advisory locks of the two-key form: this class id, then a hash of the trip instance.
CLAIM_WRITERS_LOCK_CLASS = 0x46470001

_LOCK_CLAIM_WRITERS = text(
    "SELECT pg_advisory_xact_lock(CAST(:lock_class AS integer), hashtext(:trip_instance))"
)


def lock_claim_writers(session: Session, trip_instance: str) -> None:
    """Wait for other writers of the trip instance's seat claims; block them until commit.

    On PostgreSQL every transaction that inserts or updates seat claims takes this lock first
    (``one_statement`` takes it inside its statements). The exclusion constraint checks a new
    claim against the others after inserting it, so two uncommitted conflicting claims would
    each wait for the other's transaction: a deadlock, broken only after a second. In turn,
    each check finds the earlier claims committed and refuses at once. SQLite writers are
    serialized already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            _LOCK_CLAIM_WRITERS,
            {"lock_class": CLAIM_WRITERS_LOCK_CLASS, "trip_instance": trip_instance},
        )


def locked_hold(session: Session, hold_id: str) -> Hold:
    """A hold, locked for this transaction; 404 ``hold_not_found``."""
    hold = session.get(Hold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFoundError("hold_not_found", f"no hold {hold_id}")
    return hold


def end_claims(session: Session, hold: Hold) -> None:
    """Delete the hold's claims, giving places back to their legs (locked in leg order)."""
    session.execute(delete(SeatClaim).where(SeatClaim.hold_id == hold.id))
    claims = session.scalars(select(PlaceClaim).where(PlaceClaim.hold_id == hold.id)).all()
    for claim in claims:
        legs = lock_legs(session, claim.trip_instance, claim.seat_class)
        give_back(legs, claim)
        session.delete(claim)


def expire_hold(inventory: Inventory, hold_id: str, now: datetime) -> None:
    """End a hold that has run out and free what it claimed."""
    with writer(inventory) as session:
        hold = locked_hold(session, hold_id)
        if hold.status == "held":
            end_claims(session, hold)
            hold.status = "expired"
            hold.ended_at = now
        session.commit()
