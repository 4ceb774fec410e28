"""Console tests' shared fixtures: a signed-in planner and the sample feed published."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from backend.db import Database
from backend.services import feeds
from tests.harness.feeds import SAMPLE_FEED
from tests.integration.web.console_session import ConsoleSession, make_staff

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def planner(client: FlaskClient, database: Database) -> ConsoleSession:
    """A planner signed in to the console."""
    make_staff(database, "plan@example.org", "planner")
    console = ConsoleSession(client)
    console.sign_in_fully("plan@example.org")
    return console


@pytest.fixture
def published(database: Database) -> int:
    """The sample feed, published; its version id."""
    result = feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=T0, today=date(2008, 6, 1), publish=True
    )
    return result.version.id
