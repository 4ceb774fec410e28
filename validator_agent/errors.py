"""The agent's refusals and faults; each carries a stable ``code`` (fares' CodedError)."""

from __future__ import annotations

from fares.errors import CodedError


class ConfigError(CodedError, ValueError):
    """The agent configuration file is missing, unreadable or has a bad value."""


class JournalError(CodedError):
    """A tap could not be committed to the journal (disk full, I/O error, corruption)."""


class DriverError(CodedError):
    """A reader or gate could not be built from its configuration string."""


class SyncError(CodedError):
    """A sync with the server did not complete (unreachable, refused, a bad answer)."""


class TripError(CodedError):
    """A bus driver's trip command was refused; nothing was changed."""
