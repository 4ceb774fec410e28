"""The store's record of a driver's trip commands: one chosen trip, finished ones, the count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.validator_agent.journal_writer import START
from validator_agent.driver_trip_table import DriverTrips
from validator_agent.errors import JournalError
from validator_agent.store import Store

A, B, C = "A@2026-06-01", "B@2026-06-01", "C@2026-06-01"
WEEK_AGO = START - timedelta(days=7)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "agent.db")
    yield opened
    opened.close()


def test_a_new_store_has_no_commands(store: Store) -> None:
    assert store.driver_trips() == DriverTrips(None, frozenset(), 0)


def test_one_trip_is_chosen_at_a_time_and_each_change_is_counted(store: Store) -> None:
    store.change_driver_trips(A, (), START, WEEK_AGO)
    store.change_driver_trips(B, (A,), START, WEEK_AGO)
    assert store.driver_trips() == DriverTrips(B, frozenset({A}), 2)

    store.change_driver_trips(A, (), START, WEEK_AGO)  # chosen again: no longer finished
    assert store.driver_trips() == DriverTrips(A, frozenset(), 3)
    store.change_driver_trips(None, (), START, WEEK_AGO)
    assert store.driver_trips() == DriverTrips(None, frozenset(), 4)
    assert store.driver_trip_changes() == 4


def test_finished_trips_are_forgotten_once_old(store: Store) -> None:
    store.change_driver_trips(None, (A,), START, WEEK_AGO)
    later = START + timedelta(days=2)
    store.change_driver_trips(None, (B,), later, later - timedelta(days=1))
    assert store.driver_trips().finished == {B}


def test_a_command_the_disk_cannot_take_changes_nothing(store: Store) -> None:
    store.change_driver_trips(A, (), START, WEEK_AGO)
    store.set_max_pages(store.page_count())
    with pytest.raises(JournalError) as raised:
        store.change_driver_trips(C, [f"T{n:04d}@2026-06-01" * 20 for n in range(400)],
                                  START, WEEK_AGO)  # fmt: skip
    assert raised.value.code == "journal_full"
    assert store.driver_trips() == DriverTrips(A, frozenset(), 1)
