"""What the support case tests share: staff members with tokens, cases opened through the
services at chosen times, and readers of the rows cases leave behind (notes, webhook events,
queued e-mails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.clock import utc_now
from backend.db import Database
from backend.models import OutboxMessage, SupportCase, SupportCaseNote, WebhookEvent
from backend.services import accounts, support_requests
from backend.services.support_policy import DEFAULT_SLA
from backend.services.support_requests import TravelerCase
from tests.conftest import STAFF_PASSWORD


@dataclass(frozen=True)
class Staff:
    """A staff member and the Authorization header of their token."""

    user_id: int
    email: str
    headers: dict[str, str]


@pytest.fixture
def make_staff_member(database: Database) -> Callable[[str], Staff]:
    """Make a staff member with ``role`` and a bearer token."""
    counter = iter(range(1, 1000))

    def make(role: str) -> Staff:
        email = f"{role}-{next(counter)}@example.org"
        with database.sessions() as session:
            user = accounts.create_user(session, email, STAFF_PASSWORD, role, now=utc_now())
            _, token = accounts.create_token(session, user, name="test", role=None, now=utc_now())
            return Staff(user.id, email, {"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def open_traveler_case(database: Database) -> Callable[..., str]:
    """Open an unlinked traveler case through the service; its reference."""

    def make(
        kind: str = "other",
        *,
        email: str = "rider@example.org",
        subject: str = "Help please",
        now: datetime | None = None,
    ) -> str:
        with database.sessions() as session:
            request = TravelerCase(kind=kind, subject=subject, message="What happened", email=email)
            case = support_requests.open_for_traveler(
                session, request, sla=DEFAULT_SLA, now=now or utc_now()
            )
            return case.reference

    return make


def case_row(database: Database, reference: str) -> SupportCase:
    """The case's row as stored now."""
    with database.sessions() as session:
        case = session.scalar(select(SupportCase).where(SupportCase.reference == reference))
        assert case is not None
        return case


def case_notes(database: Database, reference: str) -> list[tuple[str, bool, str]]:
    """(author, internal, body) of the case's notes, oldest first."""
    with database.sessions() as session:
        rows = session.execute(
            select(SupportCaseNote.author_kind, SupportCaseNote.internal, SupportCaseNote.body)
            .join(SupportCase, SupportCase.id == SupportCaseNote.case_id)
            .where(SupportCase.reference == reference)
            .order_by(SupportCaseNote.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def case_events(database: Database, reference: str | None = None) -> list[dict[str, Any]]:
    """The data of ``case.updated`` events (of one case), oldest first."""
    with database.sessions() as session:
        rows = session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.event_type == "case.updated")
            .order_by(WebhookEvent.id)
        )
        return [row.data for row in rows if reference is None or row.data["reference"] == reference]


def emails(database: Database) -> list[tuple[str, str, str]]:
    """(recipient, subject, text) of the queued e-mails, oldest first."""
    with database.sessions() as session:
        rows = session.execute(
            select(
                OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body_text
            ).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def count_cases(database: Database) -> int:
    """How many cases exist."""
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(SupportCase)) or 0
