"""Deny-list delta sizes: the device bundle in full against a deny-list delta of one entry.

In one run, on a throwaway SQLite database with the bundled sample feed, it
  (a) adds ENTRIES deny-list entries (8-byte ticket ids of cancelled bookings) and makes the
      device bundle, as ``GET /api/v1/device/bundle`` does;
  (b) adds one more entry and makes the next bundle;
  (c) makes what a device holding the first bundle downloads (``deny_deltas.delivery``):
      a delta bundle carrying the one new entry, ROUNDS times, and checks that it opens, on
      the first bundle's deny list, to the second bundle's.
It reports both sizes, their ratio and the median time to make the delta bundle (two SQL
queries, re-encoding and signing the bundle). The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served_app import SAMPLE_FEED  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.db import Database, make_engine  # noqa: E402
from backend.schema import upgrade  # noqa: E402
from backend.services import feeds  # noqa: E402
from backend.services.deny_deltas import delivery  # noqa: E402
from backend.services.device_bundles import current_bundle  # noqa: E402
from backend.services.signing_keys import init_keyring  # noqa: E402
from backend.services.tickets import DENY_ENTRIES, lock_deny_list, new_ticket_ids  # noqa: E402
from backend.settings import Settings  # noqa: E402
from fares.bundle import RuleBundle, open_bundle  # noqa: E402

ENTRIES = 10_000
ROUNDS = 20
NOW = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


def deny(database: Database, count: int, now: datetime) -> None:
    """Put ``count`` new tickets on the deny list, valid for a month."""
    rows = [
        {"kind": "ticket", "value": value, "reason": "cancelled", "added_at": now,
         "expires_at": now + timedelta(days=30)}
        for value in new_ticket_ids(count)
    ]  # fmt: skip
    with database.sessions() as session:
        lock_deny_list(session)
        session.execute(DENY_ENTRIES.insert(), rows)
        session.commit()


def main() -> None:
    """Run the benchmark and print its figures."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bundles.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        keys = Path(folder) / "signing-keys.json"
        keyring = init_keyring(keys, NOW - timedelta(days=1))
        settings = Settings(database_url=url, log_level="WARNING", signing_keys_file=str(keys))
        app = create_app(settings)
        database: Database = app.extensions["faregate.database"]
        inventory = app.extensions["faregate.inventory"]
        feeds.import_feed(
            database, SAMPLE_FEED, filename="sample", now=NOW, today=NOW.date(), publish=True
        )
        deny(database, ENTRIES, NOW)
        with database.sessions() as session:
            held = current_bundle(session, inventory, NOW)
        later = NOW + timedelta(minutes=5)
        deny(database, 1, later)
        with database.sessions() as session:
            current = current_bundle(session, inventory, later)
        times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            with database.sessions() as session:
                sent = delivery(session, inventory, current, held.version)
            times.append(time.perf_counter() - start)
        assert sent.blob is not None
        assert sent.delta_from == held.version
        trusted = keyring.key_set(later)
        base = open_bundle(held.blob, trusted, NOW)
        assert isinstance(base, RuleBundle)
        applied = open_bundle(sent.blob, trusted, later, base.deny_list)
        full = open_bundle(current.blob, trusted, later)
        assert isinstance(applied, RuleBundle)
        assert isinstance(full, RuleBundle)
        assert applied.deny_list == full.deny_list
        assert len(full.deny_list.tickets) == ENTRIES + 1
        database.dispose()
    figures = {
        "deny_entries": ENTRIES + 1,
        "full_bundle_bytes": len(current.blob),
        "one_entry_delta_bytes": len(sent.blob),
        "ratio": round(len(current.blob) / len(sent.blob), 1),
        "delta_ms_median": round(statistics.median(times) * 1000, 2),
    }
    print(f"full bundle with {ENTRIES + 1} deny entries: {len(current.blob)} bytes", flush=True)
    print(f"delta bundle of one entry: {len(sent.blob)} bytes", flush=True)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
