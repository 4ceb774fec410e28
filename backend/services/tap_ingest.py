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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.models import Device, Tap

TAPS: Table = Tap.__table__  # type: ignore[assignment]
MAX_BATCH = 5000

# On PostgreSQL a batch goes as one array per column, unnested by the server: one statement
# with a dozen parameters instead of a dozen per tap.
_UNNESTED = {
    "device_id": "text",
    "sequence": "bigint",
    "nonce": "text",
    "tapped_at": "timestamptz",
    "received_at": "timestamptz",
    "media_kind": "text",
    "fingerprint": "text",
    "ticket_id": "text",
    "product_id": "text",
    "allowed": "boolean",
    "reason": "text",
    "bundle_version": "bigint",
    "trip_instance": "text",
}
_INSERT_UNNESTED = text(
    f"""
    WITH stored AS (
        INSERT INTO tap ({", ".join(_UNNESTED)})
        SELECT * FROM unnest({", ".join(f"CAST(:{n} AS {t}[])" for n, t in _UNNESTED.items())})
        ON CONFLICT (device_id, nonce) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM stored
    """  # noqa: S608 - the column names and types are this module's constants
)


@dataclass(frozen=True)
class Upload:
    """One batch from a device, with what the device reports about itself."""

    taps: Sequence[dict[str, Any]]
    device_time: datetime | None = None
    backlog: int | None = None
    bundle_version: int | None = None


def ingest(session: Session, device: Device, upload: Upload, now: datetime) -> dict[str, Any]:
    """Store a batch once and answer with the watermark and the server's time."""
    stored = 0
    if upload.taps:
        rows = [_row(tap, device.id, now) for tap in upload.taps]
        if session.get_bind().dialect.name == "postgresql":
            columns = {name: [row[name] for row in rows] for name in _UNNESTED}
            stored = session.execute(_INSERT_UNNESTED, columns).scalar_one()
        else:
            statement = sqlite_insert(TAPS).on_conflict_do_nothing().returning(TAPS.c.id)
            stored = len(session.execute(statement, rows).all())
        highest = max(int(tap["sequence"]) for tap in upload.taps)
        device.acked_sequence = max(device.acked_sequence, highest)
    device.last_sync_at = now
    if upload.device_time is not None:
        device.clock_skew_ms = round((upload.device_time - now).total_seconds() * 1000)
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


def _row(tap: dict[str, Any], device_id: str, now: datetime) -> dict[str, Any]:
    """A tap of the upload form (``at`` in epoch milliseconds) as a ``tap`` row."""
    row = {key: value for key, value in tap.items() if key not in {"v", "at"}}
    row["tapped_at"] = datetime.fromtimestamp(tap["at"] / 1000, UTC)
    row.setdefault("trip_instance", None)  # optional in the wire form: every row has the key
    return {**row, "device_id": device_id, "received_at": now}
