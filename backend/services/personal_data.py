"""A traveler's personal data, found by contact e-mail: which rows belong to them, and the
hash that stands in for their address once it is erased.

Travelers need no account: what ties their data together is the contact e-mail address they
gave, compared without regard to case, as bookings and cases compare it. A traveler's rows are

- their traveler account, when one has that address,
- bookings made with that address, and the bookings in that account (with their passengers,
  payment, tickets and seats),
- period passes bought with it,
- support cases with it as contact, or linked to one of those bookings (with their notes and
  refunds),
- e-mail in the outbox addressed to it,
- taps made with one of their tickets.

Which columns hold personal data, and what erasure does to each, is listed in
``backend.services.personal_erasure``.

**The address's hash.** ``email_hash`` is SHA-256 over a fixed prefix and the lower-cased
address. It stands in for the address wherever a trace must be kept: the placeholder an erased
address is replaced by (``erased-<32 hex digits>@erased.invalid``: the reserved ``.invalid``
domain never receives mail, and the outbox queues none for it) and the audit log. It is
deliberately unkeyed: it must stay the same across key rotations and servers, so that erasing
twice is recognised as such and "was this address erased?" can be answered. Whoever already
knows an address can confirm it was erased; nobody can read an address back from its hash.

The export of these rows is ``backend.services.personal_export``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.models import (
    Booking,
    BookingPassenger,
    OutboxMessage,
    SupportCase,
    SupportCaseNote,
    Ticket,
    TravelerAccount,
)

_HASH_PREFIX = b"faregate-traveler-email:"


def normalized_email(email: str) -> str:
    """``email`` as it is matched: trimmed, lower case; 400 ``invalid_email`` when it is not
    an address."""
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    unprintable = any(c.isspace() or not c.isprintable() for c in address)
    if not (at and local and domain) or len(address) > 254 or unprintable:
        raise ServiceError("invalid_email", "give the traveler's contact e-mail address")
    return address


def email_hash(email: str) -> str:
    """The SHA-256 (hex) standing in for ``email`` once it is erased."""
    return hashlib.sha256(_HASH_PREFIX + normalized_email(email).encode()).hexdigest()


def placeholder(email: str) -> str:
    """The address an erased ``email`` is replaced by."""
    return f"erased-{email_hash(email)[:32]}@erased.invalid"


@dataclass(frozen=True)
class TravelerRows:
    """Every row holding one traveler's personal data."""

    bookings: list[Booking]
    passes: list[Ticket]
    cases: list[SupportCase]
    messages: list[OutboxMessage]
    account: TravelerAccount | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing at all belongs to the address."""
        stored = self.bookings or self.passes or self.cases or self.messages
        return not (stored or self.account is not None)


def find_rows(session: Session, address: str) -> TravelerRows:
    """The rows of the traveler with contact e-mail ``address`` (already normalized).

    Matching is on ``lower(column)``: these are rare staff reads, and scanning the tables
    keeps an index off the booking path's inserts.
    """
    account = session.scalar(select(TravelerAccount).where(TravelerAccount.email == address))
    theirs = func.lower(Booking.contact_email) == address
    if account is not None:
        theirs = or_(theirs, Booking.traveler_account_id == account.id)
    bookings = list(
        session.scalars(select(Booking).where(theirs).order_by(Booking.created_at, Booking.id))
    )
    booking_ids = [booking.id for booking in bookings]
    passes = list(
        session.scalars(
            select(Ticket)
            .where(func.lower(Ticket.contact_email) == address, Ticket.booking_id.is_(None))
            .order_by(Ticket.issued_at, Ticket.id)
        )
    )
    case_match = func.lower(SupportCase.contact_email) == address
    cases = list(
        session.scalars(
            select(SupportCase)
            .where(or_(case_match, SupportCase.booking_id.in_(booking_ids)))
            .order_by(SupportCase.created_at, SupportCase.id)
        )
    )
    messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(func.lower(OutboxMessage.recipient) == address)
            .order_by(OutboxMessage.id)
        )
    )
    return TravelerRows(bookings, passes, cases, messages, account)


def passengers_of(session: Session, booking_ids: Sequence[int]) -> list[BookingPassenger]:
    """The passengers of these bookings, in booking and seat order."""
    return list(
        session.scalars(
            select(BookingPassenger)
            .where(BookingPassenger.booking_id.in_(booking_ids))
            .order_by(BookingPassenger.booking_id, BookingPassenger.position)
        )
    )


def tickets_of(session: Session, booking_ids: Sequence[int]) -> list[Ticket]:
    """The tickets of these bookings."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.booking_id.in_(booking_ids))
            .order_by(Ticket.booking_id, Ticket.passenger_position, Ticket.id)
        )
    )


def notes_of(session: Session, case_ids: Sequence[int]) -> list[SupportCaseNote]:
    """The notes of these cases, oldest first."""
    return list(
        session.scalars(
            select(SupportCaseNote)
            .where(SupportCaseNote.case_id.in_(case_ids))
            .order_by(SupportCaseNote.case_id, SupportCaseNote.id)
        )
    )
