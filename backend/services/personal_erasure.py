"""Erasing a traveler's personal data while keeping the bookings it was part of.

Inventory, revenue and reconciliation depend on bookings, seat claims, tickets, payments and
taps, so those rows stay; what identifies a person in them is replaced. Column by column:

==============================  ================================================================
``booking.contact_email``       the placeholder (``personal_data.placeholder``)
``booking_passenger.name``      ``[erased]``
``ticket.contact_email``        the placeholder (the booking's tickets, and passes bought)
``support_case.contact_email``  the placeholder, when it was the traveler's address
``support_case.subject``        ``[erased]`` (the traveler's case, or one on their booking)
``support_case_note.body``      ``[erased]`` for the conversation with the traveler (their
                                messages and the replies sent to them); internal and system
                                notes keep their text with the address and the passengers'
                                names struck out
``support_refund.reason``       the address and names struck out
``outbox_message``              recipient the placeholder, subject and bodies ``[erased]``; a
                                message not sent yet is given up (``failed``), never sent
``idempotency_record.body``     the stored answers replayed to retried POSTs: the address and
                                names replaced wherever they appear in the JSON
``login_failure.email``         the placeholder, should the address have been tried at sign-in
``traveler_account``            deleted, with its e-mail and password hash (and its sessions);
                                its bookings, found by the account as well as by the address,
                                are erased as above and stay, in no account
==============================  ================================================================

Payments keep their provider references and amounts (accounting needs them; they name no
person); taps, claims and journeys hold no personal data. Webhook events are built without
personal data in the first place, and the audit log never holds request bodies.

All of it happens in one transaction, with its audit row (``audit.add``): all or nothing. The
replacements depend only on the address, so a second erasure finds nothing left and changes
nothing more; it answers ``already_erased`` (recognised by the placeholder, or by an earlier
erasure's audit row carrying the address's hash). An address never seen is 404
``traveler_not_found``. Afterwards the old address finds no booking and no case.

The erasure covers what is stored when it runs: a booking made with the same address afterwards
is that traveler's new data, erased by erasing again. A booking in the traveler's account made
with another contact address is erased with the rest (that address included); the e-mails and
cases of that other address alone are erased by erasing it too.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, Update, cast, exists, func, or_, select, update
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import NotFoundError
from backend.models import (
    AuditEvent,
    Booking,
    BookingPassenger,
    IdempotencyRecord,
    LoginFailure,
    OutboxMessage,
    SupportCase,
    SupportRefund,
    Ticket,
)
from backend.services import audit, traveler_accounts
from backend.services.personal_data import (
    TravelerRows,
    email_hash,
    find_rows,
    normalized_email,
    notes_of,
    passengers_of,
    placeholder,
)

ERASED = "[erased]"
ERASE_ACTION = "traveler.erase"
NOT_SENT = "not sent: the recipient's personal data was erased"


@dataclass(frozen=True)
class Erasure:
    """What one erasure changed (all zero when the address was erased before)."""

    email_hash: str
    already_erased: bool
    bookings: int = 0
    passengers: int = 0
    tickets: int = 0
    support_cases: int = 0
    case_notes: int = 0
    messages: int = 0
    stored_responses: int = 0
    accounts: int = 0
    references: tuple[str, ...] = ()

    def as_target(self) -> dict[str, Any]:
        """The audit row's target: the hash, never the address."""
        return {"email_sha256": self.email_hash, **_counts(self)}


def _counts(erasure: Erasure) -> dict[str, Any]:
    found = dataclasses.asdict(erasure)
    found.pop("email_hash")
    found["references"] = list(erasure.references)
    return found


def erase(
    database: Database, email: str, *, now: datetime, recorded_as: audit.AuditEntry | None
) -> Erasure:
    """Erase the personal data of the traveler with ``email`` at ``now`` (their cases'
    ``updated_at``); ``recorded_as`` is the audit row to write with it (its target gets the
    hash and what was changed)."""
    address = normalized_email(email)
    digest = email_hash(address)
    with database.writer_sessions() as session:
        rows = find_rows(session, address)
        if rows.empty:
            if not _erased_before(session, address, digest):
                raise NotFoundError(
                    "traveler_not_found", "nothing is stored for that e-mail address"
                )
            result = Erasure(digest, already_erased=True)
        else:
            result = _erase(session, rows, address, now)
        if recorded_as is not None:
            target = {**recorded_as.target, **result.as_target()}
            audit.add(session, dataclasses.replace(recorded_as, target=target))
        session.commit()
    return result


def _erased_before(session: Session, address: str, digest: str) -> bool:
    stand_in = placeholder(address)
    traces = (
        exists().where(Booking.contact_email == stand_in),
        exists().where(Ticket.contact_email == stand_in),
        exists().where(SupportCase.contact_email == stand_in),
        exists().where(OutboxMessage.recipient == stand_in),
        exists().where(
            AuditEvent.action == ERASE_ACTION,
            AuditEvent.status < 300,
            cast(AuditEvent.target, Text).contains(digest),
        ),
    )
    return bool(session.scalar(select(or_(*traces))))


