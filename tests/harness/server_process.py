"""The reservation server as operators run it, for end-to-end tests: ``faregate serve``
(gunicorn and its job runner) as a process group of its own on a loopback port, the
``faregate`` CLI beside it, its HTTP API, and the taps it stored, read from PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.harness.network import free_port
from tests.harness.reservations import SEAT_MAP

ROOT = Path(__file__).resolve().parents[2]
FAREGATE = Path(sys.executable).parent / "faregate"
START_TIMEOUT_S = 60.0
ADMIN_EMAIL = "operator@example.org"


@dataclass(frozen=True)
class BookedTicket:
    """A ticket of a booking and the text of its QR code."""

    ticket_id: str
    qr_text: str


@dataclass(frozen=True)
class Booking:
    """A confirmed booking: its reference, contact email and tickets."""

    reference: str
    email: str
    tickets: tuple[BookedTicket, ...]


@dataclass(frozen=True)
class StoredTap:
    """One row of the server's ``tap`` table."""

    sequence: int
    nonce: str
    fingerprint: str
    ticket_id: str | None
    allowed: bool
    reason: str | None
    bundle_version: int | None
    trip_instance: str | None


class FaregateServer:
    """One server: a working folder, a PostgreSQL database and a loopback port of its own."""

    def __init__(
        self, folder: Path, database_url: str, *, settings: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        seat_maps = folder / "seatmaps"
        seat_maps.mkdir(parents=True, exist_ok=True)
        (seat_maps / "minibus.toml").write_text(SEAT_MAP)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAREGATE_")}
        self.env = env | {
            "FAREGATE_DATABASE_URL": database_url,
            "FAREGATE_BIND": f"127.0.0.1:{self.port}",
            "FAREGATE_WORKERS": "2",
            "FAREGATE_LOG_LEVEL": "WARNING",
            "FAREGATE_SIGNING_KEYS_FILE": str(folder / "signing-keys.json"),
            "FAREGATE_SEATMAP_DIR": str(seat_maps),
            "FAREGATE_PERIOD_PASSES_FILE": str(ROOT / "config" / "period-passes.toml"),
        }
        # Further settings, by key (``smtp_host``: the server's job runner sends mail there).
        self.env |= {f"FAREGATE_{key.upper()}": value for key, value in (settings or {}).items()}
        self.admin_token = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._engine = create_engine(database_url, poolclass=NullPool)

    # -- the operator's CLI ------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``faregate ARGS`` with this server's settings; its standard output."""
        done = subprocess.run(
            [str(FAREGATE), *args], cwd=self.folder, env=self.env, input=stdin,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"faregate {' '.join(args)}: {done.stderr}"
        return done.stdout

    def prepare(self, feed: Path) -> None:
        """Migrate, make the keyring, an admin and their API token, and publish ``feed``."""
        self.cli("db", "upgrade")
        self.cli("keys", "init")
        self.cli(
            "user", "create", ADMIN_EMAIL, "--role", "admin", "--password-stdin",
            stdin="a long operator password\n",
        )  # fmt: skip
        self.admin_token = self.cli("token", "create", "--user", ADMIN_EMAIL, "--name", "e2e")
        self.admin_token = self.admin_token.strip()
        self.cli("gtfs", "import", str(feed), "--publish")

    def public_keys(self) -> str:
        """``faregate keys public``: the keys file validators trust."""
        return self.cli("keys", "public")

    # -- the process -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The process id of ``faregate serve`` (gunicorn's master), which is also its process
        group's id."""
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        """Start ``faregate serve`` in a new process group; wait until it is ready."""
        assert not self.running
        log = (self.folder / "server.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                [str(FAREGATE), "serve"], cwd=self.folder, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.running, f"faregate serve exited; see {self.folder / 'server.log'}"
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"faregate serve was not ready within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        """Stop the server as an operator would (SIGTERM) and wait for it."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._process = None

    def kill(self) -> None:
        """Crash the server: SIGKILL to its process group (gunicorn, workers, job runner)."""
        process = self._process
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        self._process = None

    def close(self) -> None:
        """Stop the server and release the database engine."""
        self.stop()
        self._engine.dispose()

    # -- the API -----------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: object = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """(status, JSON answer) of one API call."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> Any:
        """The JSON answer of an operator's API call that must answer ``expect``."""
        status, answer = self.request(method, path, body, token=self.admin_token)
        assert status == expect, (method, path, status, answer)
        return answer

    def create_device(
        self, device_id: str, role: str, stop_id: str, vehicle_id: str | None = None
    ) -> str:
        """Register a gate validator at ``stop_id``, or with ``vehicle_id`` a bus validator;
        its one-time provisioning token."""
        place = {"stop_id": stop_id} if vehicle_id is None else {"vehicle_id": vehicle_id}
        body = {"id": device_id, "role": role, **place, "description": "e2e"}
        created = self.call("POST", "/api/v1/devices", body, expect=201)
        return str(created["provisioning_token"])

    def book(self, trip_instance: str, board: str, alight: str, party: int) -> Booking:
        """Hold seats for ``party`` travellers and confirm them, as a traveller would."""
        body = {"trip_instance": trip_instance, "from": board, "to": alight, "party": party}
        status, held = self.request("POST", "/api/v1/holds", body)
        assert status == 201, held
        email = "traveller@example.org"
        passengers = [{"name": f"Traveller {n}"} for n in range(1, party + 1)]
        body = {"hold_id": held["id"], "contact_email": email, "passengers": passengers}
        status, booked = self.request("POST", "/api/v1/bookings", body)
        assert status == 201, booked
        tickets = []
        for passenger in booked["passengers"]:
            status, ticket = self.request("GET", f"/api/v1/tickets/{passenger['ticket_id']}")
            assert status == 200, ticket
            tickets.append(BookedTicket(ticket["id"], ticket["qr_text"]))
        return Booking(booked["reference"], email, tuple(tickets))

    def cancel(self, booking: Booking) -> None:
        """Cancel ``booking`` through the API, as its traveller would."""
        path = f"/api/v1/bookings/{booking.reference}/cancel"
        status, answer = self.request("POST", path, {"email": booking.email})
        assert status == 200, answer
        assert answer["status"] == "cancelled", answer

    # -- what the server stored --------------------------------------------------------

    def taps(self, device_id: str) -> list[StoredTap]:
        """Every tap stored for ``device_id``, by device sequence number."""
        query = text(
            "SELECT sequence, nonce, fingerprint, ticket_id, allowed, reason, bundle_version, "
            "trip_instance FROM tap WHERE device_id = :device ORDER BY sequence, id"
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query, {"device": device_id}).all()
        return [StoredTap(*row) for row in rows]

    def tap_count(self, device_id: str) -> int:
        """How many taps the server stored for ``device_id``."""
        query = text("SELECT count(*) FROM tap WHERE device_id = :device")
        with self._engine.connect() as connection:
            return int(connection.execute(query, {"device": device_id}).scalar_one())
