"""Support cases: a traveler's (or staff's, or the system's) problem, its notes and refunds.

A case has a short human-friendly ``reference`` (``CS-`` and six characters of an alphabet
without look-alike letters) that travelers quote; its ``id`` never leaves the server. A case
may be linked to a booking, or to an account medium by its card ``media_fingerprint`` (never
its UID), optionally to one tap and one travel day.

``due_at`` is the service-level target set from the priority when the case is opened or its
priority changes (``backend.services.support_policy.SlaPolicy``); ``resolved_at`` is set when
the case is resolved or closed and cleared when it is reopened.

``dedupe_key``, when set, makes a case unique: the system opens at most one disruption case
per booking (``disruption:booking:<id>``).

A ``SupportRefund`` is money given back on a case for one reconciled journey (the charged-twice
rule): at most one refund per journey whatever the number of cases that ask, so a duplicate
charge is never refunded twice. Amounts are integer minor units of ``currency``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

CASE_KINDS = (
    "gate_did_not_open",
    "charged_twice",
    "refund",
    "lost_card",
    "disruption",
    "other",
)
CASE_STATUSES = ("new", "open", "waiting_on_traveler", "resolved", "closed")
CASE_PRIORITIES = ("low", "normal", "high", "urgent")
CASE_SOURCES = ("traveler", "staff", "system")
NOTE_AUTHORS = ("traveler", "staff", "system")
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting ``column`` to ``values``."""
    return f"{column} in ({', '.join(repr(value) for value in values)})"


class SupportCase(Base):
    """A problem a traveler has, and where its handling stands."""

    __tablename__ = "support_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    media_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    tap_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("tap.id", ondelete="SET NULL"))
    travel_day: Mapped[date | None]
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(8))
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    due_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_in("kind", CASE_KINDS), name="kind"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(_in("priority", CASE_PRIORITIES), name="priority"),
        CheckConstraint(_in("source", CASE_SOURCES), name="source"),
        Index("ix_support_case_status_due_at", "status", "due_at"),
    )


class SupportCaseNote(Base):
    """One entry of a case's conversation: a traveler's message, a staff reply or internal
    note, or what the system did."""

    __tablename__ = "support_case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("support_case.id", ondelete="CASCADE"), index=True
    )
    author_kind: Mapped[str] = mapped_column(String(8))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool]
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint(_in("author_kind", NOTE_AUTHORS), name="author_kind"),)


class SupportRefund(Base):
    """Money given back on a case for one journey that was charged twice."""

    __tablename__ = "support_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("support_case.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    travel_day: Mapped[date]
    journey_first_tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount"),)
