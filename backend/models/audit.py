"""The audit log: one row per state-changing staff action, whoever made it and however.

A row says who acted (the staff user's id, e-mail and role, copied at the time: the log
outlives accounts, so there is no foreign key), through what (``via``: the console's session
cookie, an API token, whose id is kept, or the ``faregate`` command line), what they did
(``action``, a dotted name such as ``feed.publish``, with the HTTP method and path), on which
``target`` (the ids the request named, as JSON), how it ended (``status``: the HTTP status, or
what the API would have answered for a command), when, from which client address, and under
which request id. No request body is ever stored, so no traveler's personal data lands here;
an erased address is recorded only by its hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

AUDIT_VIAS = ("console", "api", "cli")


class AuditEvent(Base):
    """One staff action, as it was answered."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None]
    actor_email: Mapped[str | None] = mapped_column(String(254))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(8))
    token_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(80))
    method: Mapped[str | None] = mapped_column(String(8))
    path: Mapped[str | None] = mapped_column(String(500))
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[int]
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        CheckConstraint("via in ('console', 'api', 'cli')", name="via"),
        Index("ix_audit_event_actor_email_occurred_at", "actor_email", "occurred_at"),
        Index("ix_audit_event_action_occurred_at", "action", "occurred_at"),
        {"sqlite_autoincrement": True},
    )
