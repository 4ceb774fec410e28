"""The wall clock, read only by entry points (views, CLI commands, jobs) and passed down."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
