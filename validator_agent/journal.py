"""One journal row: what a validator records of every tap, and its upload wire form.

A row is appended, and committed, before the gate is driven. Stored columns (table
``journal`` of the agent store, schema version 2)::

    seq             INTEGER PRIMARY KEY AUTOINCREMENT  device sequence, never reused
    nonce           BLOB(16) UNIQUE                    random; the server keys on (device, nonce)
    tap_at_ms       INTEGER   UTC epoch milliseconds of the presentation
    media_kind      TEXT      fares.tap.MediaKind value (qr_text, ndef, credential, account)
    fingerprint     TEXT      hex SHA-256: of the credential blob, or the account media
                              fingerprint (fares.tap.media_fingerprint), or of the raw bytes
                              read when they hold no credential; never the payload itself
    ticket_id       TEXT NULL     product_id  TEXT NULL
    allowed         INTEGER   1 the gate opened, 0 it did not
    reason          TEXT NULL fares.reasons.DenyReason value, or ``no_bundle``
    bundle_version  INTEGER NULL  the rule bundle in force (NULL: none)
    trip_instance   TEXT NULL     the trip instance a bus was running (``TRIP@YYYY-MM-DD``,
                                  inventory.trip_instances form); NULL at gates or when
                                  the bus knew none (added in schema version 2)
    status          INTEGER   0 ready → 1 in_flight → acked: deleted once the server's ack
                              watermark covers it (0 and 1 take no bytes in a sqlite record,
                              so marking a row in flight never grows it on a full disk)

Upload wire form, journal row format version 1 (``JournalRow.to_wire``): a JSON object
``{"v": 1, "seq": int, "nonce": 32 hex chars, "at": UTC epoch milliseconds, "kind": str,
"fingerprint": 64 hex chars, "ticket_id": str|null, "product_id": str|null,
"allowed": bool, "reason": str|null, "bundle_version": int|null}``, plus the optional
``"trip_instance": str`` (at most ``MAX_TRIP_INSTANCE`` characters: a longer one is journaled
as NULL rather than held back from every upload) where the tap has one. The key is left out
when there is none, so a gate's rows are byte for byte what they were before it existed, and a
server that predates it reads them unchanged; a server treats a missing key as null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fares.tap import MediaKind

WIRE_VERSION = 1
NO_BUNDLE = "no_bundle"
MAX_TRIP_INSTANCE = 160


@dataclass(frozen=True, slots=True)
class TapRecord:
    """What the runtime records of one decided tap."""

    at: datetime
    media_kind: MediaKind
    fingerprint: str
    ticket_id: str | None
    product_id: str | None
    allowed: bool
    reason: str | None
    bundle_version: int | None
    trip_instance: str | None = None


@dataclass(frozen=True, slots=True)
class JournalRow:
    """A committed tap with its device sequence number and nonce."""

    seq: int
    nonce: bytes
    tap: TapRecord

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready upload form (format version 1)."""
        tap = self.tap
        wire: dict[str, object] = {
            "v": WIRE_VERSION,
            "seq": self.seq,
            "nonce": self.nonce.hex(),
            "at": to_millis(tap.at),
            "kind": tap.media_kind.value,
            "fingerprint": tap.fingerprint,
            "ticket_id": tap.ticket_id,
            "product_id": tap.product_id,
            "allowed": tap.allowed,
            "reason": tap.reason,
            "bundle_version": tap.bundle_version,
        }
        if tap.trip_instance is not None:
            wire["trip_instance"] = tap.trip_instance
        return wire


def to_millis(moment: datetime) -> int:
    """UTC epoch milliseconds of an aware datetime."""
    return round(moment.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(millis / 1000, UTC)
