"""Carrying out re-accommodation for one booking of a cancelled trip instance: a new booking on
the alternative the model chose, or a refund; then telling the traveler.

Each booking is done in a writer transaction of its own, which locks the old booking and does
nothing if it is no longer confirmed or already has its ``Reaccommodation`` row, so a crash or
a second job runner never does a booking twice. Rebooking claims the new seats (or places) as
a sale does, so the database refuses a seat sold meanwhile (409 ``seat_taken`` / ``sold_out``;
the caller solves again for the bookings left). The new booking keeps the old one's fare and
payment (the payment moves to the new booking's hold, so cancelling the new booking refunds
it) and gets tickets when the old one had them; the old booking is cancelled and its tickets
go on the deny list, which validators receive at their next sync.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from backend.errors import ConflictError
from backend.models import (
    Booking,
    BookingPassenger,
    Hold,
    Payment,
    PlaceClaim,
    Reaccommodation,
)
from backend.services import outbox, support_rules
from backend.services.bookings import insert_booking, issue_booking_tickets
from backend.services.claim_reads import SEAT_CLAIMS
from backend.services.hold_pricing import price_hold
from backend.services.payments import amount_text, provider_named
from backend.services.reservation_store import (
    Inventory,
    end_claims,
    lock_legs,
    locked_hold,
    sale_seat_map,
)
from backend.services.tickets import booking_ticket_ids, revoke_booking_tickets
from backend.services.trip_lookup import ResolvedInstance
from backend.services.write_sessions import lock_claim_writers
from inventory.legs import LegRange
from inventory.reaccommodation import Placement

HOLDS: Table = Hold.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Outcome:
    """What became of one booking."""

    booking_id: int
    reference: str
    outcome: str  # rebooked, refunded, skipped (done already, or no longer confirmed)
    new_reference: str | None = None
    trip_instance: str | None = None
    seats: tuple[str, ...] = ()
    delay_minutes: int | None = None
    refund_amount: int | None = None


def rebook(
    session: Session,
    inventory: Inventory,
    booking_id: int,
    placement: Placement,
    target: ResolvedInstance,
    *,
    cancelled: str,
    now: datetime,
) -> Outcome:
    """Move the booking to ``placement`` on ``target`` (the caller commits)."""
    old = _locked_open_booking(session, booking_id)
    if old is None:
        return Outcome(booking_id, "", "skipped")
    old_hold = locked_hold(session, old.hold_id)
    if placement.legs is None or placement.seat_class is None:
        raise ValueError(f"booking {booking_id} was not placed")
    legs = placement.legs
    sale_seat_map(session, inventory, target, now)
    price = price_hold(session, inventory, target, legs)
    hold_id = uuid.uuid4().hex
    session.connection().execute(
        insert(HOLDS).values(
            id=hold_id,
            trip_instance=target.key,
            board=legs.board,
            alight=legs.alight,
            board_stop_id=target.trip.stop_ids[legs.board],
            alight_stop_id=target.trip.stop_ids[legs.alight],
            seat_class=placement.seat_class,
            party=old_hold.party,
            status="confirmed",
            assignment="places" if not placement.seats else "auto",
            created_at=now,
            expires_at=now,
            ended_at=now,
            fare_product_id=old_hold.fare_product_id,
            fare_amount=old_hold.fare_amount,
            currency=old_hold.currency,
            rider_category_id=old_hold.rider_category_id,
            valid_from=price.valid_from,
            valid_until=price.valid_until,
        )
    )
    if placement.seats:
        lock_claim_writers(session, target.key, placement.seats)
        session.connection().execute(  # the database refuses a seat sold meanwhile
            insert(SEAT_CLAIMS),
            [
                {
                    "hold_id": hold_id,
                    "trip_instance": target.key,
                    "seat": seat,
                    "board": legs.board,
                    "alight": legs.alight,
                    "expires_at": None,
                }
                for seat in placement.seats
            ],
        )
    else:
        _take_places(
            session,
            hold_id,
            target.key,
            seat_class=placement.seat_class,
            legs=legs,
            party=old_hold.party,
        )
    new = Booking(
        reference="",
        hold_id=hold_id,
        trip_instance=target.key,
        status="confirmed",
        contact_email=old.contact_email,
        created_at=now,
        total_amount=old.total_amount,
        currency=old.currency,
        traveler_account_id=old.traveler_account_id,  # in the same traveler's trips
    )
    new.id, new.reference = insert_booking(session, new)
    new = session.get(Booking, new.id) or new
    for passenger in _passengers(session, old.id):
        position = passenger.position
        session.add(
            BookingPassenger(
                booking_id=new.id,
                position=position,
                name=passenger.name,
                seat=placement.seats[position] if position < len(placement.seats) else None,
                seat_class=placement.seat_class,
                rider_category_id=passenger.rider_category_id,
                fare_product_id=passenger.fare_product_id,
                fare_amount=passenger.fare_amount,
            )
        )
    session.flush()
    if booking_ticket_ids(session, old.id):  # paid (or booked without payment): ticketed
        issue_booking_tickets(session, new, inventory.keyring.get().current(now).kid, now)
    session.execute(update(Payment).where(Payment.hold_id == old.hold_id).values(hold_id=hold_id))
    _cancel(session, old, old_hold, now)
    session.add(
        Reaccommodation(
            booking_id=old.id,
            cancelled_instance=cancelled,
            outcome="rebooked",
            new_booking_id=new.id,
            delay_minutes=placement.delay_min,
            created_at=now,
        )
    )
    session.flush()
    outcome = Outcome(
        old.id,
        old.reference,
        "rebooked",
        new_reference=new.reference,
        trip_instance=target.key,
        seats=placement.seats,
        delay_minutes=placement.delay_min,
    )
    _tell(session, old, outcome, cancelled=cancelled, now=now)
    return outcome


def refund(session: Session, booking_id: int, *, cancelled: str, now: datetime) -> Outcome:
    """Cancel the booking and give its money back (the caller commits)."""
    old = _locked_open_booking(session, booking_id)
    if old is None:
        return Outcome(booking_id, "", "skipped")
    old_hold = locked_hold(session, old.hold_id)
    _cancel(session, old, old_hold, now)
    payment = session.scalar(
        select(Payment).where(Payment.hold_id == old.hold_id).with_for_update()
    )
    amount = old.total_amount  # booked without the pages: paid elsewhere, refunded in full
    if payment is not None:
        provider = provider_named(payment.provider)
        if payment.status == "paid":
            payment.status, payment.ended_at = provider.refund(payment.reference), now
            amount = payment.amount
        elif payment.status in ("authorized", "pending"):
            provider.void(payment.reference)
            payment.status, payment.ended_at = "void", now
            amount = 0
    session.add(
        Reaccommodation(
            booking_id=old.id,
            cancelled_instance=cancelled,
            outcome="refunded",
            refund_amount=amount,
            created_at=now,
        )
    )
    session.flush()
    outcome = Outcome(old.id, old.reference, "refunded", refund_amount=amount)
    _tell(session, old, outcome, cancelled=cancelled, now=now)
    return outcome


def _locked_open_booking(session: Session, booking_id: int) -> Booking | None:
    """The booking, locked, if it is confirmed and not yet re-accommodated."""
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or booking.status != "confirmed":
        return None
    done = session.scalar(
        select(Reaccommodation.id).where(Reaccommodation.booking_id == booking_id)
    )
    return None if done is not None else booking


def _take_places(
    session: Session,
    hold_id: str,
    trip_instance: str,
    *,
    seat_class: str,
    legs: LegRange,
    party: int,
) -> None:
    rows = lock_legs(session, trip_instance, seat_class)
    for leg in range(legs.board, legs.alight):
        row = rows.get(leg)
        if row is None or row.used + party > row.capacity:
            raise ConflictError("sold_out", "not enough places left on these legs")
        row.used += party
    session.add(
        PlaceClaim(
            hold_id=hold_id,
            trip_instance=trip_instance,
            seat_class=seat_class,
            board=legs.board,
            alight=legs.alight,
            places=party,
            expires_at=None,
        )
    )


def _cancel(session: Session, booking: Booking, hold: Hold, now: datetime) -> None:
    end_claims(session, hold)
    revoke_booking_tickets(session, booking.id, now)
    booking.status = "cancelled"
    booking.cancelled_at = now


def _passengers(session: Session, booking_id: int) -> list[BookingPassenger]:
    return list(
        session.scalars(
            select(BookingPassenger)
            .where(BookingPassenger.booking_id == booking_id)
            .order_by(BookingPassenger.position)
        )
    )


def _tell(
    session: Session, old: Booking, outcome: Outcome, *, cancelled: str, now: datetime
) -> None:
    """E-mail the traveler and open the booking's disruption case, both with this transaction."""
    subject, body = notice(old, outcome, cancelled)
    outbox.queue_email(
        session,
        to=old.contact_email,
        subject=subject,
        text=body,
        now=now,
        dedupe_key=f"reaccommodation:{old.id}",
    )
    support_rules.open_disruption_case(session, booking_id=old.id, summary=body, now=now)


