"""The staff side of support cases: the queue with its filters and sorting, a case with
every note, and what staff do to a case (open, assign, status, priority, notes, check the
charges again). Support staff and administrators work cases; the callers check the role.

Queue filters: ``status`` (one status, ``unresolved`` for new, open and waiting on the
traveler, or none for every case), ``kind``, ``priority``, ``assignee`` (a staff id, or
``none`` for unassigned cases) and ``overdue`` (the SLA clock runs and the due time has
passed). Sorting: ``due`` (default, soonest first), ``priority`` (urgent first), ``created``,
``updated``, ``status``, ``kind`` or ``reference``, each either way; ties by case age.

Public commands commit. Refusals: ``invalid_status``, ``invalid_priority``,
``invalid_case_kind``, ``invalid_assignee``, ``invalid_sort``, ``invalid_note``,
``invalid_subject``, ``invalid_email``, ``invalid_card``, ``not_charged_twice`` (400);
``case_not_found``, ``booking_not_found``, ``tap_not_found`` (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from backend.errors import NotFoundError, ServiceError
from backend.models import Booking, StaffUser, SupportCase, Tap
from backend.models.support import CASE_KINDS, CASE_PRIORITIES, CASE_STATUSES
from backend.services import support_cases as cases
from backend.services import support_policy as policy
from backend.services import support_rules
from backend.services.reconciliation_views import card_fingerprint
from backend.services.support_requests import check_email, refunds_of

PAGE_SIZE = 50
UNRESOLVED = ("new", "open", "waiting_on_traveler")
PRIORITY_RANK = case(
    *((SupportCase.priority == name, rank) for rank, name in enumerate(reversed(CASE_PRIORITIES))),
    else_=len(CASE_PRIORITIES),
)
SORTS: dict[str, ColumnElement[Any]] = {
    "due": SupportCase.due_at,  # type: ignore[dict-item]
    "priority": PRIORITY_RANK,
    "created": SupportCase.created_at,  # type: ignore[dict-item]
    "updated": SupportCase.updated_at,  # type: ignore[dict-item]
    "status": SupportCase.status,  # type: ignore[dict-item]
    "kind": SupportCase.kind,  # type: ignore[dict-item]
    "reference": SupportCase.reference,  # type: ignore[dict-item]
}


@dataclass(frozen=True)
class CaseFilter:
    """Which cases the queue shows, in which order, and which page."""

    status: str | None = None
    kind: str | None = None
    priority: str | None = None
    assignee: int | None = None
    unassigned: bool = False
    overdue: bool = False
    sort: str = "due"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class CasePage:
    """One page of the queue, with the number of cases the filters keep."""

    cases: list[SupportCase]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class StaffCase:
    """What staff open a case with (a phone call, a letter): one optional link."""

    kind: str
    subject: str
    message: str
    contact_email: str | None = None
    priority: str | None = None
    booking_reference: str | None = None
    media_fingerprint: str | None = None
    card_technology: str | None = None
    card_uid: str | None = None
    tap_id: int | None = None
    travel_day: date | None = None
    assignee_id: int | None = None


def list_cases(session: Session, wanted: CaseFilter, now: datetime) -> CasePage:
    """The cases ``wanted`` keeps, one page of them."""
    conditions = _conditions(wanted, now)
    total = session.scalar(select(func.count()).select_from(SupportCase).where(*conditions)) or 0
    if wanted.sort not in SORTS:
        raise ServiceError("invalid_sort", f"sort must be one of {', '.join(SORTS)}")
    column = SORTS[wanted.sort]
    order = column.desc() if wanted.descending else column.asc()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, wanted.page), pages)
    rows = session.scalars(
        select(SupportCase)
        .where(*conditions)
        .order_by(order, SupportCase.created_at, SupportCase.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return CasePage(list(rows), total, page, pages)


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Staff e-mail addresses by id."""
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    query = select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(wanted))
    return dict(session.execute(query).all())


def case_summary(case: SupportCase, names: dict[int, str], now: datetime) -> dict[str, Any]:
    """A case as a row of the queue."""
    return {
        "reference": case.reference,
        "kind": case.kind,
        "status": case.status,
        "priority": case.priority,
        "subject": case.subject,
        "source": case.source,
        "assignee_id": case.assignee_id,
        "assignee": names.get(case.assignee_id) if case.assignee_id is not None else None,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "due_at": case.due_at,
        "resolved_at": case.resolved_at,
        "overdue": policy.is_overdue(case, now),
    }


