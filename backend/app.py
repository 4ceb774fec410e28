"""The application factory."""

from __future__ import annotations

import dataclasses

from flask import Flask

from backend import audit_trail, db, schema
from backend.api import init_api
from backend.jobs import inventory_for
from backend.logs import configure_logging
from backend.metrics_http import init_metrics
from backend.rate_limiter import init_rate_limits
from backend.request_ids import init_request_ids
from backend.request_limits import init_request_limits
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
    app.json.sort_keys = False  # type: ignore[attr-defined]
    init_metrics(app, settings)  # first, so that its timer starts before any other hook
    init_request_ids(app)
    init_request_limits(app, settings)  # before the hooks that read bodies (CSRF)
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
    audit_trail.init_app(app)  # records the staff actions of the views above
    init_rate_limits(app, settings)  # wraps the views registered above
    return app
