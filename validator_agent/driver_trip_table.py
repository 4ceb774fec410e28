"""The agent store's record of a bus driver's trip commands (``faregate-agent trip``).

Table (agent store schema version 3, ``validator_agent.store``)::

    driver_trip (trip_instance TEXT PRIMARY KEY,
                 state TEXT CHECK IN ('chosen', 'finished'),
                 at_ms INTEGER)                  WITHOUT ROWID
    unique partial index on (state) WHERE state = 'chosen': at most one chosen trip

A command runs in its own process and writes here; the running agent notices it through the
``meta`` value ``driver_trip_changes``, which every change adds one to in the same
transaction: one indexed read per tap, and the table itself only when the count moved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from validator_agent.journal import to_millis

DRIVER_TRIP_SCHEMA = """
CREATE TABLE IF NOT EXISTS driver_trip (
    trip_instance TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('chosen', 'finished')),
    at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS driver_trip_chosen ON driver_trip (state)
    WHERE state = 'chosen';
"""
_CHANGES = "SELECT value FROM meta WHERE key = 'driver_trip_changes'"
_COUNT_CHANGE = (
    "INSERT INTO meta VALUES ('driver_trip_changes', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
)


@dataclass(frozen=True, slots=True)
class DriverTrips:
    """The driver's commands as stored, and the change count they were read at (or after)."""

    chosen: str | None
    finished: frozenset[str]
    changes: int


class DriverTripTable:
    """The ``driver_trip`` accessors of ``Store``, which provides its read and write paths."""

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def driver_trip_changes(self) -> int:
        """How many times the driver's commands changed (0: never)."""
        rows = self._read(_CHANGES)
        return int(rows[0][0]) if rows else 0

    def driver_trips(self) -> DriverTrips:
        """The chosen and finished trips. The count is read first, so that a change made in
        between shows again as a moved count."""
        changes = self.driver_trip_changes()
        rows = self._read("SELECT trip_instance, state FROM driver_trip")
        chosen = next((str(trip) for trip, state in rows if state == "chosen"), None)
        finished = frozenset(str(trip) for trip, state in rows if state == "finished")
        return DriverTrips(chosen, finished, changes)

    def change_driver_trips(
        self, chosen: str | None, finished: Iterable[str], at: datetime, forget_before: datetime
    ) -> None:
        """In one transaction: drop the chosen trip, mark ``finished`` ones, choose ``chosen``
        (no longer finished), forget trips finished before ``forget_before``, count a change.
        Raises ``JournalError`` and changes nothing if the store cannot write."""
        at_ms = to_millis(at)
        with self._write() as db:
            db.execute(
                "DELETE FROM driver_trip WHERE state = 'chosen' OR at_ms < ?",
                (to_millis(forget_before),),
            )
            db.executemany(
                "INSERT OR REPLACE INTO driver_trip VALUES (?, 'finished', ?)",
                [(trip, at_ms) for trip in finished],
            )
            if chosen is not None:
                db.execute(
                    "INSERT OR REPLACE INTO driver_trip VALUES (?, 'chosen', ?)", (chosen, at_ms)
                )
            db.execute(_COUNT_CHANGE)
