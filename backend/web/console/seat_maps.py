"""Seat-map assignments: which map serves each route and trip, read from the seat map files.

The console shows them and does not change them (``backend.services.seatmap_assignments``
says why); the page says where to change them.
"""

from __future__ import annotations

from flask import current_app, render_template

from backend import db
from backend.clock import utc_now
from backend.services import seatmap_assignments
from backend.web.console.blueprint import bp
from backend.web.console.guard import page
from backend.web.console.network import active_facts, seat_maps, trip_summaries, zone_of


@bp.get("/seat-maps", endpoint="seat_maps")
@page()
def seat_maps_page() -> str:
    """The seat maps, the map each route gets, and opened trips whose map has changed."""
    catalog = seat_maps()
    facts = active_facts()
    session = db.session()
    routes = (
        seatmap_assignments.by_route(catalog, trip_summaries().get(session, facts.version))
        if facts is not None
        else []
    )
    today = utc_now().astimezone(zone_of(facts)).date()
    return render_template(
        "console/seat_maps.html",
        title="Seat maps",
        maps=seatmap_assignments.maps(catalog),
        routes=routes,
        changed=seatmap_assignments.changed_instances(session, catalog, since=today),
        folder=current_app.config["FAREGATE_SETTINGS"].seatmap_dir,
    )
