"""The charged-twice rule on reconciled taps: a traveler's charged_twice case for a card and
a travel day is refunded and closed when the day holds a duplicate charge (a tap stored
twice, or two bus validators of one trip both charging one boarding), and left open for staff
otherwise (nothing found, the day not reconciled yet, or a cap making the loss unclear).

The network, fares and caps are those of ``world.py``: a bus ride is 2.00 PLN, rail 3.00 or
5.00, the daily cap 8.00.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.db import Database
from backend.models import OutboxMessage, SupportCase, SupportCaseNote, SupportRefund, Tap
from backend.services import support_queue
from backend.services.reconciliation import Reconciler, reconcile_day
from backend.settings import Settings
from tests.integration.reconciliation.world import TUESDAY, Validators, card, local

NOW = datetime.fromisoformat("2026-06-03T04:00:00+00:00")  # 06:00 Wednesday in Warsaw
UID = "04ee0005"
RIDER = card(UID)
TRIP = "BUS1@2026-06-02"


@pytest.fixture
def reconciler(settings: Settings, database: Database) -> Reconciler:
    return Reconciler.from_settings(settings, database)


@pytest.fixture
def second_bus_reader(
    client: FlaskClient, validators: Validators, staff_token: Callable[..., str]
) -> Validators:
    """A rear-door validator on the same bus as ``bus-1``."""
    planner = {"Authorization": f"Bearer {staff_token('planner')}"}
    body = {"id": "bus-2", "role": "bus", "stop_id": None, "vehicle_id": "V1"}
    created = client.post("/api/v1/devices", json=body, headers=planner)
    assert created.status_code == 201, created.json
    token = created.json["provisioning_token"]
    provisioned = client.post("/api/v1/devices/provision", json={"token": token})
    assert provisioned.status_code == 200, provisioned.json
    validators.tokens["bus-2"] = provisioned.json["token"]
    return validators


def resend_with_new_nonce(validators: Validators, device: str, when: datetime) -> None:
    """Upload the device's last tap again under a new nonce (a journal row re-journaled)."""
    row = {
        "v": 1,
        "seq": validators.sequences[device],
        "nonce": secrets.token_hex(16),
        "at": round(when.timestamp() * 1000),
        "kind": "account",
        "fingerprint": RIDER,
        "ticket_id": None,
        "product_id": None,
        "allowed": True,
        "reason": None,
        "bundle_version": 1,
        "trip_instance": TRIP,
    }
    answer = validators.client.post(
        "/api/v1/device/taps",
        json={"taps": [row]},
        headers={"Authorization": f"Device {validators.tokens[device]}"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["stored"] == 1


def complain(client: FlaskClient, kind: str = "charged_twice") -> dict[str, object]:
    body = {
        "kind": kind,
        "subject": "Charged twice on the bus",
        "message": "My statement shows two bus fares for one ride.",
        "email": "rider@example.org",
        "card_technology": "nfc_uid",
        "card_uid": UID,
        "travel_day": TUESDAY.isoformat(),
    }
    answer = client.post("/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.json
    assert answer.json is not None
    return answer.json


def refunds(database: Database) -> list[tuple[str, int, str]]:
    with database.sessions() as session:
        rows = session.execute(
            select(SupportCase.reference, SupportRefund.amount_minor, SupportRefund.currency)
            .join(SupportCase, SupportCase.id == SupportRefund.case_id)
            .order_by(SupportRefund.id)
        )
        return [(reference, amount, currency) for reference, amount, currency in rows]


def system_notes(database: Database, reference: str) -> list[tuple[bool, str]]:
    with database.sessions() as session:
        rows = session.execute(
            select(SupportCaseNote.internal, SupportCaseNote.body)
            .join(SupportCase, SupportCase.id == SupportCaseNote.case_id)
            .where(SupportCase.reference == reference, SupportCaseNote.author_kind == "system")
            .order_by(SupportCaseNote.id)
        )
        return [(internal, body) for internal, body in rows]


def status_of(database: Database, reference: str) -> str:
    with database.sessions() as session:
        status = session.scalar(
            select(SupportCase.status).where(SupportCase.reference == reference)
        )
        assert status is not None
        return status


def test_two_bus_readers_charging_one_boarding_are_refunded_and_the_case_closed(
    client: FlaskClient,
    database: Database,
    second_bus_reader: Validators,
    reconciler: Reconciler,
) -> None:
    taps = second_bus_reader
    taps.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    taps.tap("bus-2", local(TUESDAY, "08:35:40"), RIDER, trip=TRIP)
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client)
    reference = str(case["reference"])
    assert case["status"] == "closed"
    assert [(r["amount_minor"], r["currency"]) for r in case["refunds"]] == [(200, "PLN")]  # type: ignore[attr-defined]
    assert refunds(database) == [(reference, 200, "PLN")]
    [(internal, note)] = system_notes(database, reference)
    assert not internal
    assert "2.00" in note
    assert "two validators of the same bus" in note
    with database.sessions() as session:
        row = session.scalar(select(SupportCase).where(SupportCase.reference == reference))
        assert row is not None
        assert row.resolved_at is not None
        second = session.scalar(select(Tap.id).where(Tap.device_id == "bus-2"))
        assert row.tap_id == second
        mails = session.scalars(select(OutboxMessage.body_text).order_by(OutboxMessage.id)).all()
    assert "2.00" in mails[-1]  # the refund note is e-mailed


def test_a_tap_stored_twice_under_two_nonces_is_refunded(
    client: FlaskClient, database: Database, validators: Validators, reconciler: Reconciler
) -> None:
    when = local(TUESDAY, "08:35:00")
    validators.tap("bus-1", when, RIDER, trip=TRIP)
    resend_with_new_nonce(validators, "bus-1", when)
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client)
    assert case["status"] == "closed"
    assert refunds(database) == [(str(case["reference"]), 200, "PLN")]
    [(_, note)] = system_notes(database, str(case["reference"]))
    assert "received twice" in note


def test_no_duplicate_leaves_the_case_open_with_an_internal_note(
    client: FlaskClient, database: Database, validators: Validators, reconciler: Reconciler
) -> None:
    validators.tap("cen-in", local(TUESDAY, "08:00"), RIDER)
    validators.tap("air-out", local(TUESDAY, "08:24"), RIDER)
    validators.tap("bus-1", local(TUESDAY, "08:50"), RIDER, trip=TRIP)  # a free transfer
    validators.tap("bus-1", local(TUESDAY, "18:05"), RIDER, trip="BUS2@2026-06-02")
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client)
    reference = str(case["reference"])
    assert case["status"] == "new"
    assert case["refunds"] == []
    [(internal, note)] = system_notes(database, reference)
    assert internal
    assert "no duplicate charge among the card's 2 journeys" in note
    lookup = client.post(
        "/api/v1/cases/lookup", json={"reference": reference, "email": "rider@example.org"}
    )
    assert [n["author"] for n in lookup.json["notes"]] == ["traveler"]  # internal note hidden
    assert refunds(database) == []


