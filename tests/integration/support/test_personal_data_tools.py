"""Export and erasure of a traveler's personal data from the console's Travelers page and
from ``faregate travelers``: the same documents and effects as the API, refusals shown with
their codes, and every use in the audit log by hash, with who did it and how."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from backend.cli import cli
from backend.db import Database
from backend.models import AuditEvent
from backend.services.personal_data import email_hash
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.support.conftest import Staff
from tests.integration.support.traveler_data import (
    EMAIL,
    NAMES,
    OTHER_EMAIL,
    Footprint,
    leave_footprint,
    publish_sample,
    settings_for,
    snapshot,
    traces,
)
from tests.integration.web.console_session import ConsoleSession, make_staff


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return settings_for(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def footprint(
    app: Flask,
    client: FlaskClient,
    database: Database,
    make_staff_member: Callable[[str], Staff],
) -> Footprint:
    publish_sample(database)
    inventory: Inventory = app.extensions["faregate.inventory"]
    return leave_footprint(client, database, inventory, make_staff_member("support").headers)


@pytest.fixture
def helpdesk(client: FlaskClient, database: Database) -> ConsoleSession:
    make_staff(database, "desk@example.org", "support")
    console = ConsoleSession(client)
    console.sign_in_fully("desk@example.org")
    return console


def audit_rows(database: Database, action: str) -> list[AuditEvent]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def page_text(answer: object) -> str:
    return html.unescape(answer.get_data(as_text=True))  # type: ignore[attr-defined]


def test_support_exports_a_traveler_from_the_console(
    helpdesk: ConsoleSession, database: Database, footprint: Footprint
) -> None:
    page = helpdesk.get("/console/travelers")
    assert page.status_code == 200
    assert '<a href="/console/travelers" aria-current="page">Travelers</a>' in page_text(page)
    answer = helpdesk.submit("/console/travelers", "/console/travelers/export", {"email": EMAIL})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert EMAIL.lower() not in answer.headers["Content-Disposition"].lower()
    document = json.loads(answer.get_data(as_text=True))
    references = {booking["reference"] for booking in document["bookings"]}
    assert references == {footprint.api_booking, footprint.paid_booking}
    assert OTHER_EMAIL not in answer.get_data(as_text=True)
    unknown = helpdesk.submit(
        "/console/travelers", "/console/travelers/export", {"email": "nobody@example.org"}
    )
    assert unknown.status_code == 404
    assert "traveler_not_found" in page_text(unknown)
    garbled = helpdesk.submit(
        "/console/travelers", "/console/travelers/export", {"email": "a\x00@example.org"}
    )
    assert garbled.status_code == 400
    assert "invalid_email" in page_text(garbled)
    rows = audit_rows(database, "traveler.export")
    assert [(row.via, row.actor_email, row.status) for row in rows] == [
        ("console", "desk@example.org", 200),
        ("console", "desk@example.org", 404),
        ("console", "desk@example.org", 400),
    ]
    assert rows[0].target == {"email_sha256": email_hash(EMAIL)}
    assert rows[0].path == "/console/travelers/export"


def test_support_erases_a_traveler_from_the_console_once_confirmed(
    helpdesk: ConsoleSession, database: Database, engine: Engine, footprint: Footprint
) -> None:
    before = snapshot(engine, leave_out=("audit_event",))
    unticked = helpdesk.submit("/console/travelers", "/console/travelers/erase", {"email": EMAIL})
    assert unticked.status_code == 422
    assert "confirmation_required" in page_text(unticked)
    assert snapshot(engine, leave_out=("audit_event",)) == before
    erased = helpdesk.submit(
        "/console/travelers", "/console/travelers/erase", {"email": EMAIL, "confirm": "yes"}
    )
    assert erased.status_code == 200
    shown = page_text(erased)
    assert "Personal data erased" in shown
    assert footprint.api_booking in shown
    assert traces(engine, EMAIL, *NAMES) == []
    again = helpdesk.submit(
        "/console/travelers", "/console/travelers/erase", {"email": EMAIL, "confirm": "yes"}
    )
    assert "Already erased" in page_text(again)
    rows = audit_rows(database, "traveler.erase")
    assert [(row.via, row.status) for row in rows] == [
        ("console", 422),
        ("console", 200),
        ("console", 200),
    ]
    assert all(row.target and row.target["email_sha256"] == email_hash(EMAIL) for row in rows)
    assert rows[2].target is not None
    assert rows[2].target["already_erased"] is True


def run(database_url: str, *args: str, stdin: str | None = None) -> Result:
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)


def test_the_command_line_exports_and_erases_and_is_audited(
    database_url: str, database: Database, engine: Engine, footprint: Footprint, tmp_path: Path
) -> None:
    exported = run(database_url, "travelers", "export", EMAIL)
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert {b["reference"] for b in document["bookings"]} == {
        footprint.api_booking,
        footprint.paid_booking,
    }
    to_file = tmp_path / "export.json"
    assert run(database_url, "travelers", "export", EMAIL, "-o", str(to_file)).exit_code == 0
    assert json.loads(to_file.read_text())["email"] == EMAIL.lower()

    declined = run(database_url, "travelers", "erase", EMAIL, stdin="n\n")
    assert declined.exit_code == 1
    assert "confirmation_required" in declined.output
    assert traces(engine, EMAIL)
    make_staff(database, "ops@example.org", "admin")
    erased = run(database_url, "travelers", "erase", EMAIL, "--yes", "--staff", "ops@example.org")
    assert erased.exit_code == 0, erased.output
    assert footprint.api_booking in erased.output
    assert traces(engine, EMAIL, *NAMES) == []
    again = run(database_url, "travelers", "erase", EMAIL, "--yes")
    assert again.exit_code == 0
    assert "already erased" in again.output
    gone = run(database_url, "travelers", "export", EMAIL)
    assert gone.exit_code == 1
    assert "traveler_not_found" in gone.output

    erasures = audit_rows(database, "traveler.erase")
    assert [(row.via, row.actor_email, row.actor_role, row.status) for row in erasures] == [
        ("cli", None, None, 422),
        ("cli", "ops@example.org", "admin", 200),
        ("cli", None, None, 200),
    ]
    assert all(row.client_address and "@" in row.client_address for row in erasures)
    exports = audit_rows(database, "traveler.export")
    assert [row.status for row in exports] == [200, 200, 404]
    assert all(row.target == {"email_sha256": email_hash(EMAIL)} for row in exports)
