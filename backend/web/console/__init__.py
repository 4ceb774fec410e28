"""The operators' web console under ``/console``: staff sign-in with rate limits and
two-factor codes, the dashboard, feeds, trips and load factors, trip cancellations and their
re-accommodation, seat-map assignments, devices, support cases, webhooks and the e-mail
outbox, and staff accounts.

Every page is rendered on the server from ``templates/console`` and calls the services
directly. Roles: support staff read every page; planners also upload and publish feeds,
provision, re-token and revoke devices, cancel trips, choose seat maps, and add and
deactivate webhook endpoints; admins also manage staff accounts, and must sign in with a
second factor (``guard`` and ``backend.services.two_factor``). Support cases are worked by
support staff and admins only; planners do not see them (``cases``), nor the export and
erasure of a traveler's personal data (``travelers``). Admins read the audit log of staff
actions (``audit``).
"""

from __future__ import annotations

import time

from flask import Flask

from backend.services.trip_loads import TripSummaryCache

# The view modules register their pages on ``bp`` when they are imported.
from backend.web.console import (  # noqa: F401
    audit,
    cases,
    dashboard,
    devices,
    disruptions,
    feeds,
    seat_maps,
    security,
    sign_in,
    staff,
    travelers,
    trips,
    webhooks,
)
from backend.web.console.blueprint import bp
from backend.web.console.charts import BriefCache
from backend.web.console.network import SUMMARIES_KEY


def init_console(app: Flask) -> None:
    """Register the console's pages and caches on ``app``."""
    app.extensions[SUMMARIES_KEY] = TripSummaryCache()
    app.extensions[dashboard.CHARTS_KEY] = BriefCache[bytes](time.monotonic)
    app.extensions[dashboard.FIGURES_KEY] = BriefCache[dashboard.DayFigures](time.monotonic)
    app.register_blueprint(bp)
