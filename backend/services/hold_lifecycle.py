"""A hold after it is made: shown, let go by its traveler, or ended when it runs out.

Expired holds free their seats for readers at once (every read counts only claims whose expiry
is still ahead); ``sweep_expired``, a scheduled job, ends them for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import Hold
from backend.services.hold_pricing import fare_json
from backend.services.reservation_store import (
    HoldRow,
    Inventory,
    end_claims,
    hold_seats,
    hold_status,
    locked_hold,
)
from backend.services.write_sessions import writer


def hold_body(hold: Hold | HoldRow, seats: Sequence[str], now: datetime) -> dict[str, Any]:
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
        "fare": fare_json(hold),
        "created_at": hold.created_at.isoformat(),
        "expires_at": hold.expires_at.isoformat(),
    }


def get_hold(session: Session, hold_id: str, now: datetime) -> dict[str, Any]:
    """One hold; 404 ``hold_not_found``."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFoundError("hold_not_found", f"no hold {hold_id}")
    return hold_body(hold, hold_seats(session, hold_id), now)


def release_hold(inventory: Inventory, hold_id: str, now: datetime) -> dict[str, Any]:
    """Let a hold's seats go (idempotent); 409 ``hold_confirmed`` once it is a booking."""
    with writer(inventory) as session:
        hold = locked_hold(session, hold_id)
        if hold.status == "confirmed":
            raise ConflictError("hold_confirmed", "the hold is a booking; cancel the booking")
        if hold.status == "held":
            seats = hold_seats(session, hold.id)
            end_claims(session, hold)
            hold.status = "expired" if hold.expires_at <= now else "released"
            hold.ended_at = now
            body = hold_body(hold, seats, now)
            session.commit()
            return body
        return hold_body(hold, [], now)


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
                expire_hold(inventory, hold_id, now)
                ended += 1
            except ServiceError:
                continue  # busy: the next sweep takes it
        if len(due) < batch:
            return ended


def expire_hold(inventory: Inventory, hold_id: str, now: datetime) -> None:
    """End a hold that has run out and free what it claimed."""
    with writer(inventory) as session:
        hold = locked_hold(session, hold_id)
        if hold.status == "held":
            end_claims(session, hold)
            hold.status = "expired"
            hold.ended_at = now
        session.commit()
