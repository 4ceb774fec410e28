"""Planners cancel trips through the API; every staff member reads what became of the
bookings; bad requests get a code and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from click.testing import CliRunner
from flask.testing import FlaskClient

from backend.cli import cli
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.disruptions.test_cancellations import book, run


def bearer(staff_token: Callable[..., str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(role)}"}


def test_a_planner_cancels_and_any_staff_member_sees_the_outcomes(
    client: FlaskClient, inventory: Inventory, travel_day: date, staff_token: Callable[..., str]
) -> None:
    trip = run(travel_day, "12:00")
    reference = book(inventory, trip, {"1B": "Ada"})
    planner, support = bearer(staff_token, "planner"), bearer(staff_token, "support")

    refused = client.post(
        "/api/v1/cancellations", json={"trip_instance": trip, "reason": "x"}, headers=support
    )
    assert refused.status_code == 403
    made = client.post(
        "/api/v1/cancellations",
        json={"trip_instance": trip, "reason": "Flooded road"},
        headers=planner,
    )
    assert made.status_code == 201, made.json
    assert (made.json["status"], made.json["source"], made.json["rebooked"]) == (
        "done", "operator", 1,
    )  # fmt: skip
    [outcome] = made.json["bookings"]
    assert outcome["reference"] == reference
    assert outcome["outcome"] == "rebooked"
    assert outcome["trip_instance"] != trip  # the nearest run with room, in the window

    again = client.post(
        "/api/v1/cancellations", json={"trip_instance": trip, "reason": "again"}, headers=planner
    )
    assert again.status_code == 200
    assert again.json["reason"] == "Flooded road"
    shown = client.get(f"/api/v1/cancellations/{trip}", headers=support)
    assert shown.status_code == 200
    assert shown.json["bookings"] == made.json["bookings"]
    listed = client.get(
        "/api/v1/cancellations", query_string={"since": travel_day.isoformat()}, headers=support
    )
    assert [c["trip_instance"] for c in listed.json] == [trip]
    held = client.post(
        "/api/v1/holds", json={"trip_instance": trip, "from": "STAGECOACH", "to": "EMSI"}
    )
    assert (held.status_code, held.json["error"]["code"]) == (409, "trip_cancelled")


def test_bad_requests_get_a_code_and_cancel_nothing(
    client: FlaskClient, inventory: Inventory, travel_day: date, staff_token: Callable[..., str]
) -> None:
    del inventory
    planner = bearer(staff_token, "planner")
    cases = {
        ("NOPE@2030-01-01", "Flooded road"): (404, "trip_not_found"),
        (run(travel_day, "12:10"), "Flooded road"): (404, "trip_not_running"),
        (run(travel_day, "12:00"), "   "): (400, "invalid_reason"),
        ("no-at-sign", "Flooded road"): (400, "invalid_trip_instance"),
    }
    for (trip, reason), (status, code) in cases.items():
        answer = client.post(
            "/api/v1/cancellations", json={"trip_instance": trip, "reason": reason}, headers=planner
        )
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), trip
    listed = client.get(
        "/api/v1/cancellations", query_string={"since": "2000-01-01"}, headers=planner
    )
    assert listed.json == []
    missing = client.get(f"/api/v1/cancellations/{run(travel_day, '12:00')}", headers=planner)
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "cancellation_not_found")


def test_the_cli_cancels_and_lists(
    inventory: Inventory, travel_day: date, settings: Settings
) -> None:
    trip = run(travel_day, "13:00")
    reference = book(inventory, trip, {"2D": "Ada"})
    env = {
        "FAREGATE_DATABASE_URL": settings.database_url,
        "FAREGATE_SEATMAP_DIR": settings.seatmap_dir,
        "FAREGATE_SIGNING_KEYS_FILE": settings.signing_keys_file,
        "FAREGATE_LOG_LEVEL": "WARNING",
        "FAREGATE_REACCOMMODATION_EARLIEST_MINUTES": "0",
        "FAREGATE_REACCOMMODATION_LATEST_MINUTES": "0",  # no alternative: a refund
    }
    runner = CliRunner()
    done = runner.invoke(cli, ["trips", "cancel", trip, "--reason", "Strike"], env=env)
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        f"{reference}\trefunded\t0",
        f"{trip}: 0 booking(s) rebooked, 1 refunded",
    ]
    listed = runner.invoke(
        cli, ["trips", "cancellations", "--since", travel_day.isoformat()], env=env
    )
    assert listed.output.splitlines() == [f"{trip}\toperator\tdone\t0\t1\tStrike"]
    bad = runner.invoke(cli, ["trips", "cancel", "NOPE@2030-01-01", "--reason", "x"], env=env)
    assert bad.exit_code != 0
    assert "trip_not_found" in bad.output
