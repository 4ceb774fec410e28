"""A database with real content for backup and consistency tests, and ways to compare two.

``fill`` migrates a fresh database and fills it through the app as people would: the sample
feed published, a seat booking of two, a booking of two standing places over two legs, a
cancelled booking (its tickets revoked and denied), a hold left held, and a gate that
uploaded a journal of taps. ``table_rows`` dumps every table's rows in a stable order, and
``schema_objects`` lists what the schema is made of, so that a restored copy can be proven
equal to its original.
"""

from __future__ import annotations

import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend import schema
from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database, make_engine
from backend.services import accounts, feeds
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.reservations import book_through_api, reservable_settings

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
SEATED_TRIP = "AB1@2008-06-02"
STANDING_TRIP = "CITY1@2008-06-02T06:00:00"
DEVICE = "gate-1"
TAPS = 6


@dataclass(frozen=True)
class Filled:
    """What ``fill`` made, for tests to point at."""

    seated: dict[str, Any]  # the seat booking, as the API returned it
    standing: dict[str, Any]  # the place booking
    cancelled: dict[str, Any]  # the cancelled booking
    held: dict[str, Any]  # the hold left held
    device: str


def migrate(url: str) -> None:
    """Bring a database to the code's schema head."""
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()


def fill(url: str, folder: Path, signing_keys_file: str) -> Filled:
    """Migrate the empty database at ``url`` and fill it through the app."""
    migrate(url)
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(reservable_settings(url, folder, signing_keys_file))
    app.config["TESTING"] = True
    database: Database = app.extensions["faregate.database"]
    try:
        feeds.import_feed(
            database, SAMPLE_FEED, filename="sample", now=T0, today=date(2008, 6, 1), publish=True
        )
        client = app.test_client()
        _, seated = book_through_api(
            client, SEATED_TRIP, "BEATTY_AIRPORT", "BULLFROG", "Ada", "Bob"
        )
        standing = _book_places(client)
        _, cancelled = book_through_api(client, SEATED_TRIP, "BEATTY_AIRPORT", "BULLFROG", "Cy")
        answer = client.post(
            f"/api/v1/bookings/{cancelled['reference']}/cancel", json={"email": "ada@example.org"}
        )
        assert answer.status_code == 200, answer.json
        held = client.post(
            "/api/v1/holds",
            json={"trip_instance": SEATED_TRIP, "from": "BEATTY_AIRPORT", "to": "BULLFROG"},
        )
        assert held.status_code == 201, held.json
        _upload_taps(client, database)
        return Filled(seated, standing, cancelled, held.json, DEVICE)
    finally:
        database.dispose()


def _book_places(client: FlaskClient) -> dict[str, Any]:
    held = client.post(
        "/api/v1/holds",
        json={
            "trip_instance": STANDING_TRIP,
            "from": "NANAA",
            "to": "DADAN",
            "party": 2,
            "seat_class": "standing",
        },
    )
    assert held.status_code == 201, held.json
    assert held.json["assignment"] == "places"
    booked = client.post(
        "/api/v1/bookings",
        json={
            "hold_id": held.json["id"],
            "contact_email": "ada@example.org",
            "passengers": [{"name": "Di"}, {"name": "Ed"}],
        },
    )
    assert booked.status_code == 201, booked.json
    return dict(booked.json)


def _upload_taps(client: FlaskClient, database: Database) -> None:
    with database.sessions() as session:
        user = accounts.create_user(
            session, "planner@example.org", "a long enough password", "planner", now=utc_now()
        )
        _, token = accounts.create_token(session, user, name="test", role=None, now=utc_now())
    created = client.post(
        "/api/v1/devices",
        json={"id": DEVICE, "role": "gate_entry", "stop_id": "BEATTY_AIRPORT"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    provisioned = client.post(
        "/api/v1/devices/provision", json={"token": created.json["provisioning_token"]}
    )
    assert provisioned.status_code == 200, provisioned.json
    upload = {
        "taps": [tap(sequence) for sequence in range(1, TAPS + 1)],
        "device_time": utc_now().isoformat(),
        "backlog": 0,
        "bundle_version": 1,
    }
    answer = client.post(
        "/api/v1/device/taps",
        json=upload,
        headers={"Authorization": f"Device {provisioned.json['token']}"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["acked_sequence"] == TAPS


def tap(sequence: int) -> dict[str, Any]:
    """One journaled tap as a device uploads it."""
    return {
        "v": 1,
        "seq": sequence,
        "nonce": secrets.token_hex(16),
        "at": int((T0 + timedelta(seconds=sequence)).timestamp() * 1000),
        "kind": "qr_text",
        "fingerprint": secrets.token_hex(32),
        "ticket_id": secrets.token_hex(8),
        "product_id": "p",
        "allowed": True,
        "bundle_version": 1,
    }


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, each table's in a stable order (by their text form)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: sorted(
                    (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{name}"'))),
                    key=repr,
                )
                for name in sorted(inspect(connection).get_table_names())
            }
    finally:
        engine.dispose()


def schema_objects(url: str) -> list[tuple[str, ...]]:
    """The definitions of the schema's tables, indexes, constraints and triggers.

    PostgreSQL prints a CHECK read back from a dump differently from the one a migration
    created (``IN (...)`` becomes ``= ANY (ARRAY[...])`` with its casts moved), so CHECKs are
    compared by name only.
    """
    engine: Engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                query = "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY 1, 2"
            else:
                query = (
                    "SELECT 'constraint', c.conrelid::regclass::text || '.' || c.conname, "
                    "CASE c.contype WHEN 'c' THEN 'check' ELSE pg_get_constraintdef(c.oid) END "
                    "FROM pg_constraint c "
                    "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' "
                    "UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = 'public' "
                    "UNION ALL SELECT 'column', table_name || '.' || column_name, "
                    "data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') "
                    "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
                )
            return [tuple(str(value) for value in row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def query(url: str, statement: str, **parameters: Any) -> list[tuple[Any, ...]]:
    """The rows ``statement`` selects."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(statement), parameters)]
    finally:
        engine.dispose()


def execute(url: str, *statements: str, **parameters: Any) -> None:
    """Run ``statements`` in one transaction, as someone with SQL access would."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":  # times as the app stores them there: UTC text
        parameters = {
            name: _sqlite_time(value) if isinstance(value, datetime) else value
            for name, value in parameters.items()
        }
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), parameters)
    finally:
        engine.dispose()


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def clone(url: str, folder: Path) -> str:
    """A new database with the content of the one at ``url`` (no one may be connected to a
    PostgreSQL one): a PostgreSQL database made from it as a template, or an SQLite copy."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = folder / f"clone-{secrets.token_hex(4)}.db"
        with (
            closing(sqlite3.connect(parsed.database or "")) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return f"sqlite:///{target}"
    name = f"faregate_clone_{secrets.token_hex(5)}"
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)
