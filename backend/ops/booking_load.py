"""Travelers booking through a server's HTTP API from client threads, for drills: each
booking is a hold, then its confirmation, and every confirmed booking is written down.

A client retries what a careful client would retry: a 503 (``database_unavailable``,
``busy_try_again``), any other 5xx (counted apart: a server that handles a lost database
cleanly answers none) and a failed connection, every ``RETRY_PAUSE_S``. A confirmation is
retried with the same ``Idempotency-Key``, so that one committed before its answer was lost is
replayed, never confirmed twice; a hold is sent without a key, and one whose answer was lost
only expires. A hold refused with 409 ``sold_out`` moves the client to its next trip; any
other refusal stops the drill (a drill set up wrongly).

Each request goes on a fresh loopback connection (the server's sync workers close each one).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
RETRY_PAUSE_S = 0.1
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Trip:
    """A trip instance and the stops a traveler boards and leaves it at."""

    instance: str
    board: str
    alight: str


@dataclass(frozen=True)
class Confirmed:
    """A booking the server confirmed (201): its reference, when its confirmation was first
    sent and when the 201 arrived (``time.monotonic()``)."""

    reference: str
    sent_at: float
    at: float


class Ledger:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._confirmed: list[Confirmed] = []
        self.refusals: Counter[str] = Counter()
        self.server_errors: Counter[str] = Counter()
        self.failures: list[str] = []

    def confirm(self, booking: Confirmed) -> None:
        """Write down a confirmed booking."""
        with self._lock:
            self._confirmed.append(booking)
            self._lock.notify_all()

    def refuse(self, code: str, *, server_error: bool = False) -> None:
        """Count an answer that was retried (or a failed connection)."""
        with self._lock:
            (self.server_errors if server_error else self.refusals)[code] += 1

    def fail(self, message: str) -> None:
        """Record why a client stopped; the drill has failed."""
        with self._lock:
            self.failures.append(message)
            self._lock.notify_all()

    def confirmed(self) -> list[Confirmed]:
        """The bookings confirmed so far."""
        with self._lock:
            return list(self._confirmed)

    def wait_for(self, count: int, counted: Callable[[float], bool], timeout_s: float) -> bool:
        """Wait until ``count`` bookings whose first sending time passes ``counted`` are
        confirmed (True), a client failed or ``timeout_s`` passed (False)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while not self.failures:
                if sum(1 for c in self._confirmed if counted(c.sent_at)) >= count:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
            return False


class BookingClients:
    """Client threads booking trips on the server at ``port``; client ``n`` books
    ``trips[n]`` in turn."""

    def __init__(self, port: int, trips: list[list[Trip]], ledger: Ledger) -> None:
        self.port = port
        self.trips = trips
        self.ledger = ledger
        self._stop = threading.Event()

    @contextlib.contextmanager
    def running(self, clients: int) -> Iterator[None]:
        """Book from ``clients`` threads while the block runs; they stop when it ends."""
        threads = [
            threading.Thread(target=self._client, args=(self.trips[n],), name=f"client-{n}")
            for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT_S + 5)

    def _client(self, trips: list[Trip]) -> None:
        try:
            for trip in trips:
                while not self._stop.is_set() and self._book(trip):
                    pass
                if self._stop.is_set():
                    return
            self.ledger.fail("a client booked every seat of its trips")
        except Exception as error:  # reported as the drill's failure
            self.ledger.fail(f"a client failed: {error!r}")

    def _book(self, trip: Trip) -> bool:
        """Book one seat on ``trip``; False when it is sold out."""
        body = {"trip_instance": trip.instance, "from": trip.board, "to": trip.alight, "party": 1}
        status, held = self._until_answered("/api/v1/holds", body, None)
        if status == 409 and _code(held) == "sold_out":
            return False
        if status != 201:
            return self._refused("hold", status, held)
        confirmation = {
            "hold_id": held["id"],
            "contact_email": "drill@example.org",
            "passengers": [{"name": "Drill Traveler"}],
        }
        sent_at = time.monotonic()
        status, booked = self._until_answered("/api/v1/bookings", confirmation, uuid.uuid4().hex)
        if status == 201:
            self.ledger.confirm(Confirmed(str(booked["reference"]), sent_at, time.monotonic()))
            return True
        return self._refused("confirmation", status, booked)

    def _refused(self, what: str, status: int, answer: dict[str, Any]) -> bool:
        if status == 0:  # stopped while retrying
            return True
        if status == 404 and _code(answer) == "hold_not_found":
            # A hold made just before an asynchronous failover may never have reached the
            # standby: the traveler starts again.
            self.ledger.refuse("hold_not_found")
            return True
        raise RuntimeError(f"{what} refused: {status} {answer}")

    def _until_answered(
        self, path: str, body: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """POST until an answer that is not retried; (0, {}) when the clients stop first."""
        while not self._stop.is_set():
            try:
                status, answer = post(self.port, path, body, key)
            except (OSError, http.client.HTTPException) as error:
                self.ledger.refuse(f"connection_failed:{type(error).__name__}")
            else:
                if status < 500:
                    return status, answer
                self.ledger.refuse(_code(answer) or str(status), server_error=status != 503)
            self._stop.wait(RETRY_PAUSE_S)
        return 0, {}


def post(port: int, path: str, body: dict[str, Any], key: str | None) -> tuple[int, Any]:
    """One JSON POST on a fresh connection; (status, JSON answer or {})."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data) if data else {}
    except ValueError:
        return response.status, {}


def _code(answer: Any) -> str | None:
    """The error code of an API answer, if it is an error envelope."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        code = answer["error"].get("code")
        return str(code) if code is not None else None
    return None
