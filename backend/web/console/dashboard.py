"""The dashboard: key figures of a day and three charts with their figures beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request

from backend import db
from backend.clock import utc_now
from backend.models import FeedVersion
from backend.services import console_stats, device_health, devices
from backend.services.console_stats import DayCount, HourTaps, RouteLoad
from backend.web.console import charts
from backend.web.console.blueprint import bp
from backend.web.console.guard import page
from backend.web.console.network import active_facts, asked_day, loads_on, zone_of

CHARTS_KEY = "faregate.console.charts"
FIGURES_KEY = "faregate.console.figures"


@dataclass(frozen=True)
class DayFigures:
    """Everything the dashboard shows for one day."""

    day: date
    zone: ZoneInfo
    bookings: list[DayCount]
    routes: list[RouteLoad]
    taps: list[HourTaps]
    revenue: list[tuple[str, int]]
    seat_legs_sold: int
    seat_legs: int

    @property
    def load_factor(self) -> float | None:
        """The whole network's load factor that day."""
        return self.seat_legs_sold / self.seat_legs if self.seat_legs else None


def figures_for(day: date, zone: ZoneInfo) -> DayFigures:
    """The dashboard's figures for ``day`` in the network's timezone (kept a minute)."""
    cache: charts.BriefCache[DayFigures] = current_app.extensions[FIGURES_KEY]
    return cache.get((day, zone.key), lambda: _count(day, zone))


def _count(day: date, zone: ZoneInfo) -> DayFigures:
    session = db.session()
    facts = active_facts()
    loads = loads_on(facts, day) if facts is not None else []
    return DayFigures(
        day=day,
        zone=zone,
        bookings=console_stats.bookings_per_day(session, day, zone),
        routes=console_stats.load_by_route(loads),
        taps=console_stats.taps_per_hour(session, day, zone),
        revenue=console_stats.revenue_on(session, day, zone),
        seat_legs_sold=sum(load.seat_legs_sold for load in loads),
        seat_legs=sum(load.seat_legs for load in loads),
    )


@bp.get("/")
@page()
def dashboard() -> str:
    """Key figures and charts of a day (today in the network's timezone by default)."""
    now = utc_now()
    facts = active_facts()
    zone = zone_of(facts)
    day, problem = asked_day(zone, now)
    session = db.session()
    newest = device_health.newest_bundle_version(session)
    fleet = [
        device_health.health_of(device, newest_bundle=newest, now=now)
        for device in devices.list_devices(session)
    ]
    active = session.get(FeedVersion, facts.version) if facts is not None else None
    return render_template(
        "console/dashboard.html",
        title="Dashboard",
        figures=figures_for(day, zone),
        problem=problem,
        active_feed=active,
        devices_active=sum(1 for health in fleet if health.state == "active"),
        devices_attention=sum(1 for health in fleet if health.needs_attention),
    )


@bp.get("/charts/<any(bookings, load, taps):chart>.svg")
@page()
def chart(chart: str) -> Response:
    """One of the dashboard's charts for the ``day`` asked, as SVG (kept a minute);
    ``size=narrow`` draws it for a phone's screen."""
    zone = zone_of(active_facts())
    day, _ = asked_day(zone, utc_now())
    narrow = request.args.get("size") == "narrow"
    cache: charts.BriefCache[bytes] = current_app.extensions[CHARTS_KEY]

    def draw() -> bytes:
        figures = figures_for(day, zone)
        if chart == "bookings":
            return charts.bookings_chart(figures.bookings, narrow=narrow)
        if chart == "load":
            return charts.load_chart(figures.routes, narrow=narrow)
        return charts.taps_chart(figures.taps, narrow=narrow)

    svg = cache.get((chart, day, zone.key, narrow), draw)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"private, max-age={int(charts.TTL_S)}"
    return response
