"""What the benchmarks that serve the app share: a PostgreSQL server to make databases on, a
free loopback port, waiting for the server to be ready, and JSON requests on fresh
connections (the sync workers close each one). Loopback only."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FEED = ROOT / "backend" / "data" / "sample-feed-1"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


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


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (SQLAlchemy URL) on ``FAREGATE_BENCH_PG_URL``
    (default: postgres on 127.0.0.1:5432), dropped afterwards."""
    server = libpq(os.environ.get("FAREGATE_BENCH_PG_URL", DEFAULT_SERVER))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(server)
            .set(database=name, drivername="postgresql+psycopg")
            .render_as_string(hide_password=False)
        )
    finally:
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def served(script: str, *arguments: str) -> Iterator[int]:
    """Run ``script --serve ARGUMENTS PORT`` (the benchmark's own server) in a child process,
    its access log discarded; the port once it is ready. Stopped afterwards."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, script, "--serve", *arguments, str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # the access log: a line per request
    )
    try:
        wait_ready(port)
        yield port
    finally:
        child.terminate()
        child.wait(timeout=30)
