"""What holds and bookings share: the reservation context, and ending claims on a trip
instance's seats and places (``claim_reads`` reads them, ``write_sessions`` runs the writes).

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.db import Database, Executor, core
from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.lean_statements import LeanStatement
from backend.models import (
    Hold,
    LegCapacity,
    PlaceClaim,
    SeatClaim,
    TripCancellation,
    TripInventory,
)
from backend.services import seatmap_assignments, trip_lookup
from backend.services.fare_data import FareTablesCache
from backend.services.pass_products import PassProduct
from backend.services.signing_keys import KeyringFile
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
    fares: FareTablesCache
    keyring: KeyringFile
    passes: Mapping[str, PassProduct]
    hold_duration: timedelta
    lock_timeout_ms: int
    # Trip instances whose inventory rows this process has seen, with their seat map's name.
    opened: dict[str, str] = field(default_factory=dict)
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


def seat_map_for(session: Executor, inventory: Inventory, resolved: ResolvedInstance) -> SeatMap:
    """The instance's seat map: the one it was opened for sale with, else the one its trip is
    given now (``seatmap_assignments``); 409 ``not_reservable`` without one."""
    name = opened_map(session, inventory, resolved.key)
    if name is None:
        name = seatmap_assignments.assigned_name(
            session, inventory.seat_maps, resolved.trip.trip_id, resolved.trip.route_id
        )
    return _map_named(inventory, resolved, name)


def sale_seat_map(
    session: Executor, inventory: Inventory, resolved: ResolvedInstance, now: datetime
) -> SeatMap:
    """The seat map holds on the instance are made on, opening the instance for sale with the
    map its trip is given now when it is new; 409 ``not_reservable`` without one.

    Two servers opening the same instance at once with different maps (an operator's choice
    made in between) both end up with the map recorded first.
    """
    name = opened_map(session, inventory, resolved.key)
    if name is None:
        wanted = seatmap_assignments.assigned_name(
            session, inventory.seat_maps, resolved.trip.trip_id, resolved.trip.route_id
        )
        open_inventory(session, resolved, _map_named(inventory, resolved, wanted), now)
        name = opened_map(session, inventory, resolved.key)
    return _map_named(inventory, resolved, name)


def opened_map(session: Executor, inventory: Inventory, trip_instance: str) -> str | None:
    """The name of the map the instance was opened for sale with; None if it was not.

    A recorded map never changes, so each process remembers it (``Inventory.opened``)."""
    name = inventory.opened.get(trip_instance)
    if name is None:
        rows = _OPENED_MAP.rows(session, {"trip_instance": trip_instance})
        if rows:
            name = inventory.opened[trip_instance] = rows[0][0]
    return name


# Built once: each process asks it of every instance it sells on.
_OPENED_MAP = LeanStatement(
    select(TripInventory.seat_map).where(
        TripInventory.trip_instance == bindparam("trip_instance", type_=String)
    )
)


def _map_named(inventory: Inventory, resolved: ResolvedInstance, name: str | None) -> SeatMap:
    if name is None:
        raise ConflictError(
            "not_reservable", f"trip {resolved.trip.trip_id} has no seat map; it cannot be held"
        )
    if name not in inventory.seat_maps:
        raise ConflictError(
            "not_reservable",
            f"trip instance {resolved.key} is sold on seat map {name!r}, "
            "which the seat map files no longer define",
        )
    return inventory.seat_maps[name]


def refuse_if_cancelled(session: Executor, trip_instance: str) -> None:
    """409 ``trip_cancelled`` when the trip instance was cancelled (no new holds or bookings:
    its travelers are re-accommodated, see ``backend.services.cancellations``)."""
    cancelled = session.scalar(
        select(TripCancellation.reason).where(TripCancellation.trip_instance == trip_instance)
    )
    if cancelled is not None:
        raise ConflictError(
            "trip_cancelled", f"trip {trip_instance} is cancelled: {cancelled}".rstrip(": ")
        )


def legs_between(resolved: ResolvedInstance, from_stop: str, to_stop: str) -> LegRange:
    """The leg range from ``from_stop`` to ``to_stop``; 400 ``invalid_leg_range``."""
    try:
        return leg_range_between(resolved.trip.stop_ids, from_stop, to_stop)
    except InventoryError as error:
        raise inventory_error(error) from error


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
    fare_product_id: str | None = None
    fare_amount: int | None = None
    currency: str | None = None
    rider_category_id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


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
