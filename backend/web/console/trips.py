"""Trips of a day with the load factor of each trip instance (``backend.services.trip_loads``)."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from backend import db
from backend.clock import utc_now
from backend.models import TripCancellation
from backend.web.console.blueprint import bp
from backend.web.console.guard import page
from backend.web.console.network import active_facts, asked_day, loads_on, zone_of

PAGE_SIZE = 50


@bp.get("/trips")
@page()
def trips() -> str:
    """Trip instances of the day asked (today by default), by departure, filtered by route."""
    facts = active_facts()
    zone = zone_of(facts)
    day, problem = asked_day(zone, utc_now())
    loads = loads_on(facts, day) if facts is not None else []
    routes = sorted({(load.route_name, load.route_id) for load in loads})
    route = request.args.get("route", "")
    sold_only = request.args.get("sold") == "1"
    shown = [
        load
        for load in loads
        if (not route or load.route_id == route) and (not sold_only or load.seats_sold)
    ]
    pages = max((len(shown) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    with_seats = [load for load in shown if load.seat_legs]
    sold = sum(load.seat_legs_sold for load in with_seats)
    offered = sum(load.seat_legs for load in with_seats)
    return render_template(
        "console/trips.html",
        title="Trips",
        day=day,
        zone=zone,
        problem=problem,
        no_feed=facts is None,
        routes=routes,
        route=route,
        sold_only=sold_only,
        loads=shown[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        total=len(shown),
        page_number=number,
        pages=pages,
        seats_sold=sum(load.seats_sold for load in shown),
        load_factor=sold / offered if offered else None,
        cancelled=set(
            db.session().scalars(
                select(TripCancellation.trip_instance).where(TripCancellation.service_date == day)
            )
        ),
    )
