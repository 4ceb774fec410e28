"""A real HTTP relay between validator agents and the server, that a test can disturb.

Agents are configured with the relay's URL; it passes every request on to the server over
a real socket and the answer back. A test can make it:

- stand in for a link that is down (``down = True``: every request gets 503);
- hand out a different bundle (``rewrite_bundle``: a function of the server's current
  bundle in full, e.g. a corrupted copy or one signed with another key);
- tell what the server answered to each bundle download (``bundle_answers``: a full
  bundle, a deny-list delta or 304);
- hold one request at a point (``hold``): when it arrives, or once the server answered it
  but before the answer goes back, until the test releases it (e.g. after a kill -9 of the
  agent that sent it, so that its answer is lost).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from fares.bundle import bundle_etag

BUNDLE_PATH = "/api/v1/device/bundle"
TAPS_PATH = "/api/v1/device/taps"
HOLD_LIMIT_S = 60.0
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Hold:
    """One request held at a point: ``arrived`` is set when it got there."""

    path: str
    after_answer: bool
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    forward: bool = True

    def release(self) -> None:
        """Let the held request go on."""
        self.released.set()

    def drop(self) -> None:
        """End the held request without passing it (or its answer) on."""
        self.forward = False
        self.released.set()


@dataclass(frozen=True)
class BundleAnswer:
    """The server's answer to one bundle download: its status, ``X-Bundle-Version`` and
    ``X-Deny-Delta-From`` (None when absent)."""

    status: int
    version: int | None
    delta_from: int | None

    @classmethod
    def of(cls, status: int, headers: list[tuple[str, str]]) -> BundleAnswer:
        """Read from the answer's headers."""
        found = {key.lower(): int(value) for key, value in headers if key.lower() in _MARKS}
        return cls(status, found.get("x-bundle-version"), found.get("x-deny-delta-from"))


_MARKS = {"x-bundle-version", "x-deny-delta-from"}


@dataclass(frozen=True)
class ServedBundle:
    """A rewritten bundle the relay handed out, when (``time.time()``) and by which rewrite."""

    at: float
    blob: bytes
    rewrite: Callable[[bytes], bytes]


class DeviceLink:
    """The relay: ``url`` for agents, ``upstream`` the server's base URL."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname is not None
        assert parts.port is not None
        self._upstream = (parts.hostname, parts.port)
        self.down = False
        self.rewrite_bundle: Callable[[bytes], bytes] | None = None
        self.served: list[ServedBundle] = []
        self.bundle_answers: list[BundleAnswer] = []  # the server's, before any rewrite
        self._holds: list[Hold] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> DeviceLink:
        """Start serving in a thread."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Release every hold and stop serving."""
        with self._lock:
            for hold in self._holds:
                hold.release()
            self._holds.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def serve_instead(self, rewrite: Callable[[bytes], bytes], since: float = 0.0) -> float:
        """Rewrite every bundle from now on; when the first one was served after ``since``
        (``time.time()``). Set ``rewrite_bundle`` to None to stop."""
        self.rewrite_bundle = rewrite
        deadline = time.monotonic() + HOLD_LIMIT_S
        while time.monotonic() < deadline:
            for served in list(self.served):
                if served.rewrite is rewrite and served.at >= since:
                    return served.at
            time.sleep(0.05)
        raise AssertionError(f"no agent fetched a bundle within {HOLD_LIMIT_S:.0f} s")

    def hold(self, path: str, *, after_answer: bool) -> Hold:
        """Hold the next request for ``path`` (before or after the server answers it)."""
        held = Hold(path, after_answer)
        with self._lock:
            self._holds.append(held)
        return held

    def _take_hold(self, path: str, after_answer: bool) -> Hold | None:
        with self._lock:
            for held in self._holds:
                if held.path == path and held.after_answer == after_answer:
                    self._holds.remove(held)
                    return held
        return None

    def _wait(self, path: str, after_answer: bool) -> bool:
        """Wait at a hold for ``path`` if there is one; whether to go on."""
        held = self._take_hold(path, after_answer)
        if held is None:
            return True
        held.arrived.set()
        held.released.wait(HOLD_LIMIT_S)
        return held.forward

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        link = self

        class Relay(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads what matters from the agent and the server."""

            def _relay(self) -> None:
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if link.down:
                    self._answer(503, [("Content-Type", "text/plain")], b"link down")
                    return
                if not link._wait(path, after_answer=False):
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                rewrite = link.rewrite_bundle if path == BUNDLE_PATH else None
                target = self.path
                if rewrite is not None:  # the whole current bundle: no 304, no delta
                    headers.pop("If-None-Match", None)
                    target = path
                status, answer_headers, answer = link._forward(self.command, target, headers, body)
                if path == BUNDLE_PATH:
                    link.bundle_answers.append(BundleAnswer.of(status, answer_headers))
                if rewrite is not None and status == 200:
                    answer = rewrite(answer)
                    answer_headers = [(k, v) for k, v in answer_headers if k.lower() != "etag"]
                    answer_headers.append(("ETag", bundle_etag(answer)))
                    link.served.append(ServedBundle(time.time(), answer, rewrite))
                if link._wait(path, after_answer=True):
                    self._answer(status, answer_headers, answer)

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers:
                        if key.lower() not in _HOP_HEADERS and key.lower() not in {
                            "date",
                            "server",
                        }:
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the agent is gone (killed while its request was held)

        return Relay
