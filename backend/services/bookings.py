"""Bookings: a live hold confirmed with the travelers' names, found again by reference and
contact email, and cancelled.

Confirming runs in a writer transaction that locks the hold, makes its claims permanent
(clearing their expiry) and records the booking under a random reference; a hold that has run
out is ended instead, and the caller gets 410 ``hold_expired``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import (
    Booking,
    BookingPassenger,
    Hold,
    PlaceClaim,
)
from backend.services import one_statement
from backend.services.booking_views import booking_body, confirmed_body
from backend.services.claim_reads import SEAT_CLAIMS
from backend.services.hold_lifecycle import expire_hold
from backend.services.hold_pricing import RESERVATION_PRODUCT
from backend.services.one_statement import Ticketing
from backend.services.reservation_store import (
    IdempotencyKey,
    Inventory,
    Outcome,
    end_claims,
    hold_status,
    locked_hold,
    new_reference,
    refuse_if_cancelled,
)
from backend.services.tickets import (
    booking_ticket_ids,
    insert_booking_tickets,
    new_ticket_ids,
    revoke_booking_tickets,
)
from backend.services.write_sessions import (
    lock_claim_writers,
    single_statements,
    with_idempotency,
    writer,
)

# A ticket whose hold was made before holds were priced is valid this long from confirmation.
UNPRICED_VALIDITY = timedelta(days=1)

# Confirming runs Core statements on these tables, without the ORM's bookkeeping.
BOOKINGS: Table = Booking.__table__  # type: ignore[assignment]
PASSENGERS: Table = BookingPassenger.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Passenger:
    """One traveler named when a hold is confirmed."""

    name: str


def confirm(
    inventory: Inventory,
    hold_id: str,
    *,
    passengers: Sequence[Passenger],
    email: str,
    now: datetime,
    key: IdempotencyKey | None = None,
    issue_tickets: bool = True,
) -> Outcome:
    """Turn a live hold into a booking; 410 ``hold_expired`` when it ran out.

    With ``issue_tickets`` false the booking gets no tickets yet (it awaits payment):
    ``issue_booking_tickets`` issues them once it is paid.
    """
    kid = inventory.keyring.get().current(now).kid
    if key is None and inventory.one_statement_writes:
        names = [p.name for p in passengers]
        ticket_ids = new_ticket_ids(len(names)) if issue_tickets else []
        ticketing = Ticketing(kid, ticket_ids, now + UNPRICED_VALIDITY)
        with single_statements(inventory) as session:
            confirmed = one_statement.confirm_hold(
                session, hold_id, names, email, now=now, ticketing=ticketing
            )
        if confirmed is not None:
            shown: list[str | None] = [*ticket_ids] or [None] * len(names)
            body = confirmed_body(confirmed, hold_id, names, shown, email=email, now=now)
            return Outcome(201, body)
        # Nothing confirmable: the general path below finds out why, or confirms what
        # changed meanwhile.

    def run(session: Session) -> Outcome:
        claimed = session.execute(
            select(SEAT_CLAIMS.c.trip_instance, SEAT_CLAIMS.c.seat).where(
                SEAT_CLAIMS.c.hold_id == hold_id
            )
        ).all()
        if claimed:
            lock_claim_writers(session, claimed[0].trip_instance, [row.seat for row in claimed])
        hold = locked_hold(session, hold_id)
        if hold.status != "held":
            raise ConflictError(
                "hold_not_active", f"the hold is {hold_status(hold, now)}, not held"
            )
        refuse_if_cancelled(session, hold.trip_instance)
        if hold.expires_at <= now:
            raise _ExpiredError(hold.id)
        if len(passengers) != hold.party:
            raise ServiceError(
                "passenger_count_mismatch",
                f"the hold is for {hold.party} traveler(s); {len(passengers)} named",
            )
        connection = session.connection()
        claimed = connection.execute(
            update(SEAT_CLAIMS)
            .where(SEAT_CLAIMS.c.hold_id == hold.id)
            .values(expires_at=None)
            .returning(SEAT_CLAIMS.c.id, SEAT_CLAIMS.c.seat)
        ).all()
        seats = [seat for _, seat in sorted(claimed)]  # in the order they were claimed
        if hold.assignment == "places":
            session.execute(
                update(PlaceClaim).where(PlaceClaim.hold_id == hold.id).values(expires_at=None)
            )
        hold.status = "confirmed"
        hold.ended_at = now
        priced = hold.fare_amount is not None
        booking = Booking(
            reference="",
            hold_id=hold.id,
            trip_instance=hold.trip_instance,
            status="confirmed",
            contact_email=email,
            created_at=now,
            total_amount=hold.fare_amount * hold.party if hold.fare_amount is not None else None,
            currency=hold.currency if priced else None,
        )
        booking.id, booking.reference = insert_booking(session, booking)
        seat_class = hold.seat_class or ""
        booked = [
            BookingPassenger(
                booking_id=booking.id,
                position=position,
                name=passenger.name,
                seat=seats[position] if position < len(seats) else None,
                seat_class=seat_class,
                rider_category_id=hold.rider_category_id,
                fare_product_id=hold.fare_product_id,
                fare_amount=hold.fare_amount,
            )
            for position, passenger in enumerate(passengers)
        ]
        connection.execute(
            insert(PASSENGERS),
            [
                {
                    "booking_id": p.booking_id,
                    "position": p.position,
                    "name": p.name,
                    "seat": p.seat,
                    "seat_class": p.seat_class,
                    "rider_category_id": p.rider_category_id,
                    "fare_product_id": p.fare_product_id,
                    "fare_amount": p.fare_amount,
                }
                for p in booked
            ],
        )
        tickets = _ticket_rows(booking, hold, booked, kid, now) if issue_tickets else []
        if tickets:
            insert_booking_tickets(session, tickets)
        ticket_ids = [row["id"] for row in tickets]
        return Outcome(201, booking_body(booking, hold, booked, ticket_ids))

    try:
        return with_idempotency(inventory, key, run, now)
    except _ExpiredError:
        expire_hold(inventory, hold_id, now)
        raise ServiceError(
            "hold_expired", "the hold expired before it was confirmed; hold again", status=410
        ) from None


class _ExpiredError(Exception):
    """The hold being confirmed has run out."""


def insert_booking(session: Session, booking: Booking) -> tuple[int, str]:
    """Insert ``booking`` under a fresh random reference; (id, reference)."""
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        column.key: getattr(booking, column.key)
        for column in BOOKINGS.columns
        if column.key != "id"
    }
    while True:  # a reference already taken (about one in 10^12 per booking): draw again
        values["reference"] = new_reference()
        booking_id = (
            session.connection()
            .execute(
                insert_(BOOKINGS)
                .values(values)
                .on_conflict_do_nothing(index_elements=["reference"])
                .returning(BOOKINGS.c.id)
            )
            .scalar()
        )
        if booking_id is not None:
            return booking_id, values["reference"]


def _ticket_rows(
    booking: Booking,
    hold: Hold,
    passengers: Sequence[BookingPassenger],
    kid: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """One ticket per passenger, valid as the hold was priced (a hold made before pricing
    existed gives tickets valid for a day from now)."""
    return [
        {
            "id": ticket_id,
            "kind": "reserved",
            "booking_id": booking.id,
            "passenger_position": passenger.position,
            "product_id": hold.fare_product_id or RESERVATION_PRODUCT,
            "rider_category_id": hold.rider_category_id,
            "trip_instance": hold.trip_instance,
            "seat": passenger.seat,
            "board_stop_id": hold.board_stop_id,
            "alight_stop_id": hold.alight_stop_id,
            "kid": kid,
            "issued_at": now,
            "valid_from": hold.valid_from or now,
            "valid_until": hold.valid_until or now + UNPRICED_VALIDITY,
        }
        for ticket_id, passenger in zip(new_ticket_ids(len(passengers)), passengers, strict=True)
    ]


def issue_booking_tickets(session: Session, booking: Booking, kid: int, now: datetime) -> list[str]:
    """Issue the tickets of a booking confirmed without them (it awaited payment), in the
    caller's transaction; the ids of its tickets (none new when it already has them)."""
    existing = booking_ticket_ids(session, booking.id)
    if existing:
        return existing
    hold = session.get(Hold, booking.hold_id)
    assert hold is not None  # noqa: S101 - a booking's hold is never deleted
    rows = _ticket_rows(booking, hold, _passengers(session, booking), kid, now)
    insert_booking_tickets(session, rows)
    return [row["id"] for row in rows]


