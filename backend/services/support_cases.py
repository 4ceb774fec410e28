"""Support cases: open one, add notes, assign, change status and priority.

A case is what a help desk calls a ticket: a traveler's problem, with a conversation of notes
and a service-level target. The traveler's side (``support_requests``), the staff queue
(``support_queue``) and the automatic rules (``support_rules``) are built on what is here.

Kinds, priorities, statuses, the SLA, who may be assigned a case and the checks of what a case
is given are in ``backend.services.support_policy``: a case opens with its kind's priority and
the due time of that priority's SLA, and a priority change moves the due time.

Every change records a ``case.updated`` webhook event in the same transaction, with the case's
reference, kind, status, priority, source, assignee id, due time and what changed, never the
traveler's e-mail, card fingerprint or note text. A note visible to the traveler written by
staff or the system is also e-mailed to the case's contact address through the outbox.

Functions here run in the caller's transaction and do not commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFoundError, ServiceError
from backend.models import SupportCase, SupportCaseNote
from backend.models.support import CASE_KINDS, CASE_PRIORITIES, CASE_STATUSES
from backend.services import outbox, webhook_events
from backend.services.support_policy import (
    DONE_STATUSES,
    KIND_PRIORITY,
    MAX_NOTE,
    MAX_SUBJECT,
    STATUS_LABELS,
    SlaPolicy,
    check_choice,
    clean_text,
    require_case_worker,
)

REFERENCE_PREFIX = "CS-"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REFERENCE_LENGTH = 6


@dataclass(frozen=True)
class NewCase:
    """What a case is opened with; links are checked by the caller."""

    kind: str
    subject: str
    source: str
    body: str
    contact_email: str | None = None
    priority: str | None = None  # None: the kind's
    booking_id: int | None = None
    media_fingerprint: str | None = None
    tap_id: int | None = None
    travel_day: date | None = None
    assignee_id: int | None = None
    author_id: int | None = None  # the staff member who opened it
    dedupe_key: str | None = None
    status: str = "new"


def open_case(session: Session, new: NewCase, *, sla: SlaPolicy, now: datetime) -> SupportCase:
    """Open a case with its first note (by the traveler, staff or the system)."""
    check_choice(new.kind, CASE_KINDS, "invalid_case_kind", "kind")
    priority = new.priority or KIND_PRIORITY[new.kind]
    check_choice(priority, CASE_PRIORITIES, "invalid_priority", "priority")
    check_choice(new.status, CASE_STATUSES, "invalid_status", "status")
    subject = clean_text(" ".join(new.subject.split()), MAX_SUBJECT, "invalid_subject", "subject")
    body = clean_text(new.body, MAX_NOTE, "invalid_note", "the message")
    if new.assignee_id is not None:
        require_case_worker(session, new.assignee_id)
    case = SupportCase(
        reference=_unused_reference(session),
        kind=new.kind,
        status=new.status,
        priority=priority,
        subject=subject,
        contact_email=new.contact_email,
        booking_id=new.booking_id,
        media_fingerprint=new.media_fingerprint,
        tap_id=new.tap_id,
        travel_day=new.travel_day,
        assignee_id=new.assignee_id,
        source=new.source,
        dedupe_key=new.dedupe_key,
        created_at=now,
        updated_at=now,
        due_at=sla.due(priority, now),
        resolved_at=now if new.status in DONE_STATUSES else None,
    )
    session.add(case)
    session.flush()
    author = {"traveler": "traveler", "staff": "staff"}.get(new.source, "system")
    _note(session, case, author, new.author_id, body, internal=False, now=now)
    record_event(session, case, "opened", now)
    return case


def find_case(session: Session, reference: str) -> SupportCase:
    """The case with ``reference`` (any case; 404 ``case_not_found``)."""
    case = session.scalar(
        select(SupportCase).where(SupportCase.reference == reference.strip().upper())
    )
    if case is None:
        raise NotFoundError("case_not_found", f"there is no case {reference}")
    return case


def notes_of(session: Session, case: SupportCase, *, internal: bool) -> list[SupportCaseNote]:
    """A case's notes, oldest first; with ``internal`` False, only those the traveler sees."""
    query = select(SupportCaseNote).where(SupportCaseNote.case_id == case.id)
    if not internal:
        query = query.where(SupportCaseNote.internal.is_(False))
    return list(session.scalars(query.order_by(SupportCaseNote.created_at, SupportCaseNote.id)))


