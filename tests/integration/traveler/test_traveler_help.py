"""Help for travelers with bookings: support cases opened from the Help page or the API and
linked to a booking by its reference and e-mail, read and answered without JavaScript, and the
disruption case the system opens once per booking of a cancelled trip."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.models import (
    Booking,
    OutboxMessage,
    Reaccommodation,
    SupportCase,
    SupportCaseNote,
    TripCancellation,
    WebhookEvent,
)
from backend.services import support_cases, support_rules
from backend.services.reservation_store import Inventory
from tests.integration.traveler.world import airport_run, book, post_form, text_of

FORM = {
    "kind": "refund",
    "subject": "Refund for my seat",
    "message": "I can no longer travel.",
    "email": "ADA@example.org",
}


def booking_id(database: Database, reference: str) -> int:
    with database.sessions() as session:
        found = session.scalar(select(Booking.id).where(Booking.reference == reference))
        assert found is not None
        return found


def cases(database: Database) -> list[SupportCase]:
    with database.sessions() as session:
        return list(session.scalars(select(SupportCase).order_by(SupportCase.id)))


def count(database: Database, model: type) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_help_page_opens_a_case_linked_to_a_booking(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "test")
    page = client.get(f"/help?booking={reference}")
    assert page.status_code == 200
    assert 'for="f-subject"' in text_of(page)
    assert "<h1>Help</h1>" in text_of(page)
    answer = post_form(client, "/help", {**FORM, "booking": reference.lower()})
    assert answer.status_code == 303, text_of(answer)
    [case] = cases(database)
    assert answer.headers["Location"] == f"/help/cases/{case.reference}"
    assert case.booking_id == booking_id(database, reference)
    assert case.contact_email == "ada@example.org"  # the booking's address
    assert (case.kind, case.priority, case.source) == ("refund", "normal", "traveler")
    shown = text_of(client.get(answer.headers["Location"]))
    assert case.reference in shown
    assert "I can no longer travel." in shown
    assert reference in shown


def test_a_booking_with_another_email_or_missing_details_change_nothing(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "test")
    wrong = post_form(client, "/help", {**FORM, "email": "eve@example.org", "booking": reference})
    assert wrong.status_code == 200
    assert "No booking matches that reference" in text_of(wrong)
    empty = post_form(client, "/help", {"kind": "", "subject": "", "message": "", "email": ""})
    assert empty.status_code == 200
    for message in ("Choose what happened.", "Tell us what happened.", "Enter an e-mail"):
        assert message in text_of(empty)
    assert cases(database) == []
    assert count(database, WebhookEvent) == 0
    assert count(database, OutboxMessage) == 0


def test_the_api_links_a_case_to_a_booking_by_reference_and_email(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "test")
    body = {**FORM, "kind": "other", "booking_reference": reference}
    answer = client.post("/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.json
    assert answer.json["booking_reference"] == reference
    wrong = client.post("/api/v1/cases", json={**body, "email": "eve@example.org"})
    assert wrong.status_code == 404
    assert wrong.json["error"]["code"] == "booking_not_found"
    assert len(cases(database)) == 1


def test_another_browser_finds_the_case_with_its_email_and_replies(
    client: FlaskClient, database: Database, app: object
) -> None:
    post_form(client, "/help", {**FORM, "kind": "other"})
    [case] = cases(database)
    with database.sessions() as session:
        row = session.get(SupportCase, case.id)
        assert row is not None
        now = datetime.now(UTC)
        support_cases.add_note(
            session, row, author="staff", body="internal only", internal=True, now=now
        )
        support_cases.add_note(
            session, row, author="staff", body="Done: refunded.", internal=False, now=now
        )
        support_cases.change_status(session, row, "resolved", now)
        session.commit()
    other = app.test_client()  # type: ignore[attr-defined]
    page = f"/help/cases/{case.reference}"
    assert other.get(page).headers["Location"] == f"/help/cases?reference={case.reference}"
    wrong = post_form(other, "/help/cases", {"reference": case.reference, "email": "x@y.org"})
    assert "No case matches" in text_of(wrong)
    found = post_form(
        other, "/help/cases", {"reference": case.reference.lower(), "email": "ada@EXAMPLE.org"}
    )
    assert found.headers["Location"] == page
    shown = text_of(other.get(page))
    assert "Done: refunded." in shown
    assert "internal only" not in shown
    assert "Replying reopens the case." in shown
    empty = post_form(other, f"{page}/reply", {"message": "  "}, page=page)
    assert "Write your message." in text_of(empty)
    replied = post_form(other, f"{page}/reply", {"message": "Still waiting"}, page=page)
    assert replied.status_code == 303
    assert cases(database)[0].status == "open"
    with database.sessions() as session:
        row = session.get(SupportCase, case.id)
        assert row is not None
        support_cases.change_status(session, row, "closed", datetime.now(UTC))
        session.commit()
    closed = text_of(other.get(page))
    assert "This case is closed" in closed
    assert 'name="message"' not in closed


def _cancel(database: Database, day: date, outcomes: dict[int, int | None]) -> None:
    """Record the airport run as cancelled and each booking rebooked (to a booking) or
    refunded (None)."""
    now = datetime.now(UTC)
    with database.sessions() as session:
        session.add(
            TripCancellation(
                trip_instance=airport_run(day), trip_id="AB1", route_id="AB", service_date=day,
                source="operator", reason="storm", cancelled_at=now, status="done",
                done_at=now, rebooked=1, refunded=1,
            )
        )  # fmt: skip
        session.flush()
        for booking, new_booking in outcomes.items():
            session.add(
                Reaccommodation(
                    booking_id=booking,
                    cancelled_instance=airport_run(day),
                    outcome="refunded" if new_booking is None else "rebooked",
                    new_booking_id=new_booking,
                    refund_amount=125 if new_booking is None else None,
                    created_at=now,
                )
            )
        session.commit()


def test_the_disruption_case_is_opened_once_per_booking(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    rebooked = booking_id(database, book(inventory, travel_day, {"1C": "Grace"}, "test"))
    refunded = booking_id(database, book(inventory, travel_day, {"1D": "Alan"}, "test"))
    replacement = booking_id(database, book(inventory, travel_day, {"2C": "Grace"}, "test"))
    _cancel(database, travel_day, {rebooked: replacement, refunded: None})
    emails_before = count(database, OutboxMessage)
    now = datetime.now(UTC)
    opened = {}
    for attempt in range(2):
        with database.sessions() as session:
            for booking in (rebooked, refunded):
                case = support_rules.open_disruption_case(
                    session, booking_id=booking, summary=f"Your trip was cancelled ({booking}).",
                    now=now,
                )  # fmt: skip
                opened.setdefault(booking, case.reference)
                assert case.reference == opened[booking], attempt
            session.commit()
    rows = cases(database)
    assert [(c.booking_id, c.kind, c.source, c.status) for c in rows] == [
        (rebooked, "disruption", "system", "resolved"),
        (refunded, "disruption", "system", "open"),
    ]
    assert rows[0].resolved_at is not None
    assert rows[1].resolved_at is None
    with database.sessions() as session:
        notes = session.execute(
            select(SupportCaseNote.case_id, SupportCaseNote.author_kind, SupportCaseNote.body)
        ).all()
        events = session.scalars(
            select(WebhookEvent.data).where(WebhookEvent.event_type == "case.updated")
        ).all()
    assert sorted((n[0], n[1]) for n in notes) == [(rows[0].id, "system"), (rows[1].id, "system")]
    assert len(events) == 2  # one "opened" each, however often it was called
    assert count(database, OutboxMessage) == emails_before
    # The rebooked traveler reopens their resolved case by replying.
    answer = client.post(
        f"/api/v1/cases/{rows[0].reference}/notes",
        json={"email": "ada@example.org", "message": "The new train is too late for me."},
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "open"
    assert re.fullmatch(r"CS-[A-Z2-9]{6}", rows[0].reference)
