"""A new worker loads the published timetable's facts and fare tables before its first
request, and starts anyway when the database is away."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from flask import Flask

from backend.app import create_app, warm_caches
from backend.db import Database
from backend.services import feeds
from backend.settings import Settings
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.network import free_port


class NoDatabase:
    """A session stand-in that fails the test if anything is read through it."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the cache went to the database ({name})")


def test_a_warmed_worker_answers_from_its_caches(app: Flask, database: Database) -> None:
    loaded = feeds.import_feed(
        database, SAMPLE_FEED, filename="s", now=datetime.now(UTC), today=date(2008, 6, 1),
        publish=True,
    )  # fmt: skip
    version = loaded.version.id
    warm_caches(app)
    inventory = app.extensions["faregate.inventory"]
    assert inventory.facts.get(NoDatabase(), version).version == version
    assert inventory.fares.get(NoDatabase(), version) is not None


def test_without_a_timetable_or_a_database_a_worker_still_starts(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    warm_caches(app)  # nothing published: nothing to load, nothing to say
    assert not caplog.records
    away = create_app(
        Settings(
            database_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
            db_connect_timeout_s=1,
            log_level="WARNING",
        )
    )
    with caplog.at_level(logging.WARNING, logger="backend.app"):
        warm_caches(away)
    away.extensions["faregate.database"].dispose()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["caches not warmed at start"]
