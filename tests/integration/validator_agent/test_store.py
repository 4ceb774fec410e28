"""The on-disk store: round trips, batches, resume after a crash, acks, a full disk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fares.bundle import RuleBundle
from tests.integration.validator_agent.journal_writer import START, record
from tests.unit.fares.builders import TRUSTED, bundle_blob
from tests.unit.validator_agent.fakes import ManualClock
from validator_agent.bundles import BundleKeeper
from validator_agent.errors import JournalError
from validator_agent.journal import JournalRow
from validator_agent.store import Store


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "agent.db"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    opened = Store.open(path)
    yield opened
    opened.close()


def test_appended_row_reads_back_identical_after_reopen(store: Store, path: Path) -> None:
    appended = [store.append_tap(record(i)) for i in range(5)]
    store.close()

    reopened = Store.open(path)
    assert reopened.take_batch(10) == appended
    reopened.close()


def test_sequence_numbers_are_monotonic_and_never_reused(store: Store) -> None:
    first = [store.append_tap(record(i)).seq for i in range(3)]
    store.take_batch(10)
    store.mark_acked(first[-1], START)
    later = store.append_tap(record(3)).seq

    assert first == [1, 2, 3]
    assert later == 4


def test_nonces_are_16_random_bytes_and_unique(store: Store) -> None:
    nonces = {store.append_tap(record(i)).nonce for i in range(100)}
    assert len(nonces) == 100
    assert {len(n) for n in nonces} == {16}


def test_batches_take_ready_rows_in_order_and_mark_them_in_flight(store: Store) -> None:
    for i in range(5):
        store.append_tap(record(i))

    assert [r.seq for r in store.take_batch(2)] == [1, 2]
    assert [r.seq for r in store.take_batch(10)] == [3, 4, 5]
    assert store.take_batch(10) == []
    counts = store.journal_counts()
    assert (counts.ready, counts.in_flight, counts.last_seq) == (0, 5, 5)


def test_resumed_rows_come_back_first_and_unchanged(store: Store, path: Path) -> None:
    for i in range(4):
        store.append_tap(record(i))
    sent = store.take_batch(3)
    store.close()

    reopened = Store.open(path)
    assert reopened.resume_in_flight() == 3
    assert reopened.take_batch(3) == sent
    assert [r.seq for r in reopened.take_batch(3)] == [4]
    reopened.close()


def test_ack_deletes_covered_rows_and_records_the_sync(store: Store) -> None:
    for i in range(5):
        store.append_tap(record(i))
    store.take_batch(5)

    assert store.mark_acked(3, START) == 3
    store.resume_in_flight()
    assert [r.seq for r in store.take_batch(10)] == [4, 5]
    assert store.meta()["ack_watermark"] == "3"
    assert store.meta()["last_sync"] == START.isoformat()


def test_acked_rows_free_their_space(store: Store) -> None:
    for i in range(600):
        store.append_tap(record(i))
    store.checkpoint()
    pages = store.page_count()
    store.mark_acked(600, START)
    for i in range(600, 1200):
        store.append_tap(record(i))
    store.checkpoint()

    assert store.page_count() <= pages + 2


def fill_up(store: Store, committed: list[JournalRow]) -> JournalError:
    """Append until the store refuses; the refusal."""
    for i in range(50, 5000):
        try:
            committed.append(store.append_tap(record(i)))
        except JournalError as error:
            return error
    raise AssertionError("the capped database never filled up")


def test_full_database_refuses_appends_with_a_code_and_keeps_committed_rows(
    store: Store, path: Path
) -> None:
    committed = [store.append_tap(record(i)) for i in range(50)]
    store.set_max_pages(store.page_count())
    error = fill_up(store, committed)

    assert error.code == "journal_full"
    assert store.take_batch(10_000) == committed
    assert store.mark_acked(committed[-1].seq, START) == len(committed)
    store.close()
    reopened = Store.open(path)
    assert reopened.journal_counts().last_seq == committed[-1].seq
    reopened.close()


def test_history_keeps_the_last_entry_and_is_pruned_by_age(store: Store) -> None:
    store.append_tap(record(0), "ticket:a")
    store.append_tap(record(1000), "ticket:a")
    store.append_tap(record(5), "ticket:b")

    assert store.last_entry("ticket:a") == record(1000).at
    assert store.prune_history(record(100).at) == 1
    assert store.last_entry("ticket:b") is None
    assert store.last_entry("ticket:a") == record(1000).at


def test_bundle_survives_a_restart(store: Store, path: Path) -> None:
    clock = ManualClock()
    installed = BundleKeeper(store, TRUSTED, clock).install(bundle_blob(version=3))
    store.close()

    reopened = Store.open(path)
    restored = BundleKeeper(reopened, TRUSTED, clock).restore()
    assert isinstance(installed, RuleBundle)
    assert restored is not None
    assert (restored.version, restored.etag) == (3, installed.etag)
    reopened.close()


def test_unreadable_file_is_a_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"
    path.write_bytes(b"this is not a database" * 100)

    with pytest.raises(JournalError) as raised:
        Store.open(path)
    assert raised.value.code == "journal_corrupt"


def test_newer_schema_is_refused(path: Path) -> None:
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()

    with pytest.raises(JournalError) as raised:
        Store.open(path)
    assert raised.value.code == "store_too_new"
