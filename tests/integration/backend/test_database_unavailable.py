"""A lost database is a clean, retryable 503 ``database_unavailable``, never a 500, on real
PostgreSQL: the app's connections are terminated by the server (as a failover breaks them),
the next request that needs the database answers 503 with ``Retry-After``, and the one after
works on fresh connections. A server that refuses writes (a standby) answers the same.

The tests run on a database of their own, and the app's connections carry an
``application_name`` of their own, so that only they are terminated; they are never pinged
before use (``PING_AFTER_IDLE_S``), as in steady use."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import literal, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from werkzeug.test import TestResponse

from backend import db, lean_statements, schema
from backend.app import create_app
from backend.db import Database
from backend.services import feeds
from tests.conftest import empty_tables
from tests.harness import postgres
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.network import free_port
from tests.harness.reservations import book_through_api, reservable_settings

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("steady_use")]

TRIP = "CITY1@2008-06-02T06:00:00"
HOLD = {"trip_instance": TRIP, "from": "STAGECOACH", "to": "NADAV", "party": 1}
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def own_url(postgres_server: URL) -> Iterator[str]:
    """A migrated database of this module's own on the test server, dropped afterwards."""
    url = postgres.create_database(postgres_server, prefix="faregate_unavailable")
    try:
        engine = db.make_engine(url.render_as_string(False))
        schema.upgrade(engine)
        engine.dispose()
        yield url.render_as_string(False)
    finally:
        postgres.drop_database(url)


@pytest.fixture
def app_name() -> str:
    return f"faregate-unavailable-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def admin(own_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection of the test's own, outside the app's pool."""
    libpq = make_url(own_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True) as connection:
        yield connection


@pytest.fixture
def published(own_url: str) -> Iterator[None]:
    database = Database(own_url)
    feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=T0, today=date(2008, 6, 1), publish=True
    )
    database.dispose()
    yield
    empty_tables(own_url)


def make_app(
    database_url: str, folder: Path, keys: str, app_name: str, options: str | None = None
) -> Flask:
    query = {"application_name": app_name} | ({"options": options} if options else {})
    url = make_url(database_url).update_query_dict(query).render_as_string(False)
    application = create_app(reservable_settings(url, folder, keys))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def steady_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pooled connections are never pinged before use."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)


@pytest.fixture
def app(
    own_url: str, tmp_path: Path, signing_keys_file: str, app_name: str, published: None
) -> Iterator[Flask]:
    del published
    application = make_app(own_url, tmp_path, signing_keys_file, app_name)
    yield application
    application.extensions["faregate.database"].dispose()


def terminate(admin: psycopg.Connection[Any], app_name: str) -> int:
    """Terminate the app's connections, as a failed server breaks them; how many there were."""
    find = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    pids = [row[0] for row in admin.execute(find, (app_name,)).fetchall()]
    for pid in pids:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + 5
    while admin.execute(find, (app_name,)).fetchall():
        assert time.monotonic() < deadline, "the terminated connections lingered"
        time.sleep(0.01)
    return len(pids)


def body(answer: TestResponse) -> Any:
    """The JSON of an API answer."""
    return answer.get_json()


