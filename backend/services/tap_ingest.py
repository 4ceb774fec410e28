"""Taps uploaded by devices: stored exactly once per (device, nonce), acknowledged by a
watermark.

A device uploads its journal in batches, oldest first, and deletes rows only once an answer's
``acked_sequence`` covers them; a batch may arrive again after a lost answer or a crash, and
its taps are then stored no second time. Every tap of a batch is on the server once the batch
is answered, so the watermark is the highest sequence received. Each upload also reports the
device's clock, backlog and bundle version, which the device's status shows.

Ingest only stores: passback flags, journeys and charges are worked out later by the
reconciliation job (``backend.services.reconciliation``), so an upload costs one statement
however much the taps will matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.models import Device, Tap
from backend.services.tap_upload import TapUpload, UploadedTap, tapped_at

TAPS: Table = Tap.__table__  # type: ignore[assignment]
MAX_SKEW_MS = 2**31 - 1

# On PostgreSQL a batch goes as one array per column, unnested by the server: one statement
# with a dozen parameters instead of a dozen per tap. The device, the time received and the
# tap times (from epoch milliseconds, exactly) are filled in by the statement.
_UNNESTED = {
    "sequence": "bigint",
    "nonce": "text",
    "at_ms": "bigint",
    "media_kind": "text",
    "fingerprint": "text",
    "ticket_id": "text",
    "product_id": "text",
    "allowed": "boolean",
    "reason": "text",
    "bundle_version": "bigint",
    "trip_instance": "text",
}
_COPIED = [name for name in _UNNESTED if name != "at_ms"]
_INSERT_UNNESTED = text(
    f"""
    WITH stored AS (
        INSERT INTO tap (device_id, received_at, tapped_at, {", ".join(_COPIED)})
        SELECT :device_id, :received_at,
               TIMESTAMPTZ 'epoch' + batch.at_ms * INTERVAL '1 millisecond',
               {", ".join(f"batch.{name}" for name in _COPIED)}
        FROM unnest({", ".join(f"CAST(:{n} AS {t}[])" for n, t in _UNNESTED.items())})
             AS batch ({", ".join(_UNNESTED)})
        ON CONFLICT (device_id, nonce) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM stored
    """  # noqa: S608 - the column names and types are this module's constants
)


@dataclass(frozen=True)
class Upload:
    """One batch from a device, with what the device reports about itself."""

    taps: Sequence[UploadedTap]
    device_time: datetime | None = None
    backlog: int | None = None
    bundle_version: int | None = None

    @classmethod
    def of(cls, upload: TapUpload) -> Upload:
        """The batch of a checked upload."""
        return cls(upload.taps, upload.device_time, upload.backlog, upload.bundle_version)


def ingest(session: Session, device: Device, upload: Upload, now: datetime) -> dict[str, Any]:
    """Store a batch once and answer with the watermark and the server's time."""
    stored = 0
    if upload.taps:
        if session.get_bind().dialect.name == "postgresql":
            stored = session.execute(
                _INSERT_UNNESTED, _columns(upload.taps, device.id, now)
            ).scalar_one()
        else:
            statement = sqlite_insert(TAPS).on_conflict_do_nothing().returning(TAPS.c.id)
            rows = [_row(tap, device.id, now) for tap in upload.taps]
            stored = len(session.execute(statement, rows).all())
        highest = max(tap.seq for tap in upload.taps)
        device.acked_sequence = max(device.acked_sequence, highest)
    device.last_sync_at = now
    if upload.device_time is not None:
        device.clock_skew_ms = clock_skew_ms(upload.device_time, now)
    if upload.backlog is not None:
        device.backlog = upload.backlog
    if upload.bundle_version is not None:
        device.bundle_version = upload.bundle_version
    session.commit()
    return {
        "acked_sequence": device.acked_sequence,
        "stored": stored,
        "server_time": now.isoformat(),
    }


def clock_skew_ms(device_time: datetime, now: datetime) -> int:
    """How far ahead of ``now`` the device's clock is, in milliseconds, held to what the
    INTEGER column keeps (about 24.8 days either way): a validator whose clock lost its time
    (back to 1970, say) still has its taps stored, and its status shows the skew at the limit."""
    skew = round((device_time - now).total_seconds() * 1000)
    return max(-MAX_SKEW_MS, min(MAX_SKEW_MS, skew))


def _columns(taps: Sequence[UploadedTap], device_id: str, now: datetime) -> dict[str, Any]:
    """The statement's parameters: the batch as one list per column."""
    return {
        "device_id": device_id,
        "received_at": now,
        "sequence": [tap.seq for tap in taps],
        "nonce": [tap.nonce for tap in taps],
        "at_ms": [tap.at for tap in taps],
        "media_kind": [tap.kind for tap in taps],
        "fingerprint": [tap.fingerprint for tap in taps],
        "ticket_id": [tap.ticket_id for tap in taps],
        "product_id": [tap.product_id for tap in taps],
        "allowed": [tap.allowed for tap in taps],
        "reason": [tap.reason for tap in taps],
        "bundle_version": [tap.bundle_version for tap in taps],
        "trip_instance": [tap.trip_instance for tap in taps],
    }


def _row(tap: UploadedTap, device_id: str, now: datetime) -> dict[str, Any]:
    """``tap`` as a ``tap`` row."""
    return {
        "device_id": device_id,
        "received_at": now,
        "sequence": tap.seq,
        "nonce": tap.nonce,
        "tapped_at": tapped_at(tap),
        "media_kind": tap.kind,
        "fingerprint": tap.fingerprint,
        "ticket_id": tap.ticket_id,
        "product_id": tap.product_id,
        "allowed": tap.allowed,
        "reason": tap.reason,
        "bundle_version": tap.bundle_version,
        "trip_instance": tap.trip_instance,
    }
