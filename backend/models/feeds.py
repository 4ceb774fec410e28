"""Feed versions, their validation notices, and which version is active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class FeedVersion(Base):
    """One uploaded GTFS feed: loaded (publishable) or a draft kept only for its report."""

    __tablename__ = "feed_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # "loaded" or "draft"
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    feed_label: Mapped[str | None] = mapped_column(String(255))  # feed_info.feed_version
    error_count: Mapped[int]
    warning_count: Mapped[int]
    info_count: Mapped[int]
    notice_counts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]

    # Ids are never reused (SQLite would reuse the highest after a rollback), since cached
    # facts and bookings refer to versions by id.
    __table_args__ = (
        CheckConstraint("status in ('loaded', 'draft')", name="status"),
        {"sqlite_autoincrement": True},
    )


class FeedNotice(Base):
    """A sample of the notices a feed version's validation produced (counts are complete)."""

    __tablename__ = "feed_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_version_id: Mapped[int] = mapped_column(
        ForeignKey("feed_version.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(8))
    file: Mapped[str | None] = mapped_column(String(80))
    row: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)


class ActiveFeed(Base):
    """The single row naming the published feed version; switching it is one UPDATE."""

    __tablename__ = "active_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_version_id: Mapped[int] = mapped_column(ForeignKey("feed_version.id"))
    published_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)
