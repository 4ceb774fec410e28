"""Deny-list writers on PostgreSQL: one at a time, so entries become visible in id order, which
deny-list deltas rely on (a list that holds entry N must hold every entry before it)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text

from backend.db import Database
from backend.models import DenyEntry
from backend.services.rule_bundles import newest_deny_entry
from backend.services.tickets import DENY_ENTRIES, DENY_WRITERS_LOCK, lock_deny_list
from tests.harness.deny_entries import add_deny_entries

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
WAIT_S = 30.0


def _writer_waiting(database: Database) -> bool:
    """Whether a transaction waits for the deny-list writers' lock."""
    with database.sessions() as session:
        waiting = session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = :lock_class AND objid = :key"
            ),
            {"lock_class": DENY_WRITERS_LOCK[0], "key": DENY_WRITERS_LOCK[1]},
        )
    return bool(waiting)


@pytest.mark.postgres
def test_a_later_deny_entry_is_not_seen_before_an_earlier_one_commits(
    postgres_database: Database,
) -> None:
    second: list[set[str]] = []
    writer = threading.Thread(
        target=lambda: second.append(
            add_deny_entries(postgres_database, 1, now=NOW, expires_at=None)
        )
    )
    with postgres_database.sessions() as first:
        lock_deny_list(first)
        first.execute(
            insert(DENY_ENTRIES),
            [{"kind": "ticket", "value": "aa" * 8, "reason": "cancelled", "added_at": NOW,
              "expires_at": NOW + timedelta(days=1)}],
        )  # fmt: skip
        writer.start()
        deadline = time.monotonic() + WAIT_S
        while not _writer_waiting(postgres_database) and time.monotonic() < deadline:
            time.sleep(0.02)
        with postgres_database.sessions() as reader:
            seen = newest_deny_entry(reader)
        first.commit()
    writer.join(WAIT_S)

    assert seen == 0  # the second writer waited for the first
    with postgres_database.sessions() as reader:
        ids = dict(reader.execute(select(DenyEntry.value, DenyEntry.id)).all())
    assert ids["aa" * 8] < ids[second[0].pop()]
