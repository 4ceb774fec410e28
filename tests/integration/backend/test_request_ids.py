"""Request ids: echoed when sane, made up otherwise, and on the log records of the request."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from backend.app import create_app
from backend.settings import Settings
from tests.harness.network import free_port

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    "incoming",
    [
        "edge-7f3a:1",
        "0b6e1c2a-53f4-4d8e-9a1b-2f0c7d6e5a41",
        "Root=1-5759e988+abc/d@e_f.g",
        "x" * 128,
    ],
)
def test_a_sane_incoming_id_is_sent_back(client: FlaskClient, incoming: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": incoming})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == incoming


def test_a_request_without_an_id_gets_a_new_one_each_time(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "incoming", ["", "x" * 129, "two words", "<script>", "id;rm -rf", 'quote"d', "tab\tbed"]
)
def test_an_unsafe_or_unbounded_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": incoming})
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])


def test_errors_and_unknown_paths_carry_an_id_too(client: FlaskClient) -> None:
    missing = client.get("/no/such/page", headers={"X-Request-Id": "lost-1"})
    assert (missing.status_code, missing.headers["X-Request-Id"]) == (404, "lost-1")
    refused = client.get("/api/v1/staff/users", headers={"X-Request-Id": "who-2"})
    assert refused.status_code == 401
    assert refused.headers["X-Request-Id"] == "who-2"
    page = client.post("/help", data={}, headers={"X-Request-Id": "form-3"})  # no CSRF token
    assert (page.status_code, page.headers["X-Request-Id"]) == (400, "form-3")


@pytest.mark.usefixtures("_restore_root_logger")
def test_log_records_of_a_request_carry_its_id_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A database nobody listens on: the readiness probe logs a warning while answering.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/faregate"
    settings = Settings(database_url=url, log_level="WARNING", log_format="json")
    app = create_app(settings.replace(db_connect_timeout_s=1))
    capsys.readouterr()
    response = app.test_client().get("/readyz", headers={"X-Request-Id": "probe-42"})
    assert response.status_code == 503
    logging.getLogger("faregate.test").warning("between requests")
    app.extensions["faregate.database"].dispose()

    records = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    probe = [r for r in records if r["name"] == "backend.api.health"]
    assert len(probe) == 1
    assert probe[0]["request_id"] == "probe-42"
    assert probe[0]["message"] == "readiness: database unreachable: OperationalError"
    outside = [r for r in records if r["name"] == "faregate.test"]
    assert outside == [{**outside[0], "request_id": None}]


@pytest.mark.usefixtures("_restore_root_logger")
def test_log_lines_of_a_request_show_its_id_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/faregate"
    app = create_app(Settings(database_url=url, log_level="WARNING", db_connect_timeout_s=1))
    capsys.readouterr()
    response = app.test_client().get("/readyz")
    app.extensions["faregate.database"].dispose()
    generated = response.headers["X-Request-Id"]
    lines = capsys.readouterr().err.splitlines()
    assert any(
        f"WARNING backend.api.health [{generated}]: readiness: database unreachable" in line
        for line in lines
    ), lines
