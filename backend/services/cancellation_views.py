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
