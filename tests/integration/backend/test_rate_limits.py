"""Rate limits per client address on the public API: a client over a limit is refused with
429 ``rate_limited`` and Retry-After and changes nothing; other addresses, devices and staff
tokens go on; limits switched off refuse nothing; Redis shares the counts between servers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database
from backend.models import Booking, Hold
from backend.rate_limiter import EXTENSION
from backend.services import devices, feeds
from backend.settings import Settings
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.network import free_port
from tests.harness.redis_server import redis_server
from tests.harness.reservations import book_through_api, reservable_settings

CITY1 = "CITY1@2008-06-02T06:00:00"
LIMIT = 3  # holds per hour per address in these tests
HOLD = {"trip_instance": CITY1, "from": "STAGECOACH", "to": "NADAV", "party": 1}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    reservable = reservable_settings(database_url, tmp_path, signing_keys_file)
    return reservable.replace(
        rate_limit_reservations=f"{LIMIT}/hour", rate_limit_lookups=f"{LIMIT}/hour"
    )


@pytest.fixture
def published(database: Database) -> None:
    feeds.import_feed(
        database,
        SAMPLE_FEED,
        filename="sample",
        now=utc_now(),
        today=date(2008, 6, 1),
        publish=True,
    )


def hold_from(
    client: FlaskClient, address: str = "192.0.2.10", *, run: int = 0, **headers: str
) -> Any:
    """Hold a place on the ``run``-th half-hourly CITY1 run from 06:00 (each has 11)."""
    minutes = 6 * 60 + 30 * run
    trip = f"CITY1@2008-06-02T{minutes // 60:02d}:{minutes % 60:02d}:00"
    return client.post(
        "/api/v1/holds",
        json={**HOLD, "trip_instance": trip},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def count(database: Database, model: type) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def assert_rate_limited(response: Any) -> int:
    """The answer is the 429 envelope with a Retry-After within the hour; its seconds."""
    assert response.status_code == 429, response.json
    assert response.json["error"]["code"] == "rate_limited"
    assert f"{LIMIT} per 1 hour" in response.json["error"]["message"]
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3600
    return wait


@pytest.mark.usefixtures("published")
def test_a_client_over_the_limit_is_refused_and_holds_nothing(
    client: FlaskClient, database: Database
) -> None:
    for _ in range(LIMIT):
        assert hold_from(client).status_code == 201
    refused = hold_from(client)
    assert_rate_limited(refused)
    assert count(database, Hold) == LIMIT  # the refused request held no seat


@pytest.mark.usefixtures("published")
def test_another_address_is_not_limited(client: FlaskClient) -> None:
    for _ in range(LIMIT):
        hold_from(client, "192.0.2.10")
    assert hold_from(client, "192.0.2.10").status_code == 429
    assert hold_from(client, "192.0.2.11").status_code == 201
    assert hold_from(client, "2001:db8::11").status_code == 201


@pytest.mark.usefixtures("published")
def test_each_endpoint_counts_on_its_own(client: FlaskClient, database: Database) -> None:
    """Holding seats up to the limit leaves the booking of them open."""
    address = {"REMOTE_ADDR": "192.0.2.10"}
    held = [hold_from(client).json["id"] for _ in range(LIMIT)]
    for hold_id in held:
        booked = client.post(
            "/api/v1/bookings",
            json={
                "hold_id": hold_id,
                "contact_email": "ada@example.org",
                "passengers": [{"name": "Ada"}],
            },
            environ_base=address,
        )
        assert booked.status_code == 201, booked.json
    assert count(database, Booking) == LIMIT


@pytest.mark.usefixtures("published")
def test_booking_lookups_by_reference_are_limited(client: FlaskClient) -> None:
    _, booking = book_through_api(client, CITY1, "STAGECOACH", "NADAV", "Ada")
    guesses = [
        f"/api/v1/bookings/{booking['reference']}?email=who{n}@example.org" for n in range(4)
    ]
    answers = [client.get(url).status_code for url in guesses]
    assert answers == [404, 404, 404, 429]
    later = client.get(f"/api/v1/bookings/{booking['reference']}?email=ada@example.org")
    assert_rate_limited(later)  # the right e-mail does not help once over the limit


@pytest.mark.usefixtures("published")
def test_staff_tokens_and_devices_are_not_limited(
    client: FlaskClient, database: Database, staff_token: Callable[..., str]
) -> None:
    token = staff_token("support")
    with database.sessions() as session:
        _, one_time = devices.create_device(
            session, "gate-1", "gate_entry", stop_id="STAGECOACH", vehicle_id=None,
            description="", now=utc_now(),
        )  # fmt: skip
        _, device_token = devices.provision(session, one_time, utc_now())
    for run in range(LIMIT + 2):
        staff = hold_from(client, run=run, Authorization=f"Bearer {token}")
        assert staff.status_code == 201, staff.json
        device = hold_from(client, run=run, Authorization=f"Device {device_token}")
        assert device.status_code == 201, device.json
    # A made-up token is counted like no token at all.
    for run in range(LIMIT):
        made_up = hold_from(client, run=run + 10, Authorization="Bearer fg_made_up")
        assert made_up.status_code == 201, made_up.json
    assert_rate_limited(hold_from(client, run=20, Authorization="Device made-up"))


@pytest.mark.usefixtures("published")
def test_with_limits_switched_off_nothing_is_refused(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings.replace(rate_limits_enabled=False))
    try:
        assert EXTENSION not in app.extensions
        client = app.test_client()
        answers = [hold_from(client).status_code for _ in range(LIMIT + 3)]
        assert answers == [201] * (LIMIT + 3)
    finally:
        app.extensions["faregate.database"].dispose()


def test_limits_add_no_hook_to_requests_of_unlimited_endpoints(settings: Settings) -> None:
    """Only the limited views' wrappers count: other requests pay nothing for the limits."""

    def hooks(app: Flask, kind: str) -> list[str]:
        return [
            getattr(hook, "__qualname__", repr(hook)) for hook in getattr(app, kind).get(None, [])
        ]

    limited, unlimited = (
        create_app(settings),
        create_app(settings.replace(rate_limits_enabled=False)),
    )
    try:
        assert EXTENSION in limited.extensions
        for kind in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs"):
            assert hooks(limited, kind) == hooks(unlimited, kind)
    finally:
        limited.extensions["faregate.database"].dispose()
        unlimited.extensions["faregate.database"].dispose()


