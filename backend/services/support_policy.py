"""What a support case may be: its kinds, priorities and statuses, their labels, the SLA, who
may be assigned a case, and the checks of the choices and texts a case is given.

Priority and SLA. A case's priority comes from its kind (``KIND_PRIORITY``) unless staff set
another; its ``due_at`` is its creation time plus the SLA of its priority, counted in wall-clock
hours (a help desk staffed around the clock, like the network):

======== ======= =====================================================
priority default what it is for
======== ======= =====================================================
urgent    2 h    a lost card (it can still be used until it is blocked)
high      8 h    a gate that did not open; a disrupted trip
normal   24 h    a charge or refund question; anything else
low      72 h    set by staff for what can wait
======== ======= =====================================================

The hours are the ``support_sla_hours`` setting (``SlaPolicy.from_settings``). Changing a
case's priority moves its due time to creation time plus the new priority's SLA (escalating an
old case can make it overdue at once: the target is counted from when the traveler asked).

Statuses. ``new`` (nobody has looked at it yet) → ``open`` (being worked) ⇄
``waiting_on_traveler`` → ``resolved`` (the traveler may still reply, which reopens it) →
``closed`` (final for the traveler; staff may reopen). ``resolved_at`` is set when a case
becomes resolved or closed (``DONE_STATUSES``) and cleared when it is reopened. A case is
*overdue* when it is ``new`` or ``open`` (``ACTIVE_STATUSES``) and its due time has passed;
waiting on the traveler stops the clock.

Cases are assigned to active staff whose role works cases: support staff and administrators
(``require_case_worker``, ``case_workers``).

The case actions that follow these rules are in ``backend.services.support_cases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.roles import Role, grants, parse_role
from backend.errors import ServiceError
from backend.models import StaffUser, SupportCase
from backend.settings import DEFAULT_SUPPORT_SLA_HOURS, Settings, parse_sla_hours

MAX_SUBJECT = 200
MAX_NOTE = 5000
KIND_PRIORITY = {
    "lost_card": "urgent",
    "gate_did_not_open": "high",
    "disruption": "high",
    "charged_twice": "normal",
    "refund": "normal",
    "other": "normal",
}
ACTIVE_STATUSES = ("new", "open")  # the SLA clock runs
DONE_STATUSES = ("resolved", "closed")
KIND_LABELS = {
    "gate_did_not_open": "A gate or reader did not let me through",
    "charged_twice": "I was charged twice",
    "refund": "I want a refund",
    "lost_card": "I lost my card",
    "disruption": "My trip was cancelled or disrupted",
    "other": "Something else",
}
STATUS_LABELS = {
    "new": "New",
    "open": "Open",
    "waiting_on_traveler": "Waiting on traveler",
    "resolved": "Resolved",
    "closed": "Closed",
}


@dataclass(frozen=True)
class SlaPolicy:
    """How long each priority may wait for its case to be resolved."""

    hours: dict[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaPolicy:
        """The SLA of the ``support_sla_hours`` setting (checked when settings load)."""
        parsed = parse_sla_hours(settings.support_sla_hours)
        return cls(parsed if parsed is not None else dict(DEFAULT_SUPPORT_SLA_HOURS))

    def due(self, priority: str, opened_at: datetime) -> datetime:
        """When a case of ``priority`` opened at ``opened_at`` is due."""
        return opened_at + timedelta(hours=self.hours[priority])


DEFAULT_SLA = SlaPolicy(dict(DEFAULT_SUPPORT_SLA_HOURS))


def is_overdue(case: SupportCase, now: datetime) -> bool:
    """Whether the case's SLA clock runs and its due time has passed."""
    return case.status in ACTIVE_STATUSES and case.due_at <= now


def check_choice(value: str, choices: tuple[str, ...], code: str, what: str) -> str:
    """``value`` when it is one of ``choices``; 400 ``code`` otherwise."""
    if value not in choices:
        raise ServiceError(code, f"{what} must be one of {', '.join(choices)}")
    return value


def clean_text(text: str, limit: int, code: str, what: str) -> str:
    """``text`` without surrounding blanks; 400 ``code`` when empty or longer than ``limit``."""
    cleaned = text.strip()
    if not cleaned:
        raise ServiceError(code, f"{what} must not be empty")
    if len(cleaned) > limit:
        raise ServiceError(code, f"{what} must be at most {limit} characters")
    return cleaned


def require_case_worker(session: Session, user_id: int) -> StaffUser:
    """The active staff member ``user_id`` whose role works cases (support or admin); 400
    ``invalid_assignee`` otherwise."""
    user = session.get(StaffUser, user_id)
    role = parse_role(user.role) if user is not None else None
    if user is None or not user.active or role is None or not grants(role, Role.SUPPORT):
        raise ServiceError(
            "invalid_assignee", "cases are assigned to active support staff or administrators"
        )
    return user


def case_workers(session: Session) -> list[StaffUser]:
    """Active staff who may be assigned cases, by e-mail."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_(("support", "admin")))
            .order_by(StaffUser.email)
        )
    )
