"""Booking webhook events: ``booking.created`` and ``booking.cancelled``.

``record_booking_events`` logs them by scanning the ``booking`` table for bookings made or
cancelled within a look-back window, so that the booking path writes nothing more. Each is
logged once (``dedupe_key`` ``booking.created:<reference>``). Their data hold the reference,
trip instance, status, passenger count, amount, currency and times, never a name or an e-mail
address. ``backend.services.webhooks`` delivers them as it delivers every event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, exists, func, literal, select
from sqlalchemy.orm import Session

from backend.models import Booking, BookingPassenger, WebhookEvent
from backend.services import webhook_events


def record_booking_events(session: Session, now: datetime, lookback: timedelta) -> int:
    """Log ``booking.created`` for bookings made, and ``booking.cancelled`` for bookings
    cancelled, within ``lookback`` of ``now`` that are not logged yet, in the caller's
    transaction; how many events were logged."""
    since = now - lookback
    passengers = (
        select(func.count())
        .where(BookingPassenger.booking_id == Booking.id)
        .correlate(Booking)
        .scalar_subquery()
    )
    logged = 0
    for event_type, moment, extra in (
        ("booking.created", Booking.created_at, None),
        ("booking.cancelled", Booking.cancelled_at, Booking.status == "cancelled"),
    ):
        key = literal(f"{event_type}:", String) + Booking.reference
        query = (
            select(Booking, passengers)
            .where(moment >= since, ~exists().where(WebhookEvent.dedupe_key == key))
            .order_by(moment, Booking.id)
        )
        if extra is not None:
            query = query.where(extra)
        for booking, count in session.execute(query).all():
            webhook_events.record(
                session,
                event_type,
                _booking_data(booking, count),
                now,
                dedupe_key=f"{event_type}:{booking.reference}",
            )
            logged += 1
    return logged


def _booking_data(booking: Booking, passengers: int) -> dict[str, Any]:
    """What an event tells of a booking: no names, no e-mail address."""
    return {
        "reference": booking.reference,
        "trip_instance": booking.trip_instance,
        "status": booking.status,
        "passengers": passengers,
        "total_amount": booking.total_amount,
        "currency": booking.currency,
        "created_at": booking.created_at.isoformat(),
        "cancelled_at": _iso(booking.cancelled_at),
    }


def _iso(moment: datetime | None) -> str | None:
    """``moment`` in ISO 8601, or None."""
    return None if moment is None else moment.isoformat()
