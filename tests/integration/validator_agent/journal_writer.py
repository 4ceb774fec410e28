"""A child process for the kill -9 test: appends taps forever, printing each committed seq."""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fares.tap import MediaKind
from validator_agent.journal import TapRecord
from validator_agent.store import Store

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def record(i: int) -> TapRecord:
    """The tap written as the i-th append (deterministic, so the parent can check it)."""
    return TapRecord(
        at=START + timedelta(milliseconds=i),
        media_kind=MediaKind.QR_TEXT,
        fingerprint=hashlib.sha256(str(i).encode()).hexdigest(),
        ticket_id=f"{i:016x}",
        product_id="day_pass",
        allowed=i % 3 != 0,
        reason=None if i % 3 else "revoked",
        bundle_version=7,
    )


def main() -> None:
    """Append until killed."""
    store = Store.open(Path(sys.argv[1]))
    i = 0
    while True:
        row = store.append_tap(record(i), f"ticket:{i:016x}")
        print(f"{row.seq} {i} {row.nonce.hex()}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
