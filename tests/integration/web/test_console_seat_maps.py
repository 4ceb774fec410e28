"""Planners choose seat maps for routes and trips in the console: the choice applies to trip
instances opened afterwards, on every server, and an instance already on sale keeps its map."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.app import create_app
from backend.db import Database
from backend.models import SeatMapAssignment
from backend.services import seatmap_assignments
from backend.settings import Settings
from tests.integration.web.console_session import ConsoleSession, make_staff

# Two runs of the sample feed's AB route (Airport - Bullfrog), regional-60 in the map files.
AB1 = "AB1@2008-06-02"
AB2 = "AB2@2008-06-02"
PAGE = "/console/seat-maps"
DAY = date(2008, 6, 2)
ENDS = {AB1: ("BEATTY_AIRPORT", "BULLFROG"), AB2: ("BULLFROG", "BEATTY_AIRPORT")}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def choose(console: ConsoleSession, scope: str, target: str, seat_map: str) -> str:
    answer = console.submit(PAGE, PAGE, {"scope": scope, "target_id": target, "seat_map": seat_map})
    if answer.status_code == 303:
        return text_of(console.get(PAGE).get_data(as_text=True))
    assert answer.status_code == 200
    return text_of(answer.get_data(as_text=True))


def map_of(client: FlaskClient, trip_instance: str) -> str:
    start, end = ENDS[trip_instance]
    answer = client.get(
        f"/api/v1/trips/{trip_instance}/availability", query_string={"from": start, "to": end}
    )
    assert answer.status_code == 200, answer.json
    name: str = answer.json["seat_map"]
    return name


def hold(
    client: FlaskClient, trip_instance: str, seats: list[str] | None = None
) -> dict[str, object]:
    start, end = ENDS[trip_instance]
    body: dict[str, object] = {"trip_instance": trip_instance, "from": start, "to": end}
    body.update({"seats": seats} if seats else {"party": 1})
    answer = client.post("/api/v1/holds", json=body)
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


def changed(console: ConsoleSession, database: Database) -> list[tuple[str, str, str | None]]:
    """The instances on sale with another map than their trip's now (the page lists those
    from today on; the sample feed's trips ran in 2008)."""
    app: Flask = console.client.application
    with database.sessions() as session:
        choices = seatmap_assignments.load_choices(session)
        rows = seatmap_assignments.changed_instances(
            session, app.extensions["faregate.inventory"].seat_maps, choices, since=DAY
        )
    return [(row.trip_instance, row.opened_with, row.now_assigned) for row in rows]


def test_a_route_choice_applies_to_trips_opened_afterwards(
    planner: ConsoleSession, published: int, client: FlaskClient, database: Database
) -> None:
    del published
    hold(client, AB1)  # AB1 goes on sale on regional-60 before the change
    page = choose(planner, "route", "AB", "coach-49")
    assert "is now sold on coach-49" in page
    assert "10 Airport - Bullfrog AB coach-49 console plan@example.org" in page

    assert map_of(client, AB2) == "coach-49"  # not yet on sale: the new choice
    hold(client, AB2)
    assert map_of(client, AB2) == "coach-49"
    assert map_of(client, AB1) == "regional-60"  # on sale already: keeps its map
    assert changed(planner, database) == [(AB1, "regional-60", "coach-49")]

    back = choose(planner, "route", "AB", "")
    assert "now follows the seat map files" in back
    assert "10 Airport - Bullfrog AB regional-60 map file" in back
    # AB2 was opened on coach-49 meanwhile
    assert changed(planner, database) == [(AB2, "coach-49", "regional-60")]


def test_a_trip_choice_wins_over_its_routes(
    planner: ConsoleSession, published: int, client: FlaskClient
) -> None:
    del published
    choose(planner, "route", "AB", "coach-49")
    page = choose(planner, "trip", "AB2", "regional-60")
    assert "Remove AB2 regional-60 plan@example.org Follow the files again" in page
    assert map_of(client, AB1) == "coach-49"
    assert map_of(client, AB2) == "regional-60"
    # Seats of the regional layout can be held on AB2 (a label coach-49 lacks, 15D, included).
    regional_only = "15D"
    held = hold(client, AB2, [regional_only])
    assert held["seats"] == [regional_only]


def test_a_choice_made_on_one_server_applies_on_another(
    planner: ConsoleSession, published: int, settings: Settings
) -> None:
    del published
    other: Flask = create_app(settings)  # a second server process's app on the same database
    try:
        assert map_of(other.test_client(), AB1) == "regional-60"
        choose(planner, "route", "AB", "coach-49")
        assert map_of(other.test_client(), AB1) == "coach-49"
        hold(other.test_client(), AB1)
    finally:
        other.extensions["faregate.database"].dispose()


def test_bad_choices_are_refused_with_a_code_and_change_nothing(
    planner: ConsoleSession, published: int, database: Database
) -> None:
    del published
    refusals = {
        ("route", "AB", "no-such-map"): "unknown_seat_map",
        ("route", "NOPE", "coach-49"): "unknown_route",
        ("trip", "NOPE", "coach-49"): "unknown_trip",
        ("vehicle", "AB", "coach-49"): "invalid_scope",
    }
    for (scope, target, seat_map), code in refusals.items():
        assert f"[{code}]" in choose(planner, scope, target, seat_map)
    with database.sessions() as session:
        assert session.scalars(select(SeatMapAssignment)).all() == []


def test_support_staff_see_the_choices_but_cannot_make_them(
    client: FlaskClient, database: Database, published: int
) -> None:
    del published
    make_staff(database, "help@example.org", "support")
    support = ConsoleSession(client)
    support.sign_in_fully("help@example.org")
    page = support.get(PAGE).get_data(as_text=True)
    assert "Routes of the active timetable" in page
    assert 'name="seat_map"' not in page
    refused = support.submit(
        PAGE, PAGE, {"scope": "route", "target_id": "AB", "seat_map": "coach-49"}
    )
    assert refused.status_code == 403
    with database.sessions() as session:
        assert session.scalars(select(SeatMapAssignment)).all() == []
