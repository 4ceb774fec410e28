"""What is taken on a trip instance: its live seat and place claims, as readers count them,
and the availability a traveler is shown.

A claim counts while it is booked (no expiry) or held and not yet expired, so an expired hold
frees its seats for readers at once, before any sweep ends it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from backend.db import Executor
from backend.lean_statements import LeanStatement
from backend.models import PlaceClaim, SeatClaim
from backend.services.reservation_store import Inventory, legs_between, resolve, seat_map_for
from inventory.availability import free_seats, unassigned_free
from inventory.legs import LegRange

SEAT_CLAIMS: Table = SeatClaim.__table__  # type: ignore[assignment]


def live(column: Any, now: datetime | BindParameter[Any]) -> Any:
    """Claims still counting at ``now`` (a time, or a parameter standing for one): booked, or
    held and not yet expired."""
    return or_(column.is_(None), column > now)


def taken_on(session: Session, trip_instance: str, now: datetime) -> dict[str, list[LegRange]]:
    """Every live seat claim of a trip instance, by seat."""
    taken: dict[str, list[LegRange]] = defaultdict(list)
    claims = SEAT_CLAIMS.c
    rows = session.connection().execute(
        select(claims.seat, claims.board, claims.alight).where(
            claims.trip_instance == trip_instance, live(claims.expires_at, now)
        )
    )
    for seat, board, alight in rows:
        taken[seat].append(LegRange(board, alight))
    return taken


def taken_around(
    session: Executor, trip_instance: str, legs: LegRange, now: datetime
) -> dict[str, list[LegRange]]:
    """What assignment needs of the claims on ``legs``, summed up per seat by the database.

    For every seat with live claims: one claim overlapping ``legs`` if any does, else the
    nearest claims ending before it and starting after it (as one-leg stand-ins), which is
    all that decides whether the seat is free on ``legs`` and how tightly it fits. A busy trip
    thus costs one row per seat rather than one per claim.
    """
    rows = _TAKEN_AROUND.rows(
        session,
        {"trip_instance": trip_instance, "board": legs.board, "alight": legs.alight, "now": now},
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


def _taken_around_statement() -> Select[str, int, int | None, int | None]:
    claims = SEAT_CLAIMS.c
    board, alight = bindparam("board", type_=Integer), bindparam("alight", type_=Integer)
    overlapping = and_(claims.board < alight, claims.alight > board)
    return (
        select(
            claims.seat,
            # Aggregates with FILTER: cheaper in the database than CASE inside them.
            func.count().filter(overlapping),
            func.max(claims.alight).filter(claims.alight <= board),
            func.min(claims.board).filter(claims.board >= alight),
        )
        .where(
            claims.trip_instance == bindparam("trip_instance"),
            live(claims.expires_at, bindparam("now", type_=claims.expires_at.type)),
        )
        .group_by(claims.seat)
    )


# Built once: every hold runs it.
_TAKEN_AROUND = LeanStatement(_taken_around_statement())


def place_claims(
    session: Session, trip_instance: str, now: datetime
) -> dict[str, list[tuple[LegRange, int]]]:
    """Every live place claim of a trip instance, by class."""
    claims: dict[str, list[tuple[LegRange, int]]] = defaultdict(list)
    rows = session.execute(
        select(PlaceClaim.seat_class, PlaceClaim.board, PlaceClaim.alight, PlaceClaim.places).where(
            PlaceClaim.trip_instance == trip_instance, live(PlaceClaim.expires_at, now)
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
    resolved = resolve(session, inventory, trip_instance)
    seat_map = seat_map_for(session, inventory, resolved)
    legs = legs_between(resolved, from_stop, to_stop)
    taken = taken_on(session, resolved.key, now)
    free = {seat.label for seat in free_seats(seat_map, taken, legs)}
    claims = place_claims(session, resolved.key, now)
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
