"""Support cases as travelers and staff open and follow them.

A traveler opens a case with an e-mail address to be answered at and, optionally, one link:

- a booking: its reference and the e-mail address it was booked with (both must match, as
  when finding the booking); the case's contact is the booking's e-mail;
- a card: the technology and hex UID validators read (``reconciliation_views.card_fingerprint``,
  as ``POST /api/v1/media/journeys`` does) and a travel day; only the card's fingerprint is
  kept, never its UID, and the UID only ever travels in request bodies.

A ``charged_twice`` case linked to a card runs the charged-twice rule at once
(``support_rules``). Afterwards the traveler sees the case, with the notes meant for them,
by giving its reference and the case's e-mail address; a mismatch is 404 ``case_not_found``
whichever of the two is wrong. A traveler's reply to a resolved case (or one waiting on them)
reopens it; a closed case takes no reply (409 ``case_closed``).

Public functions commit. Refusals: ``invalid_case_kind``, ``invalid_subject``,
``invalid_note``, ``invalid_email``, ``invalid_card``, ``card_needs_day``, ``too_many_links``
(400); ``booking_not_found``, ``case_not_found`` (404); ``case_closed`` (409).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFoundError, ServiceError
from backend.models import Booking, SupportCase, SupportRefund
from backend.models.support import CASE_KINDS
from backend.services import support_cases as cases
from backend.services import support_policy as policy
from backend.services import support_rules
from backend.services.payments import amount_text
from backend.services.reconciliation_views import card_fingerprint

EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")
MAX_EMAIL = 254


@dataclass(frozen=True)
class TravelerCase:
    """What a traveler asks with: the problem, their e-mail and at most one link."""

    kind: str
    subject: str
    message: str
    email: str
    booking_reference: str | None = None
    card_technology: str | None = None
    card_uid: str | None = None
    travel_day: date | None = None


def check_email(email: str) -> str:
    """A plausible e-mail address, trimmed; 400 ``invalid_email`` otherwise."""
    cleaned = email.strip()
    if len(cleaned) > MAX_EMAIL or EMAIL.fullmatch(cleaned) is None:
        raise ServiceError("invalid_email", "give an e-mail address like name@example.com")
    return cleaned


def open_for_traveler(
    session: Session, request: TravelerCase, *, sla: policy.SlaPolicy, now: datetime
) -> SupportCase:
    """Open a traveler's case (see the module docstring) and commit."""
    email = check_email(request.email)
    policy.check_choice(request.kind, CASE_KINDS, "invalid_case_kind", "kind")
    has_card = request.card_technology is not None or request.card_uid is not None
    if request.booking_reference and has_card:
        raise ServiceError("too_many_links", "link the case to a booking or a card, not both")
    booking = None
    fingerprint = None
    if request.booking_reference:
        booking = _booking(session, request.booking_reference, email)
        email = booking.contact_email
    elif has_card:
        fingerprint = card_fingerprint(request.card_technology or "", request.card_uid or "")
        if request.travel_day is None:
            raise ServiceError("card_needs_day", "give the travel day the card was used on")
    new = cases.NewCase(
        kind=request.kind,
        subject=request.subject,
        source="traveler",
        body=request.message,
        contact_email=email,
        booking_id=booking.id if booking is not None else None,
        media_fingerprint=fingerprint,
        travel_day=request.travel_day if booking is None else None,
    )
    case = cases.open_case(session, new, sla=sla, now=now)
    cases.email_acknowledgement(session, case, now)
    if case.kind == "charged_twice" and fingerprint is not None:
        support_rules.check_charged_twice(session, case, now)
    session.commit()
    return case


def case_for_traveler(session: Session, reference: str, email: str) -> SupportCase:
    """The case with ``reference`` whose contact is ``email``; 404 ``case_not_found``."""
    case = session.scalar(
        select(SupportCase).where(SupportCase.reference == reference.strip().upper())
    )
    if (
        case is None
        or case.contact_email is None
        or case.contact_email.casefold() != email.strip().casefold()
    ):
        raise NotFoundError("case_not_found", "no case has that reference and e-mail address")
    return case


def reply_as_traveler(
    session: Session, reference: str, email: str, message: str, now: datetime
) -> SupportCase:
    """Add the traveler's reply (reopening a resolved case) and commit."""
    case = case_for_traveler(session, reference, email)
    cases.add_note(session, case, author="traveler", body=message, internal=False, now=now)
    session.commit()
    return case


def traveler_view(session: Session, case: SupportCase, now: datetime) -> dict[str, Any]:
    """A case as its traveler sees it: no internal notes, no staff names, no card."""
    booking = session.get(Booking, case.booking_id) if case.booking_id is not None else None
    return {
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": policy.KIND_LABELS[case.kind],
        "subject": case.subject,
        "status": case.status,
        "status_label": policy.STATUS_LABELS[case.status],
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "due_at": case.due_at,
        "booking_reference": booking.reference if booking is not None else None,
        "travel_day": case.travel_day,
        "can_reply": case.status != "closed",
        "refunds": refunds_of(session, case),
        "notes": [
            {"author": note.author_kind, "body": note.body, "created_at": note.created_at}
            for note in cases.notes_of(session, case, internal=False)
        ],
        "overdue": policy.is_overdue(case, now),
    }


def refunds_of(session: Session, case: SupportCase) -> list[dict[str, Any]]:
    """The refunds given on a case."""
    rows = session.scalars(
        select(SupportRefund).where(SupportRefund.case_id == case.id).order_by(SupportRefund.id)
    )
    return [
        {
            "amount_minor": row.amount_minor,
            "currency": row.currency,
            "text": amount_text(row.amount_minor, row.currency),
            "reason": row.reason,
            "created_at": row.created_at,
        }
        for row in rows
    ]


def _booking(session: Session, reference: str, email: str) -> Booking:
    booking = session.scalar(
        select(Booking).where(Booking.reference == "".join(reference.split()).upper())
    )
    if booking is None or booking.contact_email.casefold() != email.casefold():
        raise NotFoundError("booking_not_found", "no booking has that reference and e-mail")
    return booking