@pytest.mark.usefixtures("published")
def test_the_address_is_the_peers_unless_proxies_are_trusted(settings: Settings) -> None:
    def refusals(app: Flask, forwarded: list[str]) -> list[int]:
        client = app.test_client()
        return [
            hold_from(client, "10.0.0.1", **{"X-Forwarded-For": address}).status_code
            for address in forwarded
        ]

    clients = [f"198.51.100.{n}" for n in range(LIMIT + 1)]
    direct = create_app(settings)
    proxied = create_app(settings.replace(trusted_proxies=1))
    try:
        # Forged X-Forwarded-For headers do not make one client many.
        assert refusals(direct, clients) == [201] * LIMIT + [429]
        # Behind one trusted proxy each forwarded client counts on its own.
        assert refusals(proxied, clients) == [201] * (LIMIT + 1)
    finally:
        direct.extensions["faregate.database"].dispose()
        proxied.extensions["faregate.database"].dispose()


def test_limited_operations_document_429_with_retry_after(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    limited = {
        ("post", "/api/v1/holds"),
        ("delete", "/api/v1/holds/{hold_id}"),
        ("post", "/api/v1/bookings"),
        ("get", "/api/v1/bookings/{reference}"),
        ("post", "/api/v1/bookings/{reference}/cancel"),
        ("post", "/api/v1/passes"),
        ("post", "/api/v1/cases"),
        ("post", "/api/v1/cases/lookup"),
        ("post", "/api/v1/cases/{reference}/notes"),
        ("post", "/api/v1/media/journeys"),
        ("post", "/api/v1/devices/provision"),
    }
    documented = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and "429" in operation["responses"]
    }
    assert documented == limited
    answer = spec["components"]["responses"]["RATE_LIMITED"]
    assert "Retry-After" in answer["headers"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        if url is None:
            message = "no Redis server: none answers on 127.0.0.1:6379 and no redis-server"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message)  # CI machines run Redis: a skip there would hide a gap
            pytest.skip(message)
        yield url


@pytest.mark.usefixtures("published")
def test_servers_sharing_redis_count_together(settings: Settings, redis_url: str) -> None:
    # An address of its own, so that counts left in the shared Redis by other runs never meet
    # this one's; its keys are deleted at the end.
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    shared = settings.replace(rate_limit_storage_url=redis_url)
    first, second = create_app(shared), create_app(shared)
    store = redis.Redis.from_url(redis_url)
    try:
        one, other = first.test_client(), second.test_client()
        answers = [hold_from(client, address).status_code for client in (one, other, one, other)]
        assert answers == [201, 201, 201, 429]
        assert_rate_limited(hold_from(one, address))
        assert any(store.scan_iter(match=f"*{address}*"))
    finally:
        for key in store.scan_iter(match=f"*{address}*"):
            store.delete(key)
        store.close()
        first.extensions["faregate.database"].dispose()
        second.extensions["faregate.database"].dispose()


@pytest.mark.usefixtures("published")
def test_a_store_that_cannot_be_reached_falls_back_to_counting_in_memory(
    settings: Settings,
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(settings.replace(rate_limit_storage_url=nowhere))
    try:
        client = app.test_client()
        answers = [hold_from(client).status_code for _ in range(LIMIT + 1)]
        assert answers == [201] * LIMIT + [429]  # travelers are served, and still limited
    finally:
        app.extensions["faregate.database"].dispose()
