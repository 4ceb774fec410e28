"""The export of a traveler's personal data, to hand to them on request.

``export`` gathers the rows ``backend.services.personal_data.find_rows`` finds for a contact
e-mail address into one JSON document, format ``faregate.traveler-export`` version 1::

    {"format", "version", "email", "exported_at",
     "account": null | {"email", "created_at", "bookings": [reference]},
     "bookings": [{"reference", "status", "contact_email", "created_at", "cancelled_at",
                   "trip": {"trip_instance", "trip_id", "route_id", "service_date", "from",
                            "to"},
                   "total_amount", "currency", "rebooked_as",
                   "passengers": [{"position", "name", "seat", "seat_class",
                                   "rider_category_id", "fare_product_id", "fare_amount"}],
                   "payments": [{"provider", "status", "amount", "currency", "reference",
                                 "created_at", "paid_at", "ended_at", "receipt"}],
                   "tickets": [ticket]}],
     "passes": [ticket],
     "support_cases": [{"reference", "kind", "status", "priority", "subject", "source",
                        "booking_reference", "media_fingerprint", "travel_day", "created_at",
                        "updated_at", "resolved_at",
                        "notes": [{"author", "internal", "body", "created_at"}],
                        "refunds": [{"amount_minor", "currency", "reason", "travel_day",
                                     "created_at"}]}],
     "messages": [{"subject", "body_text", "status", "created_at", "sent_at"}],
     "taps": [{"ticket_id", "device_id", "tapped_at", "allowed", "reason", "trip_instance"}]}

where a ticket is ``{"id", "kind", "passenger_position", "product_id", "rider_category_id",
"trip_instance", "seat", "from", "to", "issued_at", "valid_from", "valid_until",
"revoked_at"}``. Times are ISO 8601 in UTC, amounts integer minor units. ``account`` is the
traveler account with the address, if any, and the references of the bookings in it (listed
under ``bookings`` too, whatever their contact address); its password hash is left out, as it
tells its owner nothing and would help only someone guessing the password. Nothing about staff
(who assigned or wrote what) is included beyond a note's author kind. An address with no row at
all is refused: 404 ``traveler_not_found``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFoundError
from backend.models import (
    Booking,
    BookingPassenger,
    Hold,
    OutboxMessage,
    Payment,
    Reaccommodation,
    SupportCase,
    SupportCaseNote,
    SupportRefund,
    Tap,
    Ticket,
    TripInventory,
)
from backend.services.personal_data import (
    TravelerRows,
    find_rows,
    normalized_email,
    notes_of,
    passengers_of,
    tickets_of,
)

EXPORT_FORMAT = "faregate.traveler-export"
EXPORT_VERSION = 1


def export(session: Session, email: str, now: datetime) -> dict[str, Any]:
    """Everything stored about the traveler with ``email`` (format in the module docstring)."""
    address = normalized_email(email)
    rows = find_rows(session, address)
    if rows.empty:
        raise NotFoundError("traveler_not_found", "nothing is stored for that e-mail address")
    booking_ids = [booking.id for booking in rows.bookings]
    tickets = tickets_of(session, booking_ids)
    all_tickets = tickets + rows.passes
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "email": address,
        "exported_at": now.isoformat(),
        "account": _account(rows),
        "bookings": _bookings(session, rows.bookings, tickets),
        "passes": [_ticket(ticket) for ticket in rows.passes],
        "support_cases": _cases(session, rows.cases),
        "messages": [_message(message) for message in rows.messages],
        "taps": _taps(session, [ticket.id for ticket in all_tickets]),
    }


def _account(rows: TravelerRows) -> dict[str, Any] | None:
    account = rows.account
    if account is None:
        return None
    return {
        "email": account.email,
        "created_at": _iso(account.created_at),
        "bookings": [b.reference for b in rows.bookings if b.traveler_account_id == account.id],
    }


def _bookings(
    session: Session, bookings: list[Booking], tickets: list[Ticket]
) -> list[dict[str, Any]]:
    ids = [booking.id for booking in bookings]
    hold_ids = {booking.hold_id for booking in bookings}
    holds = {hold.id: hold for hold in session.scalars(select(Hold).where(Hold.id.in_(hold_ids)))}
    trips = _trips(session, {booking.trip_instance for booking in bookings})
    payments = list(session.scalars(select(Payment).where(Payment.hold_id.in_(hold_ids))))
    rebooked = _rebooked_as(session, ids)
    passengers = passengers_of(session, ids)
    return [
        {
            "reference": booking.reference,
            "status": booking.status,
            "contact_email": booking.contact_email,
            "created_at": _iso(booking.created_at),
            "cancelled_at": _iso(booking.cancelled_at),
            "trip": _trip(booking, holds.get(booking.hold_id), trips.get(booking.trip_instance)),
            "total_amount": booking.total_amount,
            "currency": booking.currency,
            "rebooked_as": rebooked.get(booking.id),
            "passengers": [_passenger(p) for p in passengers if p.booking_id == booking.id],
            "payments": [_payment(p) for p in payments if p.hold_id == booking.hold_id],
            "tickets": [_ticket(t) for t in tickets if t.booking_id == booking.id],
        }
        for booking in bookings
    ]


def _trips(session: Session, instances: set[str]) -> dict[str, TripInventory]:
    found = session.scalars(select(TripInventory).where(TripInventory.trip_instance.in_(instances)))
    return {trip.trip_instance: trip for trip in found}


def _rebooked_as(session: Session, booking_ids: list[int]) -> dict[int, str]:
    """The reference of the booking each re-accommodated booking was moved to."""
    rows = session.execute(
        select(Reaccommodation.booking_id, Booking.reference)
        .join(Booking, Booking.id == Reaccommodation.new_booking_id)
        .where(Reaccommodation.booking_id.in_(booking_ids))
    )
    return dict(rows.all())


def _trip(booking: Booking, hold: Hold | None, trip: TripInventory | None) -> dict[str, Any]:
    return {
        "trip_instance": booking.trip_instance,
        "trip_id": trip.trip_id if trip else None,
        "route_id": trip.route_id if trip else None,
        "service_date": _iso(trip.service_date) if trip else None,
        "from": hold.board_stop_id if hold else None,
        "to": hold.alight_stop_id if hold else None,
    }


def _passenger(passenger: BookingPassenger) -> dict[str, Any]:
    return {
        "position": passenger.position,
        "name": passenger.name,
        "seat": passenger.seat,
        "seat_class": passenger.seat_class,
        "rider_category_id": passenger.rider_category_id,
        "fare_product_id": passenger.fare_product_id,
        "fare_amount": passenger.fare_amount,
    }


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "provider": payment.provider,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "reference": payment.reference,
        "created_at": _iso(payment.created_at),
        "paid_at": _iso(payment.paid_at),
        "ended_at": _iso(payment.ended_at),
        "receipt": payment.receipt,
    }


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "passenger_position": ticket.passenger_position,
        "product_id": ticket.product_id,
        "rider_category_id": ticket.rider_category_id,
        "trip_instance": ticket.trip_instance,
        "seat": ticket.seat,
        "from": ticket.board_stop_id,
        "to": ticket.alight_stop_id,
        "issued_at": _iso(ticket.issued_at),
        "valid_from": _iso(ticket.valid_from),
        "valid_until": _iso(ticket.valid_until),
        "revoked_at": _iso(ticket.revoked_at),
    }


def _cases(session: Session, cases: list[SupportCase]) -> list[dict[str, Any]]:
    ids = [case.id for case in cases]
    notes = notes_of(session, ids)
    refunds = list(
        session.scalars(
            select(SupportRefund).where(SupportRefund.case_id.in_(ids)).order_by(SupportRefund.id)
        )
    )
    references = dict(
        session.execute(
            select(Booking.id, Booking.reference).where(
                Booking.id.in_({case.booking_id for case in cases if case.booking_id})
            )
        ).all()
    )
    return [
        {
            "reference": case.reference,
            "kind": case.kind,
            "status": case.status,
            "priority": case.priority,
            "subject": case.subject,
            "source": case.source,
            "booking_reference": references.get(case.booking_id) if case.booking_id else None,
            "media_fingerprint": case.media_fingerprint,
            "travel_day": _iso(case.travel_day),
            "created_at": _iso(case.created_at),
            "updated_at": _iso(case.updated_at),
            "resolved_at": _iso(case.resolved_at),
            "notes": [_note(note) for note in notes if note.case_id == case.id],
            "refunds": [_refund(refund) for refund in refunds if refund.case_id == case.id],
        }
        for case in cases
    ]


def _note(note: SupportCaseNote) -> dict[str, Any]:
    return {
        "author": note.author_kind,
        "internal": note.internal,
        "body": note.body,
        "created_at": _iso(note.created_at),
    }


def _refund(refund: SupportRefund) -> dict[str, Any]:
    return {
        "amount_minor": refund.amount_minor,
        "currency": refund.currency,
        "reason": refund.reason,
        "travel_day": _iso(refund.travel_day),
        "created_at": _iso(refund.created_at),
    }


def _message(message: OutboxMessage) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "body_text": message.body_text,
        "status": message.status,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
    }


def _taps(session: Session, ticket_ids: list[str]) -> list[dict[str, Any]]:
    taps = session.scalars(
        select(Tap).where(Tap.ticket_id.in_(ticket_ids)).order_by(Tap.tapped_at, Tap.id)
    )
    return [
        {
            "ticket_id": tap.ticket_id,
            "device_id": tap.device_id,
            "tapped_at": _iso(tap.tapped_at),
            "allowed": tap.allowed,
            "reason": tap.reason,
            "trip_instance": tap.trip_instance,
        }
        for tap in taps
    ]


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None
