"""My trips: the bookings of a traveler account, the coming ones first, then the past ones.

A trip is coming until it arrives (a trip under way still needs its tickets): coming trips are
listed soonest first, past ones latest first. A trip the active timetable no longer runs has
no times; its service day places it instead (coming until the day is over, in UTC), and a trip
with neither is listed as past. Only the ``MAX_TRIPS`` bookings made last are read, each
described by ``trip_summaries`` (a few reads per booking), so the page stays quick for a
traveler who has booked for years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Booking, Hold, Payment
from backend.services import trip_summaries
from backend.services.reservation_store import Inventory
from backend.services.trip_summaries import LegSummary

MAX_TRIPS = 50
AWAITING_PAYMENT = ("pending", "authorized")


@dataclass(frozen=True)
class AccountTrip:
    """One booking of the account, as My trips lists it."""

    reference: str
    status: str  # confirmed, awaiting_payment or cancelled
    summary: LegSummary

    @property
    def starts(self) -> datetime | None:
        """When it leaves (the start of its service day when it has no times)."""
        if self.summary.departure is not None:
            return self.summary.departure
        if self.summary.service_date is not None:
            return datetime.combine(self.summary.service_date, time.min, UTC)
        return None

    @property
    def ends(self) -> datetime | None:
        """When it arrives (the end of its service day when it has no times)."""
        if self.summary.arrival is not None:
            return self.summary.arrival
        starts = self.starts
        if starts is not None and self.summary.departure is None:
            return starts + timedelta(days=1)
        return starts


@dataclass(frozen=True)
class AccountTrips:
    """The account's bookings, coming and past; ``more`` when older ones were left out."""

    coming: list[AccountTrip]
    past: list[AccountTrip]
    more: bool


def account_trips(
    session: Session, inventory: Inventory, account_id: int, *, now: datetime
) -> AccountTrips:
    """The bookings of the account, coming ones first."""
    rows = session.execute(
        select(
            Booking.reference,
            Booking.status,
            Booking.trip_instance,
            Hold.board_stop_id,
            Hold.alight_stop_id,
            Payment.status,
        )
        .join(Hold, Hold.id == Booking.hold_id)
        .outerjoin(Payment, Payment.hold_id == Booking.hold_id)
        .where(Booking.traveler_account_id == account_id)
        .order_by(Booking.created_at.desc(), Booking.id.desc())
        .limit(MAX_TRIPS + 1)
    ).all()
    trips = [
        AccountTrip(
            reference,
            _status(status, paid),
            trip_summaries.summarize(session, inventory, trip_instance, board, alight),
        )
        for reference, status, trip_instance, board, alight, paid in rows[:MAX_TRIPS]
    ]
    coming: list[AccountTrip] = []
    past: list[AccountTrip] = []
    for trip in trips:
        ends = trip.ends
        (coming if ends is not None and ends > now else past).append(trip)
    coming.sort(key=lambda trip: trip.starts or now)
    past.sort(key=lambda trip: trip.starts or datetime.min.replace(tzinfo=UTC), reverse=True)
    return AccountTrips(coming, past, more=len(rows) > MAX_TRIPS)


def _status(booking_status: str, payment_status: str | None) -> str:
    if booking_status == "cancelled":
        return "cancelled"
    if payment_status in AWAITING_PAYMENT:
        return "awaiting_payment"
    return "confirmed"
