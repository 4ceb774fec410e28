"""Bookings as the API shows them: the journey, the price, and each traveler's seat, fare
and ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.models import Booking, BookingPassenger, Hold
from backend.services.fare_quotes import money_json
from backend.services.one_statement import Confirmed
from fares.money import Money


@dataclass(frozen=True, slots=True)
class Traveler:
    """One traveler of a booking as shown."""

    name: str
    seat: str | None
    seat_class: str
    ticket_id: str | None
    fare_product_id: str | None
    fare_amount: int | None


def confirmed_body(
    confirmed: Confirmed,
    hold_id: str,
    names: Sequence[str],
    ticket_ids: Sequence[str | None],
    *,
    email: str,
    now: datetime,
) -> dict[str, Any]:
    """The JSON form of a booking recorded by one confirming statement."""
    fare = (confirmed.fare_product_id, confirmed.fare_amount)
    travelers = [
        Traveler(name, seat, confirmed.seat_class, ticket, *fare)
        for name, seat, ticket in zip(names, confirmed.seats, ticket_ids, strict=True)
    ]
    return booking_json(
        reference=confirmed.reference,
        status="confirmed",
        trip_instance=confirmed.trip_instance,
        hold=(hold_id, confirmed.board_stop_id, confirmed.alight_stop_id),
        email=email,
        travelers=travelers,
        currency=confirmed.currency,
        created_at=now,
        cancelled_at=None,
    )


def booking_body(
    booking: Booking,
    hold: Hold,
    passengers: Sequence[BookingPassenger],
    ticket_ids: Sequence[str],
) -> dict[str, Any]:
    """The JSON form of a stored booking (``ticket_ids`` in passenger order)."""
    tickets = list(ticket_ids) + [None] * (len(passengers) - len(ticket_ids))
    travelers = [
        Traveler(p.name, p.seat, p.seat_class, ticket, p.fare_product_id, p.fare_amount)
        for p, ticket in zip(passengers, tickets, strict=True)
    ]
    return booking_json(
        reference=booking.reference,
        status=booking.status,
        trip_instance=booking.trip_instance,
        hold=(hold.id, hold.board_stop_id, hold.alight_stop_id),
        email=booking.contact_email,
        travelers=travelers,
        currency=booking.currency,
        created_at=booking.created_at,
        cancelled_at=booking.cancelled_at,
    )


def booking_json(
    *,
    reference: str,
    status: str,
    trip_instance: str,
    hold: tuple[str, str, str],
    email: str,
    travelers: Sequence[Traveler],
    currency: str | None,
    created_at: datetime,
    cancelled_at: datetime | None,
) -> dict[str, Any]:
    """A booking as JSON: ``hold`` is (id, boarding stop, alighting stop); the total is null
    when the journey was not priced."""
    hold_id, board_stop_id, alight_stop_id = hold
    amounts = [t.fare_amount for t in travelers]
    total = None
    if currency is not None and all(amount is not None for amount in amounts):
        total = money_json(Money(sum(a or 0 for a in amounts), currency))
    return {
        "reference": reference,
        "status": status,
        "trip_instance": trip_instance,
        "from": board_stop_id,
        "to": alight_stop_id,
        "hold_id": hold_id,
        "contact_email": email,
        "total": total,
        "passengers": [_traveler_json(t, currency) for t in travelers],
        "created_at": created_at.isoformat(),
        "cancelled_at": cancelled_at.isoformat() if cancelled_at else None,
    }


def _traveler_json(traveler: Traveler, currency: str | None) -> dict[str, Any]:
    price = None
    if traveler.fare_amount is not None and currency is not None:
        price = money_json(Money(traveler.fare_amount, currency))
    return {
        "name": traveler.name,
        "seat": traveler.seat,
        "seat_class": traveler.seat_class,
        "ticket_id": traveler.ticket_id,
        "fare_product_id": traveler.fare_product_id,
        "price": price,
    }
