"""Two servers on one PostgreSQL: one is killed with -9 in the middle of a booking rush.

Both run ``faregate serve`` (gunicorn and a job runner) on loopback ports against the same
database and keyring. Travelers' clients send hold + confirm pairs round robin to the two,
each request with its own ``Idempotency-Key``; a client whose server vanishes sends the same
request, with the same key, to the other one, as a client behind a load balancer would be
retried. In the middle of the rush the server whose job runner leads is killed (SIGKILL to its
process group). Afterwards:

- the bookings in the database are exactly those the clients were told were confirmed:
  none lost, none made twice (a replayed confirm gets the first answer back);
- no seat is sold twice;
- the survivor's job runner has taken leadership over, and its jobs run (it purges an
  Idempotency-Key older than a day that appears after the kill).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from backend.leadership import leader
from tests.harness import postgres
from tests.harness.server_process import FaregateServer
from tests.harness.todays_feed import agency_today, feed_running_around

pytestmark = pytest.mark.postgres

CLIENTS = 8
BOOKINGS = 160
KILL_AFTER = 50  # confirmed bookings before the leader's server is killed
TAKEOVER_S = 30.0
RUNS = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
ENDS = {"CITY1": ("STAGECOACH", "EMSI"), "CITY2": ("EMSI", "STAGECOACH")}


@dataclass
class Rush:
    """What the clients were told."""

    confirmed: dict[str, str] = field(default_factory=dict)  # booking reference -> hold id
    refused: list[tuple[int, Any]] = field(default_factory=list)
    retried: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def two_servers(postgres_server: URL, tmp_path: Path) -> Iterator[list[FaregateServer]]:
    url = postgres.create_database(postgres_server, prefix="faregate_pair")
    database_url = url.render_as_string(hide_password=False)
    # The rush sends BOOKINGS holds and confirmations from one address (127.0.0.1) within a
    # minute, far past the per-address rate limits: they are off, as the rush is the point.
    unlimited = {"rate_limits_enabled": "false"}
    first = FaregateServer(tmp_path / "a", database_url, settings=unlimited)
    second = FaregateServer(tmp_path / "b", database_url, settings=unlimited)
    first.prepare(feed_running_around(tmp_path, agency_today(datetime.now(UTC))))
    # One keyring for both, as a deployment shares it: tickets verify whoever issued them.
    shutil.copy(first.folder / "signing-keys.json", second.folder / "signing-keys.json")
    servers = [first, second]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.close()
        postgres.drop_database(url)


def test_a_server_killed_mid_rush_loses_and_duplicates_no_booking(
    two_servers: list[FaregateServer],
) -> None:
    engine = create_engine(two_servers[0].database_url, poolclass=NullPool)
    leading = _wait_for_leader(engine, two_servers, exclude=None)
    rush = Rush()
    killed = threading.Event()
    stale: list[str] = []
    tomorrow = agency_today(datetime.now(UTC)) + timedelta(days=1)
    attempts = [_attempt(index, tomorrow) for index in range(BOOKINGS)]
    pending = list(reversed(attempts))
    pending_lock = threading.Lock()

    def client(number: int) -> None:
        turn = number
        while True:
            with pending_lock:
                if not pending:
                    return
                body = pending.pop()
            turn = _book(two_servers, turn, body, rush)
            with rush.lock:
                if len(rush.confirmed) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    # The leader purged old keys when it started; this one is left for
                    # whichever runner leads next.
                    stale.append(_old_idempotency_record(engine))
                    leading.kill()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert killed.is_set()
    assert not leading.running
    survivor = next(server for server in two_servers if server is not leading)

    assert rush.refused == []
    assert len(rush.confirmed) == BOOKINGS
    assert rush.retried > 0, "no request met the killed server; the test proved nothing"
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                text("SELECT reference, hold_id FROM booking WHERE status = 'confirmed'")
            ).all()
        )
        doubly_sold = connection.execute(
            text(
                "SELECT count(*) FROM seat_claim a JOIN seat_claim b "
                "ON a.trip_instance = b.trip_instance AND a.seat = b.seat AND a.id < b.id "
                "AND int4range(a.board, a.alight) && int4range(b.board, b.alight)"
            )
        ).scalar_one()
    assert stored == rush.confirmed  # none lost, none made twice
    assert doubly_sold == 0

    assert _wait_for_leader(engine, [survivor], exclude=leading) is survivor
    deadline = time.monotonic() + TAKEOVER_S
    while time.monotonic() < deadline and _exists(engine, stale[0]):
        time.sleep(0.5)
    assert not _exists(engine, stale[0]), "the survivor's jobs did not run"
    engine.dispose()


def _attempt(index: int, day: Any) -> dict[str, Any]:
    """The ``index``-th booking: one seat on its own run of a CITY trip tomorrow."""
    trip = "CITY1" if index % 2 == 0 else "CITY2"
    run = RUNS[(index // 2) % len(RUNS)]
    board, alight = ENDS[trip]
    return {"trip_instance": f"{trip}@{day.isoformat()}T{run}:00", "from": board, "to": alight}


def _book(servers: list[FaregateServer], turn: int, hold: dict[str, Any], rush: Rush) -> int:
    """Hold and confirm one seat, retrying on the other server when one vanishes; the next
    turn for round robin."""
    hold_body = {**hold, "party": 1}
    status, held, turn = _send(servers, turn, "/api/v1/holds", hold_body, rush)
    if status != 201:
        with rush.lock:
            rush.refused.append((status, held))
        return turn
    confirm = {
        "hold_id": held["id"],
        "contact_email": "rush@example.org",
        "passengers": [{"name": "Rush"}],
    }
    status, booked, turn = _send(servers, turn, "/api/v1/bookings", confirm, rush)
    with rush.lock:
        if status == 201:
            rush.confirmed[booked["reference"]] = held["id"]
        else:
            rush.refused.append((status, booked))
    return turn


def _send(
    servers: list[FaregateServer], turn: int, path: str, body: dict[str, Any], rush: Rush
) -> tuple[int, Any, int]:
    """POST ``body`` with one Idempotency-Key, round robin, moving on to the next server when
    one cannot be reached or is busy; (status, answer, next turn)."""
    key = str(uuid.uuid4())
    for attempt in range(20):
        server = servers[turn % len(servers)]
        turn += 1
        request = urllib.request.Request(
            server.base_url + path,
            json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), turn
        except urllib.error.HTTPError as error:
            with error:
                answer = json.loads(error.read())
            if error.code != 503:
                return error.code, answer, turn
        except OSError:
            pass  # refused, reset or cut off mid-answer: the other server gets the same key
        with rush.lock:
            rush.retried += 1
        time.sleep(min(0.05 * (attempt + 1), 0.5))
    return 0, {"error": "no server answered"}, turn


def _wait_for_leader(
    engine: Any, servers: list[FaregateServer], exclude: FaregateServer | None
) -> FaregateServer:
    """The server among ``servers`` whose job runner leads, once one does."""
    deadline = time.monotonic() + TAKEOVER_S
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            now = leader(connection)
        if now is not None:
            pid = int(now.application_name.rsplit(":", 1)[1])
            for server in servers:
                if server is not exclude and server.running and _in_group(pid, server):
                    return server
        time.sleep(0.5)
    raise AssertionError("no job runner of these servers took leadership")


def _in_group(pid: int, server: FaregateServer) -> bool:
    """Whether process ``pid`` belongs to ``server``'s process group."""
    try:
        return os.getpgid(pid) == server.pid
    except ProcessLookupError:
        return False


def _old_idempotency_record(engine: Any) -> str:
    """An Idempotency-Key stored two days ago, which the purge job forgets; its key."""
    key = f"stale-{uuid.uuid4()}"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO idempotency_record (scope, key, request_hash, status_code, body, "
                "created_at) VALUES ('test', :key, 'x', 200, '{}', :at)"
            ),
            {"key": key, "at": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)},
        )
    return key


def _exists(engine: Any, key: str) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text("SELECT count(*) FROM idempotency_record WHERE key = :key"), {"key": key}
            ).scalar_one()
        )
