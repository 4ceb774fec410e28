"""Liveness and readiness probes against real databases."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from backend.app import create_app
from backend.db import make_engine
from backend.schema import head_revisions, upgrade
from backend.settings import Settings
from tests.harness.network import free_port


def test_healthz_answers_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "alive"}


def test_readyz_is_ready_at_the_head_revision(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "database": "ok",
        "revision": list(head_revisions()),
    }


def test_readyz_refuses_until_migrations_are_applied(empty_database_url: str) -> None:
    app = create_app(Settings(database_url=empty_database_url, log_level="WARNING"))
    client = app.test_client()

    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json["error"]["code"] == "migrations_pending"
    assert before.json["error"]["details"] == {"current": [], "head": list(head_revisions())}

    engine = make_engine(empty_database_url)
    upgrade(engine)
    engine.dispose()
    assert client.get("/readyz").status_code == 200
    app.extensions["faregate.database"].dispose()


@pytest.mark.postgres
def test_readyz_reports_an_unreachable_database_while_healthz_stays_up() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/faregate"
    app = create_app(Settings(database_url=url, log_level="WARNING", db_connect_timeout_s=2))
    client = app.test_client()

    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unreachable"