@dataclass(frozen=True)
class _Scrubber:
    """What replaces the traveler's address and names in text and in stored JSON."""

    address: str
    stand_in: str
    names: frozenset[str]  # case-folded
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, address: str, names: set[str]) -> _Scrubber:
        words = sorted({name.strip() for name in names if name.strip()}, key=len, reverse=True)
        alternatives = [re.escape(address)]
        alternatives += [rf"(?<!\w){re.escape(word)}(?!\w)" for word in words]
        return cls(
            address,
            placeholder(address),
            frozenset(word.casefold() for word in words),
            re.compile("|".join(alternatives), re.IGNORECASE),
        )

    def strike(self, text: str) -> str:
        """``text`` with the address and the names (as whole words) struck out."""
        return self.pattern.sub(ERASED, text)

    def json(self, value: Any) -> Any:
        """``value`` with the address replaced by the placeholder, names by ``[erased]``."""
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.strip().lower() == self.address:
            return self.stand_in
        if value.strip().casefold() in self.names:
            return ERASED
        return self.strike(value)


def _erase(session: Session, rows: TravelerRows, address: str, now: datetime) -> Erasure:
    booking_ids = [booking.id for booking in rows.bookings]
    names = {p.name for p in passengers_of(session, booking_ids) if p.name.strip() != ERASED}
    scrub = _Scrubber.of(address, names)
    passengers = _write(
        session,
        update(BookingPassenger)
        .where(BookingPassenger.booking_id.in_(booking_ids))
        .values(name=ERASED),
    )
    _write(
        session,
        update(Booking).where(Booking.id.in_(booking_ids)).values(contact_email=scrub.stand_in),
    )
    tickets = _write(
        session,
        update(Ticket)
        .where(or_(Ticket.booking_id.in_(booking_ids), func.lower(Ticket.contact_email) == address))
        .values(contact_email=scrub.stand_in),
    )
    notes = _erase_cases(session, rows.cases, scrub, now)
    _erase_messages(rows.messages, scrub)
    stored = _erase_stored_responses(session, rows, scrub)
    _write(
        session,
        update(LoginFailure)
        .where(func.lower(LoginFailure.email) == address)
        .values(email=scrub.stand_in),
    )
    if rows.account is not None:
        traveler_accounts.delete_account(session, rows.account.id)
    session.flush()
    return Erasure(
        email_hash(address),
        already_erased=False,
        bookings=len(booking_ids),
        passengers=passengers,
        tickets=tickets,
        support_cases=len(rows.cases),
        case_notes=notes,
        messages=len(rows.messages),
        stored_responses=stored,
        accounts=int(rows.account is not None),
        references=tuple(booking.reference for booking in rows.bookings),
    )


def _write(session: Session, statement: Update) -> int:
    """Run an UPDATE on the session's connection (no ORM objects are read back); rows hit."""
    return session.connection().execute(statement).rowcount


def _erase_cases(
    session: Session, cases: list[SupportCase], scrub: _Scrubber, now: datetime
) -> int:
    case_ids = [case.id for case in cases]
    for case in cases:
        case.subject = ERASED
        case.updated_at = now
        if case.contact_email is not None and case.contact_email.lower() == scrub.address:
            case.contact_email = scrub.stand_in
    notes = notes_of(session, case_ids)
    for note in notes:
        conversation = note.author_kind == "traveler" or not note.internal
        note.body = ERASED if conversation else scrub.strike(note.body)
    refunds = session.scalars(select(SupportRefund).where(SupportRefund.case_id.in_(case_ids)))
    for refund in refunds:
        refund.reason = scrub.strike(refund.reason)
    return len(notes)


def _erase_messages(messages: list[OutboxMessage], scrub: _Scrubber) -> None:
    for message in messages:
        message.recipient = scrub.stand_in
        message.subject = ERASED
        message.body_text = ERASED
        message.body_html = None
        if message.status == "pending":
            message.status = "failed"
            message.last_error = NOT_SENT
        elif message.last_error:
            message.last_error = scrub.strike(message.last_error)


def _erase_stored_responses(session: Session, rows: TravelerRows, scrub: _Scrubber) -> int:
    """Rewrite the stored answers (replayed to retried POSTs) that show the traveler's data.

    Candidates are found by the address (also as JSON escapes it), the booking references and
    the pass ids appearing in the stored text; each is then rewritten value by value.
    """
    clues = {scrub.address, json.dumps(scrub.address)[1:-1].lower()}
    clues |= {booking.reference.lower() for booking in rows.bookings}
    clues |= {ticket.id.lower() for ticket in rows.passes}
    text = func.lower(cast(IdempotencyRecord.body, Text))
    candidates = session.scalars(
        select(IdempotencyRecord).where(
            or_(*(text.contains(clue, autoescape=True) for clue in sorted(clues)))
        )
    )
    changed = 0
    for record in candidates:
        body = scrub.json(record.body)
        if body != record.body:
            record.body = body
            changed += 1
    return changed
