"""A traveler's whole footprint, for the personal data tests: two bookings (one through the
API with an Idempotency-Key, one paid through checkout), a case on a booking with a staff reply
and an internal note, the e-mails that went out, and a tap made with one of the tickets; and a
second traveler's booking and case that must stay untouched. Plus readers that look for text
in every column of every table, and snapshot the whole database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text

from backend.clock import utc_now
from backend.db import Database
from backend.models import Booking, SupportCase, Tap, Ticket
from backend.services import checkout, devices, feeds, reservations, support_requests
from backend.services.checkout import Checkout
from backend.services.payments import SandboxPayment
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from backend.services.support_policy import DEFAULT_SLA
from backend.services.support_requests import TravelerCase
from backend.settings import Settings
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.reservations import reservable_settings

CITY1 = "CITY1@2008-06-02T06:00:00"
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
EMAIL = "Hypatia.Q@Example.org"  # as typed at booking; matched without regard to case
NAMES = ("Hypatia Quartermain", "Zenobia Farquhar")
OTHER_EMAIL = "bert.other@example.org"
OTHER_NAME = "Bertrand Otherperson"
INTERNAL_NOTE = "Called Zenobia Farquhar back on hypatia.q@example.org: refund agreed"


def settings_for(database_url: str, folder: Path, signing_keys_file: str) -> Settings:
    """Settings whose one seat map is every trip's."""
    return reservable_settings(database_url, folder, signing_keys_file)


def publish_sample(database: Database) -> None:
    """Publish the sample feed (its CITY1 runs are booked)."""
    feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=T0, today=date(2008, 6, 1), publish=True
    )


@dataclass(frozen=True)
class Footprint:
    """What the traveler (and the other one) left behind."""

    api_booking: str
    paid_booking: str
    other_booking: str
    case: str
    other_case: str
    ticket_ids: tuple[str, ...]


def book_through_api(client: FlaskClient, email: str, *names: str, key: str) -> dict[str, Any]:
    """Hold and book seats for ``names`` on CITY1, with an Idempotency-Key on the booking."""
    held = client.post(
        "/api/v1/holds",
        json={"trip_instance": CITY1, "from": "STAGECOACH", "to": "NADAV", "party": len(names)},
    )
    assert held.status_code == 201, held.json
    booked = client.post(
        "/api/v1/bookings",
        json={
            "hold_id": held.json["id"],
            "contact_email": email,
            "passengers": [{"name": name} for name in names],
        },
        headers={"Idempotency-Key": key},
    )
    assert booked.status_code == 201, booked.json
    body: dict[str, Any] = booked.json
    return body


def leave_footprint(
    client: FlaskClient, database: Database, inventory: Inventory, support_headers: dict[str, str]
) -> Footprint:
    """Everything the module docstring lists, made through the API and the services."""
    first = book_through_api(client, EMAIL, *NAMES, key="booking-hypatia")
    hold = reservations.create_hold(
        inventory, HoldRequest(CITY1, "STAGECOACH", "NADAV", party=1), utc_now()
    ).body["id"]
    paid = checkout.check_out(
        inventory,
        {"test": SandboxPayment()},
        Checkout(hold, [NAMES[0]], EMAIL.lower(), "test"),
        utc_now(),
    )
    other = book_through_api(client, OTHER_EMAIL, OTHER_NAME, key="booking-bert")
    with database.sessions() as session:
        case = support_requests.open_for_traveler(
            session,
            TravelerCase(
                kind="refund",
                subject="Refund for Zenobia Farquhar",
                message="Hypatia Quartermain here: Zenobia cannot travel.",
                email=EMAIL,
                booking_reference=first["reference"],
            ),
            sla=DEFAULT_SLA,
            now=utc_now(),
        ).reference
        other_case = support_requests.open_for_traveler(
            session,
            TravelerCase(
                kind="other",
                subject="Lost umbrella",
                message=f"{OTHER_NAME} lost an umbrella",
                email=OTHER_EMAIL,
            ),
            sla=DEFAULT_SLA,
            now=utc_now(),
        ).reference
    for body, internal in (
        ("Dear Hypatia Quartermain, your refund is on its way.", False),
        (INTERNAL_NOTE, True),
    ):
        noted = client.post(
            f"/api/v1/support/cases/{case}/notes",
            json={"body": body, "internal": internal},
            headers=support_headers,
        )
        assert noted.status_code == 201, noted.json
    ticket_ids = tuple(p["ticket_id"] for p in first["passengers"])
    _tap(database, ticket_ids[0])
    return Footprint(first["reference"], paid, other["reference"], case, other_case, ticket_ids)


def _tap(database: Database, ticket_id: str) -> None:
    with database.sessions() as session:
        devices.create_device(
            session, "gate-9", "gate_entry", stop_id="S", vehicle_id=None, description="", now=T0
        )
        session.add(
            Tap(
                device_id="gate-9",
                sequence=1,
                nonce="n" * 32,
                tapped_at=utc_now(),
                received_at=utc_now(),
                media_kind="qr",
                fingerprint="f" * 64,
                ticket_id=ticket_id,
                product_id=None,
                allowed=True,
                reason=None,
            )
        )
        session.commit()


def traces(engine: Engine, *needles: str) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table whose text holds a needle,
    whatever the case."""
    found: list[tuple[str, str, str]] = []
    inspector = inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                name = column["name"]
                for needle in needles:
                    hits = connection.scalar(
                        text(
                            f'SELECT count(*) FROM "{table}" '
                            f'WHERE lower(CAST("{name}" AS TEXT)) LIKE :pattern'
                        ),
                        {"pattern": f"%{needle.lower()}%"},
                    )
                    if hits:
                        found.append((table, name, needle))
    return found


def snapshot(engine: Engine, *, leave_out: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table (but ``leave_out``), as text, sorted."""
    rows: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            if table in leave_out:
                continue
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            rows[table] = sorted(repr(tuple(row)) for row in result)
    return rows


def tickets_of_booking(database: Database, reference: str) -> list[Ticket]:
    """The tickets of a booking."""
    with database.sessions() as session:
        booking = session.scalar(select(Booking).where(Booking.reference == reference))
        assert booking is not None
        return list(session.scalars(select(Ticket).where(Ticket.booking_id == booking.id)))


def case_of(database: Database, reference: str) -> SupportCase:
    """A case's row."""
    with database.sessions() as session:
        found = session.scalar(select(SupportCase).where(SupportCase.reference == reference))
        assert found is not None
        return found
