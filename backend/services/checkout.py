"""Checking out a hold on the traveler pages: pay, book, and keep the payment in step with
its booking (captured, voided or refunded), and staff recording a counter payment.

The order is authorize → confirm → capture, as with a card provider:

1. the payment is authorized and recorded against the hold (``payment.hold_id`` is unique: a
   form sent twice cannot pay twice);
2. the hold is confirmed into a booking *without tickets* (``bookings.confirm``); if that fails
   (the hold ran out, a seat was lost) the authorization is voided and nothing is booked;
3. ``settle`` brings the payment in line with the booking in one transaction: an authorized
   payment of a confirmed booking is captured and the tickets are issued with it; a cancelled
   booking's payment is voided or refunded.

A traveler signed in to their account gets the booking in it between steps 2 and 3
(``traveler_accounts.link_booking``); should that be lost to a crash, the booking is theirs
to add with its reference and contact email.

A crash between the steps leaves an authorized payment (never a paid one without tickets, nor
tickets without payment); ``settle`` runs again whenever the booking is looked at, so the next
view finishes the work. Every writer locks the booking row before its payment, the order
``bookings.cancel_booking`` locks in, so a cancellation and a counter payment cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import Booking, Hold, Payment
from backend.services import bookings, traveler_accounts
from backend.services.bookings import Passenger
from backend.services.payments import (
    NO_CHARGE,
    Authorization,
    PaymentProvider,
    Step,
    next_step,
    provider_named,
)
from backend.services.reservation_store import Inventory, hold_status
from backend.services.write_sessions import writer


@dataclass(frozen=True)
class Checkout:
    """What a traveler sends to book a hold: names, contact email and how they pay; and the
    account the booking goes to, when they are signed in."""

    hold_id: str
    names: Sequence[str]
    email: str
    provider: str
    account_id: int | None = None


def check_out(
    inventory: Inventory,
    offered: Mapping[str, PaymentProvider],
    checkout: Checkout,
    now: datetime,
) -> str:
    """Pay for a live hold and confirm it; the booking's reference.

    Refusals: 404 ``hold_not_found``, 410 ``hold_expired``, 409 ``hold_not_active``, 400
    ``passenger_count_mismatch``, 422 ``unknown_payment_provider``, 409
    ``checkout_in_progress``, and whatever confirming refuses.
    """
    with inventory.database.sessions() as session:
        hold = session.get(Hold, checkout.hold_id)
        if hold is None:
            raise NotFoundError("hold_not_found", f"no hold {checkout.hold_id}")
        booked = booking_of_hold(session, hold.id)
        if booked is not None and _payment_of(session, hold.id) is not None:
            return booked.reference  # the same form sent again
        _check_bookable(hold, checkout, now)
        amount = (hold.fare_amount or 0) * hold.party
        currency = hold.currency if hold.fare_amount is not None else None
    provider = NO_CHARGE if amount == 0 else offered.get(checkout.provider)
    if provider is None:
        raise ServiceError(
            "unknown_payment_provider", "choose one of the ways to pay offered", status=422
        )
    authorization = provider.authorize(amount, currency)
    payment_id = _record(
        inventory, hold.id, provider.name, authorization, amount=amount, currency=currency, now=now
    )
    try:
        outcome = bookings.confirm(
            inventory,
            hold.id,
            passengers=[Passenger(name) for name in checkout.names],
            email=checkout.email,
            now=now,
            issue_tickets=False,
        )
    except ServiceError:
        _void(inventory, payment_id, now)
        raise
    reference: str = outcome.body["reference"]
    if checkout.account_id is not None:
        with writer(inventory) as session:
            traveler_accounts.link_booking(session, reference, checkout.account_id)
            session.commit()
    settle(inventory, reference, now)
    return reference


def _check_bookable(hold: Hold, checkout: Checkout, now: datetime) -> None:
    status = hold_status(hold, now)
    if status == "expired":
        raise ServiceError("hold_expired", "the hold ran out before it was booked", status=410)
    if status != "held":
        raise ConflictError("hold_not_active", f"the hold is {status}, not held")
    if len(checkout.names) != hold.party:
        raise ServiceError(
            "passenger_count_mismatch",
            f"the hold is for {hold.party} traveler(s); {len(checkout.names)} named",
        )


def _record(
    inventory: Inventory,
    hold_id: str,
    provider: str,
    authorization: Authorization,
    *,
    amount: int,
    currency: str | None,
    now: datetime,
) -> int:
    """Record the payment of a hold (again, over a voided earlier attempt); its id."""
    try:
        with writer(inventory) as session:
            payment = _payment_of(session, hold_id, lock=True)
            if payment is None:
                payment = Payment(hold_id=hold_id, created_at=now)
                session.add(payment)
            elif payment.status != "void":
                raise ConflictError(
                    "checkout_in_progress", "this booking is already being paid for"
                )
            payment.provider, payment.status = provider, authorization.status
            payment.reference = authorization.reference
            payment.amount, payment.currency = amount, currency
            payment.created_at, payment.ended_at = now, None
            session.flush()
            payment_id = payment.id
            session.commit()
    except IntegrityError as error:  # another request recorded this hold's payment first
        raise ConflictError(
            "checkout_in_progress", "this booking is already being paid for"
        ) from error
    return payment_id


def _void(inventory: Inventory, payment_id: int, now: datetime) -> None:
    with writer(inventory) as session:
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment is not None and payment.status in ("authorized", "pending"):
            provider_named(payment.provider).void(payment.reference)
            payment.status, payment.ended_at = "void", now
        session.commit()


def settle(inventory: Inventory, reference: str, now: datetime) -> Payment | None:
    """Bring a booking's payment in line with the booking: capture it (issuing the tickets),
    void it or refund it; the payment (None for a booking made without one, by the API)."""
    with writer(inventory) as session:
        booking = _locked_booking(session, reference)
        payment = _payment_of(session, booking.hold_id, lock=True)
        if payment is None:
            return None
        provider = provider_named(payment.provider)
        step = next_step(booking.status, payment.status)
        if step is Step.CAPTURE:
            provider.capture(payment.reference)
            _paid(session, inventory, booking, payment, now)
        elif step is Step.VOID:
            provider.void(payment.reference)
            payment.status, payment.ended_at = "void", now
        elif step is Step.REFUND:
            payment.status, payment.ended_at = provider.refund(payment.reference), now
        session.commit()
        return payment


def cancel(inventory: Inventory, reference: str, email: str, now: datetime) -> None:
    """Cancel a booking (its seats freed, its tickets revoked) and void or refund its payment."""
    bookings.cancel_booking(inventory, reference, email, now)
    settle(inventory, reference, now)


def mark_paid(
    inventory: Inventory, reference: str, *, staff: str, receipt: str | None, now: datetime
) -> tuple[Booking, Payment]:
    """Record that a counter booking was paid, and issue its tickets (again: no change).

    Refusals: 404 ``booking_not_found`` / ``payment_not_found`` (booked without the pages),
    409 ``booking_cancelled``, 409 ``payment_not_due`` (not a counter payment owed).
    """
    with writer(inventory) as session:
        booking = _locked_booking(session, reference)
        payment = _payment_of(session, booking.hold_id, lock=True)
        if payment is None:
            raise NotFoundError("payment_not_found", f"booking {reference} has no payment")
        if payment.status != "paid":
            if booking.status != "confirmed":
                raise ConflictError("booking_cancelled", f"booking {reference} is cancelled")
            if payment.status != "pending":
                raise ConflictError(
                    "payment_not_due", f"the payment is {payment.status}, not owed at a counter"
                )
            payment.received_by, payment.receipt = staff, receipt
            _paid(session, inventory, booking, payment, now)
        session.commit()
        return booking, payment


def _paid(
    session: Session, inventory: Inventory, booking: Booking, payment: Payment, now: datetime
) -> None:
    payment.status, payment.paid_at = "paid", now
    kid = inventory.keyring.get().current(now).kid
    bookings.issue_booking_tickets(session, booking, kid, now)


def payment_of_booking(session: Session, booking: Booking) -> Payment | None:
    """A booking's payment, if it was made through the pages."""
    return _payment_of(session, booking.hold_id)


def find_booking(session: Session, reference: str) -> Booking:
    """A booking by its reference alone (staff, or a traveler the session vouches for)."""
    booking = session.scalar(select(Booking).where(Booking.reference == reference.upper()))
    if booking is None:
        raise NotFoundError("booking_not_found", f"no booking {reference}")
    return booking


def _locked_booking(session: Session, reference: str) -> Booking:
    booking = session.scalar(
        select(Booking).where(Booking.reference == reference.upper()).with_for_update()
    )
    if booking is None:
        raise NotFoundError("booking_not_found", f"no booking {reference}")
    return booking


def booking_of_hold(session: Session, hold_id: str) -> Booking | None:
    """The booking a hold became, if it was confirmed."""
    return session.scalar(select(Booking).where(Booking.hold_id == hold_id))


def _payment_of(session: Session, hold_id: str, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.hold_id == hold_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)
