"""What the benchmarks that serve the app share: a PostgreSQL server to make databases on, a
free loopback port, waiting for the server to be ready, and JSON requests on fresh
connections (the sync workers close each one). Loopback only."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import psycopg
from sqlalchemy.engine import make_url


def libpq(url: str) -> str:
    """``url`` in the form psycopg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def admin(server: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)


def free_port() -> int:
    """A TCP port free on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(
    port: int, path: str, body: dict[str, Any] | None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """One POST on a fresh connection (the sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body or {})
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request("POST", path, payload, sent)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}
    finally:
        connection.close()


def wait_ready(port: int) -> None:
    """Wait until the server on ``port`` answers /readyz (at most a minute)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise SystemExit("the server did not become ready")