def test_entries_at_two_places_within_the_passback_window_are_left_to_staff(
    client: FlaskClient, database: Database, validators: Validators, reconciler: Reconciler
) -> None:
    validators.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    validators.tap("park-in", local(TUESDAY, "08:35:30"), RIDER)  # flagged, but elsewhere
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client)
    assert case["status"] == "new"
    assert refunds(database) == []


def test_a_day_not_reconciled_yet_is_checked_again_by_staff_later(
    client: FlaskClient,
    database: Database,
    second_bus_reader: Validators,
    reconciler: Reconciler,
) -> None:
    second_bus_reader.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    second_bus_reader.tap("bus-2", local(TUESDAY, "08:35:40"), RIDER, trip=TRIP)
    reference = str(complain(client)["reference"])
    assert status_of(database, reference) == "new"
    [(internal, note)] = system_notes(database, reference)
    assert internal
    assert "not be reconciled yet" in note
    reconcile_day(reconciler, TUESDAY, NOW)
    with database.sessions() as session:
        assert support_queue.check_charges_again(session, reference, NOW) is True
    assert status_of(database, reference) == "closed"
    assert refunds(database) == [(reference, 200, "PLN")]


def test_a_duplicate_is_refunded_once_however_many_cases_ask(
    client: FlaskClient,
    database: Database,
    second_bus_reader: Validators,
    reconciler: Reconciler,
) -> None:
    second_bus_reader.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    second_bus_reader.tap("bus-2", local(TUESDAY, "08:35:40"), RIDER, trip=TRIP)
    reconcile_day(reconciler, TUESDAY, NOW)
    first = str(complain(client)["reference"])
    reconcile_day(reconciler, TUESDAY, NOW)  # journeys made again: the refund still counts
    again = complain(client)
    assert again["status"] == "new"
    assert refunds(database) == [(first, 200, "PLN")]
    [(internal, note)] = system_notes(database, str(again["reference"]))
    assert internal
    assert f"refunded already on {first}" in note


def test_a_capped_day_is_left_to_staff(
    client: FlaskClient,
    database: Database,
    second_bus_reader: Validators,
    reconciler: Reconciler,
) -> None:
    taps = second_bus_reader
    taps.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    taps.tap("bus-2", local(TUESDAY, "08:35:40"), RIDER, trip=TRIP)
    for start, end in (("10:00", "10:20"), ("12:00", "12:20")):
        taps.tap("cen-in", local(TUESDAY, start), RIDER)
        taps.tap("air-out", local(TUESDAY, end), RIDER)  # 5.00 each: the daily cap is hit
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client)
    assert case["status"] == "new"
    assert refunds(database) == []
    [(internal, note)] = system_notes(database, str(case["reference"]))
    assert internal
    assert "fare cap" in note


def test_other_kinds_of_case_do_not_run_the_rule(
    client: FlaskClient,
    database: Database,
    second_bus_reader: Validators,
    reconciler: Reconciler,
) -> None:
    second_bus_reader.tap("bus-1", local(TUESDAY, "08:35:00"), RIDER, trip=TRIP)
    second_bus_reader.tap("bus-2", local(TUESDAY, "08:35:40"), RIDER, trip=TRIP)
    reconcile_day(reconciler, TUESDAY, NOW)
    case = complain(client, kind="refund")
    assert case["status"] == "new"
    assert system_notes(database, str(case["reference"])) == []
    assert refunds(database) == []
