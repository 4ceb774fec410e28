"""The application factory."""

from __future__ import annotations

import dataclasses

from flask import Flask

from backend import db, schema
from backend.api import init_api
from backend.jobs import inventory_for
from backend.logs import configure_logging
from backend.services.fare_quotes import FareCaches
from backend.services.version_facts import VersionFactsCache
from backend.settings import Settings, load_settings
from backend.web import init_web


def create_app(settings: Settings | None = None) -> Flask:
    """Build a Faregate server for ``settings`` (read from file and environment when None)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Flask("backend")
    app.config["FAREGATE_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db.init_app(
        app, db.Database(settings.database_url, connect_timeout_s=settings.db_connect_timeout_s)
    )
    app.extensions["faregate.schema_heads"] = schema.head_revisions()
    app.extensions["faregate.version_facts"] = VersionFactsCache()
    inventory = inventory_for(settings, app.extensions["faregate.database"])
    app.extensions["faregate.inventory"] = dataclasses.replace(
        inventory, facts=app.extensions["faregate.version_facts"]
    )
    app.extensions["faregate.fare_caches"] = FareCaches(
        facts=app.extensions["faregate.version_facts"],
        trips=app.extensions["faregate.inventory"].trips,
        tables=app.extensions["faregate.inventory"].fares,
    )
    init_api(app)
    init_web(app, settings)
    return app