def _passengers(session: Session, booking: Booking) -> list[BookingPassenger]:
    return list(
        session.scalars(
            select(BookingPassenger)
            .where(BookingPassenger.booking_id == booking.id)
            .order_by(BookingPassenger.position)
        )
    )


def booking_for(session: Session, reference: str, email: str, *, lock: bool) -> Booking:
    """The booking with ``reference`` and contact ``email``: the proof a traveler gives;
    404 ``booking_not_found`` whichever of the two is wrong."""
    query = select(Booking).where(Booking.reference == reference.upper())
    if lock:
        query = query.with_for_update()
    booking = session.scalar(query)
    if booking is None or booking.contact_email.casefold() != email.casefold():
        raise NotFoundError("booking_not_found", f"no booking {reference} for that email")
    return booking


def get_booking(session: Session, reference: str, email: str) -> dict[str, Any]:
    """A booking, shown to whoever knows its reference and contact email."""
    booking = booking_for(session, reference, email, lock=False)
    hold = session.get(Hold, booking.hold_id)
    assert hold is not None  # noqa: S101 - a booking's hold is never deleted
    tickets = booking_ticket_ids(session, booking.id)
    return booking_body(booking, hold, _passengers(session, booking), tickets)


def cancel_booking(
    inventory: Inventory, reference: str, email: str, now: datetime
) -> dict[str, Any]:
    """Cancel a booking and free its seats (idempotent)."""
    with writer(inventory) as session:
        booking = booking_for(session, reference, email, lock=True)
        hold = locked_hold(session, booking.hold_id)
        if booking.status == "confirmed":
            end_claims(session, hold)
            revoke_booking_tickets(session, booking.id, now)
            booking.status = "cancelled"
            booking.cancelled_at = now
        tickets = booking_ticket_ids(session, booking.id)
        body = booking_body(booking, hold, _passengers(session, booking), tickets)
        session.commit()
        return body
