"""Console tests' shared fixtures: a signed-in planner (the sample feed published is
``tests/conftest.py``'s ``published``)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from backend.db import Database
from tests.integration.web.console_session import ConsoleSession, make_staff


@pytest.fixture
def planner(client: FlaskClient, database: Database) -> ConsoleSession:
    """A planner signed in to the console."""
    make_staff(database, "plan@example.org", "planner")
    console = ConsoleSession(client)
    console.sign_in_fully("plan@example.org")
    return console