def staff_view(session: Session, case: SupportCase, now: datetime) -> dict[str, Any]:
    """A case with its links, refunds and every note, for staff."""
    notes = cases.notes_of(session, case, internal=True)
    names = staff_names(session, {case.assignee_id, *(note.author_id for note in notes)})
    booking = session.get(Booking, case.booking_id) if case.booking_id is not None else None
    return {
        **case_summary(case, names, now),
        "contact_email": case.contact_email,
        "booking_reference": booking.reference if booking is not None else None,
        "media_fingerprint": case.media_fingerprint,
        "tap_id": case.tap_id,
        "travel_day": case.travel_day,
        "refunds": refunds_of(session, case),
        "notes": [
            {
                "id": note.id,
                "author": note.author_kind,
                "author_email": names.get(note.author_id) if note.author_id else None,
                "body": note.body,
                "internal": note.internal,
                "created_at": note.created_at,
            }
            for note in notes
        ],
    }


def open_for_staff(
    session: Session, request: StaffCase, *, author_id: int, sla: policy.SlaPolicy, now: datetime
) -> SupportCase:
    """Open a case on a traveler's behalf and commit."""
    email = check_email(request.contact_email) if request.contact_email else None
    booking_id = None
    if request.booking_reference:
        booking = session.scalar(
            select(Booking).where(Booking.reference == request.booking_reference.strip().upper())
        )
        if booking is None:
            raise NotFoundError("booking_not_found", "there is no booking with that reference")
        booking_id = booking.id
        email = email or booking.contact_email
    if request.tap_id is not None and session.get(Tap, request.tap_id) is None:
        raise NotFoundError("tap_not_found", f"there is no tap {request.tap_id}")
    fingerprint = request.media_fingerprint
    if request.card_technology or request.card_uid:
        fingerprint = card_fingerprint(request.card_technology or "", request.card_uid or "")
    new = cases.NewCase(
        kind=request.kind,
        subject=request.subject,
        source="staff",
        body=request.message,
        contact_email=email,
        priority=request.priority,
        booking_id=booking_id,
        media_fingerprint=fingerprint,
        tap_id=request.tap_id,
        travel_day=request.travel_day,
        assignee_id=request.assignee_id,
        author_id=author_id,
        status="open" if request.assignee_id is not None else "new",
    )
    opened = cases.open_case(session, new, sla=sla, now=now)
    session.commit()
    return opened


def assign(session: Session, reference: str, assignee_id: int | None, now: datetime) -> SupportCase:
    """Assign the case to a staff member who works cases (None: unassign) and commit."""
    found = cases.find_case(session, reference)
    cases.assign(session, found, assignee_id, now)
    session.commit()
    return found


def set_status(session: Session, reference: str, status: str, now: datetime) -> SupportCase:
    """Move the case to ``status`` and commit."""
    found = cases.find_case(session, reference)
    cases.change_status(session, found, status, now)
    session.commit()
    return found


def set_priority(
    session: Session, reference: str, priority: str, *, sla: policy.SlaPolicy, now: datetime
) -> SupportCase:
    """Give the case ``priority`` (and its SLA due time) and commit."""
    found = cases.find_case(session, reference)
    cases.change_priority(session, found, priority, sla=sla, now=now)
    session.commit()
    return found


def add_staff_note(
    session: Session, reference: str, body: str, *, internal: bool, author_id: int, now: datetime
) -> SupportCase:
    """Add an internal note, or a reply the traveler sees and is e-mailed, and commit."""
    found = cases.find_case(session, reference)
    cases.add_note(
        session, found, author="staff", author_id=author_id, body=body, internal=internal, now=now
    )
    session.commit()
    return found


def check_charges_again(session: Session, reference: str, now: datetime) -> bool:
    """Run the charged-twice rule again on a charged-twice case (e.g. once its travel day is
    reconciled) and commit; whether it refunded and closed the case."""
    found = cases.find_case(session, reference)
    if found.kind != "charged_twice" or found.status == "closed":
        raise ServiceError(
            "not_charged_twice", "only an unclosed charged-twice case is checked for charges"
        )
    refunded = support_rules.check_charged_twice(session, found, now)
    session.commit()
    return refunded


def _conditions(wanted: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.status == "unresolved":
        conditions.append(SupportCase.status.in_(UNRESOLVED))
    elif wanted.status:
        policy.check_choice(wanted.status, CASE_STATUSES, "invalid_status", "status")
        conditions.append(SupportCase.status == wanted.status)
    if wanted.kind:
        policy.check_choice(wanted.kind, CASE_KINDS, "invalid_case_kind", "kind")
        conditions.append(SupportCase.kind == wanted.kind)
    if wanted.priority:
        policy.check_choice(wanted.priority, CASE_PRIORITIES, "invalid_priority", "priority")
        conditions.append(SupportCase.priority == wanted.priority)
    if wanted.unassigned:
        conditions.append(SupportCase.assignee_id.is_(None))
    elif wanted.assignee is not None:
        conditions.append(SupportCase.assignee_id == wanted.assignee)
    if wanted.overdue:
        conditions.append(SupportCase.status.in_(policy.ACTIVE_STATUSES))
        conditions.append(SupportCase.due_at <= now)
    return conditions
