"""A real server over HTTP for agents to sync with, and a gate's one-time token on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from backend.clock import utc_now
from backend.db import Database
from backend.services import devices, feeds
from tests.harness.feeds import SAMPLE_FEED


@pytest.fixture
def server(app: Flask, database: Database) -> Iterator[BaseWSGIServer]:
    """The app with the sample feed published, served on a loopback port from a thread."""
    feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=utc_now(), today=date(2008, 6, 1),
        publish=True,
    )  # fmt: skip
    running = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()


@pytest.fixture
def provisioning_token(database: Database) -> str:
    """The one-time token of gate ``gate-7`` at BEATTY_AIRPORT."""
    with database.sessions() as session:
        _, token = devices.create_device(
            session, "gate-7", "gate_entry", stop_id="BEATTY_AIRPORT", vehicle_id=None,
            description="", now=utc_now(),
        )  # fmt: skip
    return token
