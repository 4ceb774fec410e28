"""Reading cancellations: which are listed, what became of each booking, and which still
have bookings to re-accommodate (``backend.services.cancellations`` makes and works them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.models import Booking, Reaccommodation, TripCancellation


def unfinished_instances(database: Database, since: date) -> list[str]:
    """``unfinished``, in a session of its own."""
    with database.sessions() as session:
        return unfinished(session, since)


def unfinished(session: Session, since: date) -> list[str]:
    """Cancelled instances from ``since`` on with confirmed bookings still to re-accommodate
    (or not yet marked done)."""
    pending = set(
        session.scalars(
            select(TripCancellation.trip_instance).where(TripCancellation.status == "pending")
        )
    )
    stragglers = session.scalars(
        select(Booking.trip_instance)
        .join(TripCancellation, TripCancellation.trip_instance == Booking.trip_instance)
        .outerjoin(Reaccommodation, Reaccommodation.booking_id == Booking.id)
        .where(
            TripCancellation.service_date >= since,
            Booking.status == "confirmed",
            Reaccommodation.id.is_(None),
        )
        .distinct()
    )
    return sorted(pending | set(stragglers))


def list_cancellations(session: Session, since: date) -> Sequence[TripCancellation]:
    """Cancelled instances from ``since`` on, by service day."""
    return session.scalars(
        select(TripCancellation)
        .where(TripCancellation.service_date >= since)
        .order_by(TripCancellation.service_date, TripCancellation.trip_instance)
    ).all()


def outcomes_of(session: Session, trip_instance: str) -> list[dict[str, object]]:
    """What became of each booking of a cancelled instance, in booking order."""
    old = Booking.__table__.alias("old")
    new = Booking.__table__.alias("new")
    rows = session.execute(
        select(
            old.c.reference,
            Reaccommodation.outcome,
            new.c.reference.label("new_reference"),
            new.c.trip_instance,
            Reaccommodation.delay_minutes,
            Reaccommodation.refund_amount,
        )
        .join(old, old.c.id == Reaccommodation.booking_id)
        .outerjoin(new, new.c.id == Reaccommodation.new_booking_id)
        .where(Reaccommodation.cancelled_instance == trip_instance)
        .order_by(old.c.id)
    )
    return [dict(row._mapping) for row in rows]


def looking_back_from(now: datetime) -> date:
    """The first service day whose cancellations may still have travelers to look after
    (yesterday's, for trips running past midnight)."""
    return (now - timedelta(days=1)).date()


# A re-accommodation's cancelled trip instance.
_CANCELLED_TRIP = TripCancellation.trip_instance == Reaccommodation.cancelled_instance


def disruption_of(session: Session, booking_id: int) -> dict[str, object] | None:
    """What a trip cancellation did to a booking (moved away from it, or moved to it): the
    reason, the outcome, the other booking's reference and any refund; None if nothing."""
    other = Booking.__table__.alias("other")
    moved_away = session.execute(
        select(
            Reaccommodation.outcome,
            TripCancellation.reason,
            TripCancellation.trip_instance,
            other.c.reference,
            Reaccommodation.refund_amount,
        )
        .select_from(Reaccommodation)
        .join(TripCancellation, _CANCELLED_TRIP)
        .outerjoin(other, other.c.id == Reaccommodation.new_booking_id)
        .where(Reaccommodation.booking_id == booking_id)
    ).first()
    if moved_away is not None:
        outcome, reason, cancelled, new_reference, refund = moved_away
        return {
            "outcome": outcome,
            "reason": reason,
            "cancelled": cancelled,
            "new_reference": new_reference,
            "refund_amount": refund,
        }
    moved_here = session.execute(
        select(TripCancellation.reason, TripCancellation.trip_instance, other.c.reference)
        .select_from(Reaccommodation)
        .join(TripCancellation, _CANCELLED_TRIP)
        .join(other, other.c.id == Reaccommodation.booking_id)
        .where(Reaccommodation.new_booking_id == booking_id)
    ).first()
    if moved_here is None:
        return None
    reason, cancelled, old_reference = moved_here
    return {"outcome": "replacement", "reason": reason, "cancelled": cancelled,
            "old_reference": old_reference}  # fmt: skip
