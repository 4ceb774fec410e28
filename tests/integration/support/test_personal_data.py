"""Export and erasure of a traveler's personal data through the API: the export holds all of
theirs and nothing of anyone else's; erasure leaves no trace of their address or names in any
column of any table, keeps bookings, seats and payments counted, is recorded in the audit log
by hash only, and changes nothing more when run again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from backend.db import Database
from backend.models import (
    AuditEvent,
    Booking,
    BookingPassenger,
    OutboxMessage,
    Payment,
    SeatClaim,
    SupportCaseNote,
    Ticket,
)
from backend.services.personal_data import email_hash, placeholder
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.support.conftest import Staff
from tests.integration.support.traveler_data import (
    EMAIL,
    INTERNAL_NOTE,
    NAMES,
    OTHER_EMAIL,
    OTHER_NAME,
    Footprint,
    case_of,
    leave_footprint,
    publish_sample,
    settings_for,
    snapshot,
    traces,
)

COUNTED = (Booking, BookingPassenger, SeatClaim, Ticket, Payment, SupportCaseNote)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return settings_for(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def inventory(app: Flask, database: Database) -> Inventory:
    publish_sample(database)
    found: Inventory = app.extensions["faregate.inventory"]
    return found


@pytest.fixture
def support(make_staff_member: Callable[[str], Staff]) -> Staff:
    return make_staff_member("support")


@pytest.fixture
def footprint(
    client: FlaskClient, database: Database, inventory: Inventory, support: Staff
) -> Footprint:
    return leave_footprint(client, database, inventory, support.headers)


def export(client: FlaskClient, staff: Staff, email: str) -> object:
    return client.get(
        "/api/v1/travelers/export", query_string={"email": email}, headers=staff.headers
    )


def erase(client: FlaskClient, staff: Staff, email: str, **body: object) -> object:
    return client.post(
        "/api/v1/travelers/erase", json={"email": email, **body}, headers=staff.headers
    )


def counts(database: Database) -> dict[str, int]:
    with database.sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }


def audit_rows(database: Database, action: str) -> list[AuditEvent]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_the_export_holds_everything_about_the_traveler_and_nothing_of_another(
    client: FlaskClient, database: Database, footprint: Footprint, support: Staff
) -> None:
    answer = export(client, support, EMAIL.upper())
    assert answer.status_code == 200, answer.json  # type: ignore[attr-defined]
    document = answer.json  # type: ignore[attr-defined]
    assert (document["format"], document["version"]) == ("faregate.traveler-export", 1)
    assert document["email"] == EMAIL.lower()
    bookings = {booking["reference"]: booking for booking in document["bookings"]}
    assert set(bookings) == {footprint.api_booking, footprint.paid_booking}
    first = bookings[footprint.api_booking]
    assert [p["name"] for p in first["passengers"]] == list(NAMES)
    assert all(p["seat"] for p in first["passengers"])
    assert first["trip"]["trip_instance"].startswith("CITY1@")
    assert (first["trip"]["from"], first["trip"]["to"]) == ("STAGECOACH", "NADAV")
    assert {t["id"] for t in first["tickets"]} == set(footprint.ticket_ids)
    [payment] = bookings[footprint.paid_booking]["payments"]
    assert payment["status"] == "paid"  # the sample fares do not price CITY1: no charge
    assert payment["reference"]
    [case] = document["support_cases"]
    assert case["reference"] == footprint.case
    assert case["booking_reference"] == footprint.api_booking
    bodies = [note["body"] for note in case["notes"]]
    assert "Hypatia Quartermain here: Zenobia cannot travel." in bodies
    assert INTERNAL_NOTE in bodies
    assert len(document["messages"]) >= 2  # the acknowledgement and the staff reply
    assert any("refund is on its way" in m["body_text"] for m in document["messages"])
    [tap] = document["taps"]
    assert (tap["ticket_id"], tap["device_id"]) == (footprint.ticket_ids[0], "gate-9")
    dumped = json.dumps(document).lower()
    assert OTHER_EMAIL not in dumped
    assert OTHER_NAME.lower() not in dumped
    assert footprint.other_booking.lower() not in dumped
    assert footprint.other_case.lower() not in dumped
    [row] = audit_rows(database, "traveler.export")
    assert (row.via, row.actor_email, row.status) == ("api", support.email, 200)
    assert row.target == {"email_sha256": email_hash(EMAIL)}
    assert EMAIL.lower() not in json.dumps(row.target).lower()


def test_an_export_is_refused_for_unknown_addresses_and_for_planners(
    client: FlaskClient,
    footprint: Footprint,
    support: Staff,
    make_staff_member: Callable[[str], Staff],
) -> None:
    del footprint
    missing = export(client, support, "nobody@example.org")
    assert missing.status_code == 404  # type: ignore[attr-defined]
    assert missing.json["error"]["code"] == "traveler_not_found"  # type: ignore[attr-defined]
    garbled = export(client, support, "not an address")
    assert garbled.json["error"]["code"] == "invalid_email"  # type: ignore[attr-defined]
    planner = make_staff_member("planner")
    refused = export(client, planner, EMAIL)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.json["error"]["code"] == "insufficient_role"  # type: ignore[attr-defined]
    assert erase(client, planner, EMAIL, confirm=True).status_code == 403  # type: ignore[attr-defined]


def test_erasure_leaves_no_trace_of_the_address_or_the_names_and_keeps_the_bookings(
    client: FlaskClient,
    database: Database,
    engine: Engine,
    footprint: Footprint,
    support: Staff,
) -> None:
    before = counts(database)
    seats_before = _taken_seats(client)
    payments_before = _payments(database)
    assert traces(engine, EMAIL, *NAMES)  # the scan sees them before
    answer = erase(client, support, EMAIL, confirm=True)
    assert answer.status_code == 200, answer.json  # type: ignore[attr-defined]
    body = answer.json  # type: ignore[attr-defined]
    assert body["already_erased"] is False
    assert body["email_sha256"] == email_hash(EMAIL)
    assert set(body["references"]) == {footprint.api_booking, footprint.paid_booking}
    assert (body["bookings"], body["passengers"], body["support_cases"]) == (2, 3, 1)
    assert body["stored_responses"] >= 1  # the booking answer kept for its Idempotency-Key

    assert traces(engine, EMAIL, *NAMES, "Zenobia", "Quartermain") == []
    assert counts(database) == before
    assert _taken_seats(client) == seats_before
    assert _payments(database) == payments_before  # references and amounts kept
    with database.sessions() as session:
        booking = session.scalar(select(Booking).where(Booking.reference == footprint.api_booking))
        assert booking is not None
        assert booking.contact_email == placeholder(EMAIL)
        assert booking.status == "confirmed"
        erased_mail = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.recipient == placeholder(EMAIL))
        ).all()
        assert erased_mail == ["failed"] * len(erased_mail)  # never sent now
        assert len(erased_mail) >= 2
        notes = list(session.scalars(select(SupportCaseNote.body).order_by(SupportCaseNote.id)))
    assert "Called [erased] back on [erased]: refund agreed" in notes  # internal, struck out
    looked_up = client.get(
        f"/api/v1/bookings/{footprint.api_booking}", query_string={"email": EMAIL}
    )
    assert looked_up.status_code == 404
    case_lookup = client.post(
        "/api/v1/cases/lookup", json={"reference": footprint.case, "email": EMAIL}
    )
    assert case_lookup.status_code == 404
    replay = client.post(
        "/api/v1/bookings",
        json={"hold_id": "whatever", "contact_email": EMAIL, "passengers": [{"name": "x"}]},
        headers={"Idempotency-Key": "booking-hypatia"},
    )
    assert NAMES[0] not in replay.get_data(as_text=True)

    other = export(client, support, OTHER_EMAIL)
    assert other.status_code == 200  # type: ignore[attr-defined]
    assert other.json["bookings"][0]["passengers"][0]["name"] == OTHER_NAME  # type: ignore[attr-defined]
    assert case_of(database, footprint.other_case).subject == "Lost umbrella"
    assert export(client, support, EMAIL).status_code == 404  # type: ignore[attr-defined]

    [row] = audit_rows(database, "traveler.erase")
    assert (row.via, row.actor_email, row.status, row.method) == ("api", support.email, 200, "POST")
    assert row.target is not None
    assert row.target["email_sha256"] == email_hash(EMAIL)
    assert row.target["bookings"] == 2


def test_erasing_twice_changes_nothing_more(
    client: FlaskClient, database: Database, engine: Engine, footprint: Footprint, support: Staff
) -> None:
    del footprint
    assert erase(client, support, EMAIL, confirm=True).status_code == 200  # type: ignore[attr-defined]
    erased = snapshot(engine, leave_out=("audit_event",))
    again = erase(client, support, EMAIL.lower(), confirm=True)
    assert again.status_code == 200  # type: ignore[attr-defined]
    body = again.json  # type: ignore[attr-defined]
    assert body["already_erased"] is True
    assert (body["bookings"], body["passengers"], body["messages"], body["references"]) == (
        0,
        0,
        0,
        [],
    )
    assert snapshot(engine, leave_out=("audit_event",)) == erased
    assert [row.status for row in audit_rows(database, "traveler.erase")] == [200, 200]


def test_erasure_needs_its_confirmation_and_a_known_address(
    client: FlaskClient, database: Database, engine: Engine, footprint: Footprint, support: Staff
) -> None:
    del footprint
    before = snapshot(engine, leave_out=("audit_event",))
    unconfirmed = erase(client, support, EMAIL)
    assert unconfirmed.status_code == 422  # type: ignore[attr-defined]
    assert unconfirmed.json["error"]["code"] == "confirmation_required"  # type: ignore[attr-defined]
    declined = erase(client, support, EMAIL, confirm=False)
    assert declined.json["error"]["code"] == "confirmation_required"  # type: ignore[attr-defined]
    unknown = erase(client, support, "nobody@example.org", confirm=True)
    assert unknown.status_code == 404  # type: ignore[attr-defined]
    assert unknown.json["error"]["code"] == "traveler_not_found"  # type: ignore[attr-defined]
    assert snapshot(engine, leave_out=("audit_event",)) == before
    refusals = audit_rows(database, "traveler.erase")
    assert [row.status for row in refusals] == [422, 422, 404]
    assert refusals[0].target == {"email_sha256": email_hash(EMAIL)}


def _taken_seats(client: FlaskClient) -> set[str]:
    answer = client.get(
        "/api/v1/trips/CITY1@2008-06-02T06:00:00/availability?from=STAGECOACH&to=NADAV"
    )
    assert answer.status_code == 200, answer.json
    return {seat["label"] for seat in answer.json["seats"] if not seat["free"]}


def _payments(database: Database) -> list[tuple[str, str, int, str]]:
    with database.sessions() as session:
        rows = session.execute(
            select(Payment.hold_id, Payment.reference, Payment.amount, Payment.status)
        )
        return sorted(tuple(row) for row in rows)  # type: ignore[misc]
