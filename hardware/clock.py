"""The wall clock readers stamp presentations with; injected, so tests can fix it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current UTC time: the default clock of the readers, at the device edge only."""
    return datetime.now(UTC)