def assert_unavailable(answer: TestResponse) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert body(answer)["error"]["code"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "1"


def test_a_lookup_on_broken_connections_answers_503_and_the_next_one_works(
    client: FlaskClient, admin: psycopg.Connection[Any], app_name: str
) -> None:
    _, booking = book_through_api(client, TRIP, "STAGECOACH", "NADAV", "Ada")
    lookup = f"/api/v1/bookings/{booking['reference']}?email=ada@example.org"
    assert client.get(lookup).status_code == 200
    assert terminate(admin, app_name) >= 1

    assert_unavailable(client.get(lookup))
    again = client.get(lookup)
    assert again.status_code == 200
    assert body(again)["reference"] == booking["reference"]


def test_a_hold_on_broken_connections_answers_503_and_the_next_one_is_held(
    client: FlaskClient, admin: psycopg.Connection[Any], app_name: str
) -> None:
    assert client.post("/api/v1/holds", json=HOLD).status_code == 201
    assert terminate(admin, app_name) >= 1

    assert_unavailable(client.post("/api/v1/holds", json=HOLD))
    assert client.post("/api/v1/holds", json=HOLD).status_code == 201


def test_a_confirmation_retried_with_its_idempotency_key_books_once(
    client: FlaskClient, admin: psycopg.Connection[Any], app_name: str
) -> None:
    held = client.post("/api/v1/holds", json=HOLD)
    assert held.status_code == 201
    # The hold was written on the one-statement pool; a look at it leaves a connection in the
    # main pool too, where a confirmation with an Idempotency-Key runs.
    assert client.get(f"/api/v1/holds/{body(held)['id']}").status_code == 200
    assert terminate(admin, app_name) >= 2
    confirmation = {
        "hold_id": body(held)["id"],
        "contact_email": "ada@example.org",
        "passengers": [{"name": "Ada"}],
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}

    assert_unavailable(client.post("/api/v1/bookings", json=confirmation, headers=key))
    booked = client.post("/api/v1/bookings", json=confirmation, headers=key)
    assert booked.status_code == 201
    replayed = client.post("/api/v1/bookings", json=confirmation, headers=key)
    assert body(replayed)["reference"] == body(booked)["reference"]


def test_a_page_on_broken_connections_is_a_503_page_and_the_next_one_works(
    client: FlaskClient, admin: psycopg.Connection[Any], app_name: str
) -> None:
    held = client.post("/api/v1/holds", json=HOLD)
    page = f"/holds/{body(held)['id']}"
    assert client.get(page).status_code == 200
    assert terminate(admin, app_name) >= 1

    refused = client.get(page)
    assert refused.status_code == 503
    assert refused.mimetype == "text/html"
    assert refused.headers["Retry-After"] == "1"
    assert "database_unavailable" in refused.get_data(as_text=True)
    assert client.get(page).status_code == 200


def test_writes_to_a_server_that_refuses_them_answer_503_and_reads_go_on(
    own_url: str, tmp_path: Path, signing_keys_file: str, app_name: str, published: None
) -> None:
    del published
    # Every transaction read-only, as on a standby: writes fail with SQLSTATE 25006.
    standby_like = make_app(
        own_url, tmp_path, signing_keys_file, app_name, "-c default_transaction_read_only=on"
    )
    client = standby_like.test_client()
    try:
        assert_unavailable(client.post("/api/v1/holds", json=HOLD))
        availability = f"/api/v1/trips/{TRIP}/availability?from=STAGECOACH&to=NADAV"
        assert client.get(availability).status_code == 200
    finally:
        standby_like.extensions["faregate.database"].dispose()


def test_only_a_lost_or_refusing_server_counts_as_unavailable(
    admin: psycopg.Connection[Any],
) -> None:
    def raised(statement: str) -> psycopg.Error:
        with pytest.raises(psycopg.Error) as caught, admin.transaction():
            admin.execute(statement)
        return caught.value

    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"host=127.0.0.1 port={free_port()} user=postgres connect_timeout=2")
    assert db.database_unavailable(refused.value)
    assert db.database_unavailable(raised("SET TRANSACTION READ ONLY; CREATE TABLE t (x int)"))
    assert not db.database_unavailable(raised("SELEC 1"))
    assert not db.database_unavailable(
        raised("SET LOCAL statement_timeout = 1; SELECT pg_sleep(5)")
    )
    assert not db.database_unavailable(raised("SELECT 1 / 0"))


def test_a_lean_statement_on_a_broken_connection_renews_the_whole_pool(
    own_url: str, admin: psycopg.Connection[Any], app_name: str
) -> None:
    url = make_url(own_url).update_query_dict({"application_name": app_name})
    engine = db.make_engine(url.render_as_string(False), pool_size=2)
    pid = text("SELECT pg_backend_pid()")
    try:
        with engine.connect() as first, engine.connect() as second:
            dropped = {first.execute(pid).scalar_one(), second.execute(pid).scalar_one()}
        assert terminate(admin, app_name) == 2

        with engine.connect() as connection, pytest.raises(DBAPIError) as failure:
            lean_statements.LeanStatement(select(literal(1))).rows(connection, {})
        assert failure.value.connection_invalidated
        assert db.database_unavailable(failure.value)
        # Not only that connection: the other one the server dropped is replaced too.
        with engine.connect() as first, engine.connect() as second:
            renewed = {first.execute(pid).scalar_one(), second.execute(pid).scalar_one()}
        assert renewed.isdisjoint(dropped)
    finally:
        engine.dispose()
