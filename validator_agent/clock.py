"""The source of the current time, injected so that nothing below the entry point reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current aware UTC time."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""


class SystemClock:
    """The host's wall clock (built only by the entry point)."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)
