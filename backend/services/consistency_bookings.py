"""Consistency check of bookings against their holds and claims
(``backend.models.reservations``).

A confirmed booking's hold is confirmed and claims exactly what it was made for: one seat per
traveler (the passengers' seats) or the party's places of its class, over the hold's legs,
without expiry (confirming clears it); a confirmed hold has its booking. A hold
that ended without a booking (released, expired) and a cancelled booking claim nothing: their
claims were deleted when they ended, and one left behind would keep a seat from sale.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select

from backend.models import Booking, BookingPassenger, Hold, PlaceClaim, SeatClaim
from backend.services.consistency import CheckOptions, CheckResult, Findings, plural


def check_booking_claims(connection: Connection, options: CheckOptions) -> CheckResult:  # noqa: ARG001
    """Confirmed bookings claim what their holds were made for, and nothing else claims."""
    found = Findings()
    _booking_holds(connection, found)
    _seat_bookings(connection, found)
    _place_bookings(connection, found)
    _passenger_seats(connection, found)
    _stray_claims(connection, found)
    confirmed = connection.scalar(
        select(func.count()).select_from(Booking).where(Booking.status == "confirmed")
    )
    return found.result(
        "booking_claims",
        ok=f"{plural(confirmed or 0, 'confirmed booking')} claim what their holds were made for",
        failed=f"{plural(found.count, 'problem')} between bookings, holds and claims",
    )


def _booking_holds(connection: Connection, found: Findings) -> None:
    rows = connection.execute(
        select(Booking.reference, Booking.trip_instance, Hold.id, Hold.status, Hold.trip_instance)
        .join(Hold, Hold.id == Booking.hold_id)
        .where(
            Booking.status == "confirmed",
            or_(Hold.status != "confirmed", Hold.trip_instance != Booking.trip_instance),
        )
        .order_by(Booking.reference)
    )
    for reference, trip, hold_id, status, hold_trip in rows:
        found.add(
            f"booking {reference}",
            f"confirmed on {trip}, but its hold {hold_id} is {status} on {hold_trip}",
        )
    orphans = connection.execute(
        select(Hold.id, Hold.trip_instance)
        .outerjoin(Booking, Booking.hold_id == Hold.id)
        .where(Hold.status == "confirmed", Booking.id.is_(None))
        .order_by(Hold.id)
    )
    for hold_id, trip in orphans:
        found.add(f"hold {hold_id}", f"confirmed on {trip}, but no booking was made of it")


def _matching(claim: type[SeatClaim] | type[PlaceClaim]) -> ColumnElement[int]:
    """1 for a claim that matches its booked hold (trip, legs, no expiry), else 0."""
    fits = and_(
        claim.trip_instance == Hold.trip_instance,
        claim.board == Hold.board,
        claim.alight == Hold.alight,
        claim.expires_at.is_(None),
    )
    if claim is PlaceClaim:
        fits = and_(fits, PlaceClaim.seat_class == Hold.seat_class)
    return case((fits, literal(1)), else_=literal(0))


def _seat_bookings(connection: Connection, found: Findings) -> None:
    matching = func.coalesce(func.sum(_matching(SeatClaim)), 0)
    rows = connection.execute(
        select(Booking.reference, Hold.party, func.count(SeatClaim.id), matching)
        .join(Hold, Hold.id == Booking.hold_id)
        .outerjoin(SeatClaim, SeatClaim.hold_id == Hold.id)
        .where(Booking.status == "confirmed", func.coalesce(Hold.assignment, "") != "places")
        .group_by(Booking.reference, Hold.party)
        .having(or_(func.count(SeatClaim.id) != Hold.party, matching != Hold.party))
        .order_by(Booking.reference)
    )
    for reference, party, claims, fitting in rows:
        found.add(
            f"booking {reference}",
            f"{plural(party, 'traveler')}, but {plural(claims, 'seat claim')} "
            f"({fitting} on the hold's trip and legs, without expiry)",
        )


def _place_bookings(connection: Connection, found: Findings) -> None:
    places = func.coalesce(func.sum(PlaceClaim.places), 0)
    fitting = func.coalesce(func.sum(PlaceClaim.places * _matching(PlaceClaim)), 0)
    rows = connection.execute(
        select(Booking.reference, Hold.party, places, fitting)
        .join(Hold, Hold.id == Booking.hold_id)
        .outerjoin(PlaceClaim, PlaceClaim.hold_id == Hold.id)
        .where(Booking.status == "confirmed", Hold.assignment == "places")
        .group_by(Booking.reference, Hold.party)
        .having(or_(places != Hold.party, fitting != Hold.party))
        .order_by(Booking.reference)
    )
    for reference, party, held, matched in rows:
        found.add(
            f"booking {reference}",
            f"{plural(party, 'traveler')}, but place claims hold {held} "
            f"({matched} on the hold's trip, class and legs, without expiry)",
        )


def _passenger_seats(connection: Connection, found: Findings) -> None:
    claimed = (
        select(SeatClaim.id)
        .where(SeatClaim.hold_id == Booking.hold_id, SeatClaim.seat == BookingPassenger.seat)
        .exists()
    )
    rows = connection.execute(
        select(Booking.reference, BookingPassenger.position, BookingPassenger.seat)
        .join(BookingPassenger, BookingPassenger.booking_id == Booking.id)
        .join(Hold, Hold.id == Booking.hold_id)
        .where(Booking.status == "confirmed", func.coalesce(Hold.assignment, "") != "places")
        .where(or_(BookingPassenger.seat.is_(None), ~claimed))
        .order_by(Booking.reference, BookingPassenger.position)
    )
    for reference, position, seat in rows:
        found.add(
            f"booking {reference}",
            f"passenger {position} sits in seat {seat}, which the booking does not claim",
        )


def _stray_claims(connection: Connection, found: Findings) -> None:
    """Claims of holds that ended without a booking, or of cancelled bookings."""
    for claim, kind in ((SeatClaim, "seat"), (PlaceClaim, "place")):
        rows = connection.execute(
            select(claim.id, claim.trip_instance, Hold.id, Hold.status, Booking.reference)
            .join(Hold, Hold.id == claim.hold_id)
            .outerjoin(Booking, Booking.hold_id == Hold.id)
            .where(
                or_(
                    Hold.status.in_(("released", "expired")),
                    Booking.status == "cancelled",
                )
            )
            .order_by(claim.id)
        )
        for claim_id, trip, hold_id, status, reference in rows:
            owner = f"cancelled booking {reference}" if reference else f"{status} hold {hold_id}"
            found.add(f"{trip} {kind} claim {claim_id}", f"still claimed by {owner}")