def add_note(
    session: Session,
    case: SupportCase,
    *,
    author: str,
    body: str,
    internal: bool,
    now: datetime,
    author_id: int | None = None,
    notify: bool = True,
) -> SupportCaseNote:
    """Add a note; a note to the traveler from staff or the system is e-mailed (``notify``).
    A traveler's note reopens a case waiting on them or resolved; a closed case takes none."""
    text = clean_text(body, MAX_NOTE, "invalid_note", "the note")
    if author == "traveler":
        if case.status == "closed":
            raise ServiceError("case_closed", "this case is closed; open a new case", status=409)
        if case.status in ("waiting_on_traveler", "resolved"):
            _set_status(case, "open", now)
    elif author == "staff" and case.status == "new":
        _set_status(case, "open", now)
    note = _note(session, case, author, author_id, text, internal=internal, now=now)
    case.updated_at = now
    if notify and not internal and author != "traveler":
        _email_traveler(session, case, text, now)
    record_event(session, case, "note", now, internal=internal, author=author)
    return note


def change_status(session: Session, case: SupportCase, status: str, now: datetime) -> bool:
    """Move a case to ``status``; False (and nothing recorded) when it is there already."""
    check_choice(status, CASE_STATUSES, "invalid_status", "status")
    if case.status == status:
        return False
    _set_status(case, status, now)
    case.updated_at = now
    record_event(session, case, "status", now)
    return True


def change_priority(
    session: Session, case: SupportCase, priority: str, *, sla: SlaPolicy, now: datetime
) -> bool:
    """Give a case ``priority`` and its due time; False when it has it already."""
    check_choice(priority, CASE_PRIORITIES, "invalid_priority", "priority")
    if case.priority == priority:
        return False
    case.priority = priority
    case.due_at = sla.due(priority, case.created_at)
    case.updated_at = now
    record_event(session, case, "priority", now)
    return True


def assign(session: Session, case: SupportCase, assignee_id: int | None, now: datetime) -> bool:
    """Give a case to a staff member who works cases (None: nobody); a new case becomes open.
    False when nothing changes."""
    if assignee_id is not None:
        require_case_worker(session, assignee_id)
    if case.assignee_id == assignee_id:
        return False
    case.assignee_id = assignee_id
    if assignee_id is not None and case.status == "new":
        _set_status(case, "open", now)
    case.updated_at = now
    record_event(session, case, "assigned", now)
    return True


def record_event(
    session: Session, case: SupportCase, change: str, now: datetime, **extra: object
) -> None:
    """A ``case.updated`` webhook event for ``change``, free of personal data."""
    data: dict[str, object] = {
        "reference": case.reference,
        "change": change,
        "kind": case.kind,
        "status": case.status,
        "priority": case.priority,
        "source": case.source,
        "assignee_id": case.assignee_id,
        "due_at": case.due_at.isoformat(),
        **extra,
    }
    webhook_events.record(session, "case.updated", data, now)


def _set_status(case: SupportCase, status: str, now: datetime) -> None:
    case.status = status
    if status not in DONE_STATUSES:
        case.resolved_at = None
    elif case.resolved_at is None:
        case.resolved_at = now


def _note(
    session: Session,
    case: SupportCase,
    author: str,
    author_id: int | None,
    body: str,
    *,
    internal: bool,
    now: datetime,
) -> SupportCaseNote:
    note = SupportCaseNote(
        case_id=case.id,
        author_kind=author,
        author_id=author_id if author == "staff" else None,
        body=body,
        internal=internal,
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note


def _email_traveler(session: Session, case: SupportCase, text: str, now: datetime) -> None:
    if not case.contact_email:
        return
    outbox.queue_email(
        session,
        to=case.contact_email,
        subject=f"Your support case {case.reference}: {case.subject}"[:300],
        text=(
            f"{text}\n\n"
            f"Case {case.reference} is now {STATUS_LABELS[case.status].lower()}. "
            "To reply, find the case on the Help page with its reference and this e-mail "
            "address.\n"
        ),
        now=now,
    )


def email_acknowledgement(session: Session, case: SupportCase, now: datetime) -> None:
    """Tell the traveler their case is opened, with the reference to come back with."""
    if not case.contact_email:
        return
    outbox.queue_email(
        session,
        to=case.contact_email,
        subject=f"We have your support case {case.reference}"[:300],
        text=(
            f"Thank you: your case {case.reference} ({case.subject}) is opened.\n\n"
            f"We aim to answer by {case.due_at:%d %b %Y, %H:%M} UTC. To add to it or see "
            "our replies, find the case on the Help page with its reference and this e-mail "
            "address.\n"
        ),
        now=now,
    )


def _unused_reference(session: Session) -> str:
    while True:
        reference = REFERENCE_PREFIX + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
        )
        taken = session.scalar(select(SupportCase.id).where(SupportCase.reference == reference))
        if taken is None:
            return reference
