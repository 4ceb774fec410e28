"""What a validator hands to the decision: the presented media, the tap context, history.

Account-based media (a card UID or a token, no stored credential) are known by a
fingerprint: the hex SHA-256 of ``b"faregate-media-v1\\x00" + technology + b"\\x00" + uid``.
It is unkeyed so that server and every validator derive the same value with no shared
secret; a UID is broadcast in clear by the card to any reader, so the hash keeps the deny
list from being a list of UIDs rather than making it secret.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from fares.rules import DeviceRole

MAX_UID = 64
MAX_TECHNOLOGY = 32


class MediaKind(enum.Enum):
    """The form in which media reached the validator."""

    QR_TEXT = "qr_text"
    NDEF = "ndef"
    CREDENTIAL = "credential"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class PresentedMedia:
    """One presentation: its kind, the raw payload as read, and the read technology."""

    kind: MediaKind
    payload: bytes | str
    technology: str = ""


@dataclass(frozen=True, slots=True)
class TapContext:
    """Where and when a tap happens; optional fields are None where the device lacks them."""

    at: datetime
    device_id: str
    role: DeviceRole
    stop_id: str | None = None
    area_ids: frozenset[str] = field(default_factory=frozenset)
    network_id: str | None = None
    route_id: str | None = None
    trip_instance: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("TapContext.at must be an aware datetime")


class LocalHistory(Protocol):
    """The validator's memory of recent entries, for passback."""

    def last_entry(self, key: str) -> datetime | None:
        """When ``key`` last entered at this validator, if known."""


class InMemoryHistory:
    """A dict-backed ``LocalHistory`` (tests, benchmarks)."""

    def __init__(self) -> None:
        self._entries: dict[str, datetime] = {}

    def last_entry(self, key: str) -> datetime | None:
        """When ``key`` last entered, if ever."""
        return self._entries.get(key)

    def record_entry(self, key: str, at: datetime) -> None:
        """Remember an entry under ``key``."""
        self._entries[key] = at


def media_fingerprint(technology: str, uid: bytes) -> str:
    """The deny-list and passback identity of account-based media."""
    digest = hashlib.sha256(b"faregate-media-v1\x00")
    digest.update(technology.encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update(uid)
    return digest.hexdigest()
