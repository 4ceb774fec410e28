"""Planners cancel a trip in the console and see what became of each booking; trips of the
day show which are cancelled."""

from __future__ import annotations

import re

from flask import Flask

from tests.harness.reservations import book_through_api
from tests.integration.web.console_session import ConsoleSession

AB1 = "AB1@2008-06-02"
PAGE = "/console/disruptions"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_planner_cancels_a_trip_and_sees_each_booking_refunded_when_nothing_else_runs(
    planner: ConsoleSession, published: int, app: Flask
) -> None:
    del published
    _, booked = book_through_api(app.test_client(), AB1, "BEATTY_AIRPORT", "BULLFROG", "Ada")
    reference = booked["reference"]
    trips = text_of(planner.get("/console/trips?day=2008-06-02&route=AB").get_data(as_text=True))
    assert "Cancel…" in trips

    answer = planner.submit(PAGE, PAGE, {"trip_instance": AB1, "reason": "Road closed"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/console/disruptions/{AB1}"
    # The sample feed's trips ran in 2008: no alternative is still to come, so a refund.
    detail = text_of(planner.get(answer.headers["Location"]).get_data(as_text=True))
    assert f"{AB1} is cancelled: 0 booking(s) rebooked, 1 refunded." in detail
    assert f"{reference} refunded — —" in detail
    assert "Road closed" in detail
    listed = text_of(planner.get(PAGE).get_data(as_text=True))
    assert "No trip is cancelled" in listed  # the page lists from yesterday on
    trips = text_of(planner.get("/console/trips?day=2008-06-02&route=AB").get_data(as_text=True))
    assert "AB1 to Bullfrog cancelled" in trips


def test_refusals_are_shown_on_the_form_and_cancel_nothing(
    planner: ConsoleSession, published: int
) -> None:
    del published
    for trip, reason, code in [
        ("NOPE@2008-06-02", "Road closed", "trip_not_found"),
        (AB1, "", "invalid_reason"),
    ]:
        answer = planner.submit(PAGE, PAGE, {"trip_instance": trip, "reason": reason})
        assert answer.status_code == 200
        assert f"[{code}]" in answer.get_data(as_text=True)
    missing = planner.get(f"/console/disruptions/{AB1}")
    assert missing.status_code == 404
