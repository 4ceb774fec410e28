"""Stores written by an older agent are upgraded in place when opened, losing nothing."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.validator_agent.journal_writer import record
from validator_agent.store import SCHEMA_VERSION, Store

# The journal as schema version 1 made it, before trip instances were journaled.
VERSION_1_JOURNAL = """
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce BLOB NOT NULL UNIQUE CHECK (length(nonce) = 16),
    tap_at_ms INTEGER NOT NULL,
    media_kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    ticket_id TEXT,
    product_id TEXT,
    allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    reason TEXT,
    bundle_version INTEGER,
    status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1))
);
INSERT INTO journal (nonce, tap_at_ms, media_kind, fingerprint, ticket_id, product_id, allowed,
    reason, bundle_version, status)
VALUES (x'000102030405060708090a0b0c0d0e0f', 1780300800000, 'account', 'ab', NULL, NULL, 1,
    NULL, 7, 1);
"""


def old_store(path: Path, version: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript(VERSION_1_JOURNAL)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("version", [1, 0], ids=["version-1", "creation-cut-short"])
def test_an_older_store_keeps_its_rows_and_journals_trip_instances(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "agent.db"
    old_store(path, version)

    store = Store.open(path)
    assert store.resume_in_flight() == 1  # it was in flight: a restarted agent sends it again
    (kept,) = store.take_batch(10)
    added = store.append_tap(replace(record(1), trip_instance="BUS1@2026-06-02"))
    store.close()
    reopened = Store.open(path)
    rows = reopened.take_batch(10)
    reopened.close()

    assert (kept.seq, kept.nonce.hex(), kept.tap.bundle_version) == (
        1,
        "000102030405060708090a0b0c0d0e0f",
        7,
    )
    assert kept.tap.trip_instance is None
    assert "trip_instance" not in kept.to_wire()
    assert rows == [added]
    assert added.seq == 2
    assert added.to_wire()["trip_instance"] == "BUS1@2026-06-02"
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()


def test_a_version_2_store_gains_the_drivers_trip_commands_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agent.db"
    store = Store.open(path)
    kept = store.append_tap(replace(record(1), trip_instance="BUS1@2026-06-02"))
    store.set_meta("last_sync", "2026-06-02T08:00:00+00:00")
    store.close()
    version_2 = sqlite3.connect(path)  # version 3 is version 2 and the driver_trip table
    version_2.executescript("DROP TABLE driver_trip; PRAGMA user_version = 2;")
    version_2.close()

    store = Store.open(path)
    at = record(2).at
    store.change_driver_trips("BUS2@2026-06-02", ["BUS1@2026-06-02"], at, at)
    store.close()
    reopened = Store.open(path)
    driver, rows, meta = reopened.driver_trips(), reopened.take_batch(10), reopened.meta()
    reopened.close()

    assert rows == [kept]
    assert meta["last_sync"] == "2026-06-02T08:00:00+00:00"
    assert (driver.chosen, driver.finished, driver.changes) == (
        "BUS2@2026-06-02", frozenset({"BUS1@2026-06-02"}), 1)  # fmt: skip
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 3
    check.close()
