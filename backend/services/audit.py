"""The audit log of staff actions: writing a row, and reading rows back with filters.

Who records what (``backend.audit_trail``): the web app records every state-changing staff
request after it has been answered; the ``faregate travelers`` commands record themselves.

**When the row is written.** An action commits its own work first; its audit row is then
written by ``record`` in a short transaction of its own. A failure there (the database went
away between the two) is logged as an error carrying every field of the row, and the action's
answer goes out unchanged: refusing or undoing an action that already happened because its
record could not be kept would trade a lost row for a lie to the caller. The one exception is
erasing a traveler's personal data, which adds its row to the erasure's own transaction
(``add``): the erasure leaves nothing else to show it happened, so both commit or neither does.

**Reading.** Newest first; filtered by actor (e-mail, exactly, case-insensitive), action (a
name, or a dotted prefix of names: ``support_case`` matches ``support_case.assign``) and a time
range [since, until); ``PAGE_SIZE`` rows a page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import ServiceError
from backend.models import AuditEvent
from backend.models.audit import AUDIT_VIAS

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff user (unknown for an anonymous command line), and through what."""

    via: str  # console, api, cli
    user_id: int | None = None
    email: str | None = None
    role: str | None = None
    token_id: int | None = None  # the API token, for ``via == "api"``


@dataclass(frozen=True)
class AuditEntry:
    """One action to record, as it was answered."""

    actor: Actor
    action: str
    status: int
    occurred_at: datetime
    target: dict[str, Any] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None
    client_address: str | None = None
    request_id: str | None = None


def add(session: Session, entry: AuditEntry) -> AuditEvent:
    """Add ``entry`` to the caller's transaction (the caller commits)."""
    if entry.actor.via not in AUDIT_VIAS:
        raise ValueError(f"unknown way of acting: {entry.actor.via}")
    row = AuditEvent(
        occurred_at=entry.occurred_at,
        actor_id=entry.actor.user_id,
        actor_email=entry.actor.email.lower() if entry.actor.email else None,
        actor_role=entry.actor.role,
        via=entry.actor.via,
        token_id=entry.actor.token_id,
        action=entry.action[:80],
        method=entry.method,
        path=entry.path[:500] if entry.path else None,
        target=entry.target or None,
        status=entry.status,
        client_address=entry.client_address[:64] if entry.client_address else None,
        request_id=entry.request_id[:128] if entry.request_id else None,
    )
    session.add(row)
    return row


def record(database: Database, entry: AuditEntry) -> bool:
    """Write ``entry`` in a transaction of its own; False (and an error logged) if it failed."""
    try:
        with database.writer_sessions() as session:
            add(session, entry)
            session.commit()
    except SQLAlchemyError:
        log.exception(
            "audit event NOT written: %s by %s (%s, user %s) status %s target %s at %s "
            "from %s request %s",
            entry.action,
            entry.actor.email,
            entry.actor.via,
            entry.actor.user_id,
            entry.status,
            entry.target,
            entry.occurred_at.isoformat(),
            entry.client_address,
            entry.request_id,
        )
        return False
    return True


@dataclass(frozen=True)
class AuditFilter:
    """Which rows to read: every filter is optional."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = PAGE_SIZE


@dataclass(frozen=True)
class AuditPage:
    """One page of rows, newest first, with the number of rows the filters keep."""

    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    per_page: int


def list_events(session: Session, wanted: AuditFilter) -> AuditPage:
    """The rows ``wanted`` keeps, one page of them; 400 ``invalid_range`` when since > until,
    ``invalid_filter`` for text no column can hold."""
    if wanted.since and wanted.until and wanted.since > wanted.until:
        raise ServiceError("invalid_range", "since must not be after until")
    if any("\x00" in (text or "") for text in (wanted.actor, wanted.action)):
        raise ServiceError("invalid_filter", "filters must not contain NUL characters")
    per_page = min(max(1, wanted.per_page), MAX_PAGE_SIZE)
    conditions = _conditions(wanted)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, wanted.page), pages)
    rows = session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return AuditPage(list(rows), total, page, pages, per_page)


def _conditions(wanted: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.actor:
        conditions.append(AuditEvent.actor_email == wanted.actor.strip().lower())
    if wanted.action:
        name = wanted.action.strip().rstrip(".")
        conditions.append(
            or_(
                AuditEvent.action == name,
                AuditEvent.action.startswith(name + ".", autoescape=True),
            )
        )
    if wanted.since:
        conditions.append(AuditEvent.occurred_at >= wanted.since)
    if wanted.until:
        conditions.append(AuditEvent.occurred_at < wanted.until)
    return conditions
