"""What the reconciliation tests share: the small world of ``world.py`` (its settings, feed
and provisioned validators)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from backend.db import Database
from backend.settings import Settings
from tests.integration.reconciliation.world import Validators, provision, publish, world_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    """Settings of the world: its caps file and account media."""
    return world_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def validators(
    client: FlaskClient, database: Database, tmp_path: Path, staff_token: Callable[..., str]
) -> Validators:
    """The world's feed published and its validators provisioned."""
    publish(database, tmp_path)
    return provision(client, {"Authorization": f"Bearer {staff_token('planner')}"})
