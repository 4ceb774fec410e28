"""A traveler re-accommodated after a cancellation: the export shows where each booking went,
erasure covers the new booking too, and a later cancellation of an erased traveler's trip still
runs, sending no e-mail to the erased address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from backend.models import OutboxMessage, Reaccommodation
from backend.services import cancellations, checkout, reservations
from backend.services.cancellations import Policy
from backend.services.checkout import Checkout
from backend.services.personal_data import placeholder
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from tests.integration.support.traveler_data import traces
from tests.integration.traveler.world import OFFERED

EMAIL = "rosalind.f@example.org"
NAMES = ("Rosalind Franklinova", "Maurice Wilkinsley")
NEXT_RUN_ONLY = Policy(earliest_minutes=0, latest_minutes=30, time_limit_s=5)


def run(day: date, at: str) -> str:
    return f"CITY1@{day.isoformat()}T{at}:00"


def cancel(inventory: Inventory, trip: str) -> cancellations.Report:
    return cancellations.cancel(
        inventory,
        trip,
        source="operator",
        reason="Driver shortage",
        now=datetime.now(UTC),
        policy=NEXT_RUN_ONLY,
    )


def test_a_rebooked_traveler_is_exported_and_erased_whole_and_can_still_be_disrupted(
    client: FlaskClient,
    engine: Engine,
    inventory: Inventory,
    travel_day: date,
    staff_token: Callable[..., str],
) -> None:
    support = {"Authorization": f"Bearer {staff_token('support')}"}
    trip, later = run(travel_day, "10:00"), run(travel_day, "10:30")
    hold = reservations.create_hold(
        inventory, HoldRequest(trip, "STAGECOACH", "EMSI", seats=("1A", "1B")), datetime.now(UTC)
    ).body["id"]
    old = checkout.check_out(
        inventory, OFFERED, Checkout(hold, list(NAMES), EMAIL, "test"), datetime.now(UTC)
    )
    [moved] = cancel(inventory, trip).outcomes
    assert moved.outcome == "rebooked"

    document = client.get(
        "/api/v1/travelers/export", query_string={"email": EMAIL}, headers=support
    ).json
    by_reference = {b["reference"]: b for b in document["bookings"]}
    assert set(by_reference) == {old, moved.new_reference}
    assert by_reference[old]["rebooked_as"] == moved.new_reference
    assert by_reference[old]["status"] == "cancelled"
    assert [p["name"] for p in by_reference[moved.new_reference]["passengers"]] == list(NAMES)
    assert [c["kind"] for c in document["support_cases"]] == ["disruption"]

    erased = client.post(
        "/api/v1/travelers/erase", json={"email": EMAIL, "confirm": True}, headers=support
    )
    assert erased.status_code == 200, erased.json
    assert set(erased.json["references"]) == {old, moved.new_reference}
    assert traces(engine, EMAIL, *NAMES) == []

    [again] = cancel(inventory, later).outcomes  # the erased traveler's new trip
    assert again.outcome in ("rebooked", "refunded")
    with inventory.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reaccommodation)) == 2
        to_erased = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.recipient == placeholder(EMAIL))
        ).all()
    assert "pending" not in to_erased  # nothing new queued for the erased address
    assert traces(engine, EMAIL, *NAMES) == []
