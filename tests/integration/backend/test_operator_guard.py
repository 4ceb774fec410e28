"""Every operator endpoint refuses callers without a token, whatever the method."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

OPERATOR_PREFIXES = ("/api/v1/staff", "/api/v1/feeds")


def operator_calls(app: Flask) -> list[tuple[str, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(OPERATOR_PREFIXES):
            path = re.sub(r"<[^>]+>", "1", rule.rule)
            calls += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return calls


def test_every_operator_endpoint_needs_a_token(app: Flask, client: FlaskClient) -> None:
    calls = operator_calls(app)
    assert len(calls) >= 6
    for method, path in calls:
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, (method, path)
        assert response.json["error"]["code"] == "authentication_required", (method, path)


@pytest.mark.postgres
def test_postgres_engine_reaches_postgresql(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as connection:
        assert connection.execute(text("select version()")).scalar_one().startswith("PostgreSQL")


def test_sqlite_engine_enforces_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("pragma foreign_keys")).scalar_one() == 1
        assert connection.execute(text("pragma journal_mode")).scalar_one() == "wal"
