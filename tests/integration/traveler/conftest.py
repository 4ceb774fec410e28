"""What the traveler page tests share: settings with a seat map for every trip, and the
sample feed published to run around today."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from backend.db import Database
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.traveler.world import publish_todays_feed, traveler_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    """Settings whose seat map is every trip's."""
    return traveler_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def travel_day(database: Database, tmp_path: Path) -> date:
    """The day the published feed's trips are searched on."""
    return publish_todays_feed(database, tmp_path)


@pytest.fixture
def inventory(app: Flask, travel_day: date) -> Inventory:
    """The app's reservation context, once the feed is published."""
    del travel_day
    found: Inventory = app.extensions["faregate.inventory"]
    return found