def notice(old: Booking, outcome: Outcome, cancelled: str) -> tuple[str, str]:
    """The subject and text telling a traveler what became of their booking."""
    trip, _, when = cancelled.partition("@")
    sorry = f"We are sorry: trip {trip} on {when} (booking {old.reference}) is cancelled"
    if outcome.outcome == "rebooked":
        delay = outcome.delay_minutes or 0
        arrival = (
            "arriving at the same time"
            if delay == 0
            else f"arriving {abs(delay)} minutes {'later' if delay > 0 else 'earlier'}"
        )
        seats = ", ".join(outcome.seats) if outcome.seats else "unreserved places"
        return (
            f"Trip {trip} on {when} is cancelled: you are rebooked ({outcome.new_reference})",
            f"{sorry}.\n\n"
            f"We have rebooked you on trip {outcome.trip_instance}, {arrival}.\n"
            f"Your new booking is {outcome.new_reference}; seats: {seats}.\n\n"
            "Your old tickets no longer open the gates. Fetch your new tickets with booking "
            f"reference {outcome.new_reference} and this e-mail address. "
            "You pay nothing more.\n",
        )
    money = amount_text(outcome.refund_amount or 0, old.currency) or "the fare"
    return (
        f"Trip {trip} on {when} is cancelled: booking {old.reference} refunded",
        f"{sorry}, and no other trip in time had room for your party.\n\n"
        f"Your booking is cancelled and {money} is refunded the way you paid "
        "(at the counter for counter payments).\n",
    )
