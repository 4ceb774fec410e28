"""Seat-map assignments: which map serves each route and trip, and planners' choices.

Everyone on the staff sees the page; planners and admins choose a map for a route or a trip,
or go back to what the seat map files say (``backend.services.seatmap_assignments`` says how
the choices and the files combine, and why a trip instance already on sale keeps its map).
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import seatmap_assignments
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to
from backend.web.console.network import active_facts, seat_maps, trip_summaries, zone_of

FILES = ""  # the form's value for "as the seat map files say"


@bp.get("/seat-maps", endpoint="seat_maps")
@page()
def seat_maps_page() -> str:
    """The seat maps, the map each route gets, and opened trips whose map has changed."""
    return _page()


@bp.post("/seat-maps")
@page(Role.PLANNER)
def choose_seat_map() -> str | Response:
    """Give a route or trip a map, or go back to the files' word for it."""
    form = {key: request.form.get(key, "").strip() for key in ("scope", "target_id", "seat_map")}
    facts = active_facts()
    session = db.session()
    try:
        if facts is None:
            raise ServiceError("no_active_feed", "no timetable is published yet")
        seatmap_assignments.choose(
            session,
            seat_maps(),
            trip_summaries().get(session, facts.version),
            scope=form["scope"],
            target_id=form["target_id"],
            seat_map=form["seat_map"] or None,
            staff_id=current_staff().user_id,
            now=utc_now(),
        )
    except ServiceError as refused:
        session.rollback()
        return _page(form=form, error=refused)
    what = f"{form['scope']} {form['target_id']}"
    flash(
        f"The {what} is now sold on {form['seat_map']}; trips already on sale keep their map."
        if form["seat_map"]
        else f"The {what} now follows the seat map files.",
        "success",
    )
    return redirect_to("console.seat_maps")


def _page(form: dict[str, str] | None = None, error: ServiceError | None = None) -> str:
    catalog = seat_maps()
    facts = active_facts()
    session = db.session()
    choices = seatmap_assignments.load_choices(session)
    routes = (
        seatmap_assignments.by_route(catalog, trip_summaries().get(session, facts.version), choices)
        if facts is not None
        else []
    )
    today = utc_now().astimezone(zone_of(facts)).date()
    return render_template(
        "console/seat_maps.html",
        title="Seat maps",
        maps=seatmap_assignments.maps(catalog),
        map_names=sorted(catalog),
        routes=routes,
        trip_choices=sorted(choices.trips.values(), key=lambda choice: choice.target_id),
        changed=seatmap_assignments.changed_instances(session, catalog, choices, since=today),
        folder=current_app.config["FAREGATE_SETTINGS"].seatmap_dir,
        form=form or {},
        error=error,
        files=FILES,
    )
