"""Sync with the server: upload the journal first, then fetch the rule bundle; provisioning.

One sync tries the server URLs in the configured order until one answers. With it, it
uploads journal batches oldest first (``POST /api/v1/device/taps``, journal row format
version 1) and deletes rows only when an answer's ``acked_sequence`` covers them; a batch
whose answer is lost stays in flight and is sent again (the server stores each
(device, nonce) once). Then it fetches the bundle with ``If-None-Match`` and the version of
the deny list in force (``deny_version``), so that the server may send the deny list as a
delta from it, and installs a new one only if it verifies (``BundleKeeper``, which applies a
delta to the deny list in force). A delta that does not start at that list is refused
``bundle_delta_base_mismatch`` and the whole bundle is asked for at once. Each answer
carries the server's time; the clock skew (device minus server, in ms) is kept for status.
After a failed sync the next waits ``backoff_s(failures)``: exponential from
``sync_interval_s`` up to ``MAX_BACKOFF_S``, with jitter so that a fleet coming back online
does not arrive at once.

Provisioning (``faregate-agent provision URL TOKEN``) trades an operator's one-time token
for the device token, which is kept in the store (readable by the agent's user alone).
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fares.bundle import BundleRefusal, RuleBundle
from validator_agent.bundles import BundleKeeper
from validator_agent.clock import Clock
from validator_agent.errors import SyncError
from validator_agent.store import Store

BATCH = 500
TIMEOUT_S = 10.0
MAX_BACKOFF_S = 900.0
TOKEN_KEY = "device_token"  # noqa: S105 - the name of a store entry, not a secret
SKEW_KEY = "clock_skew_ms"
LAST_SYNC_KEY = "last_sync"
BUNDLE_PATH = "/api/v1/device/bundle"
DELTA_HEADER = "x-deny-delta-from"  # the server's mark of a bundle carrying a deny-list delta


@dataclass(frozen=True)
class SyncReport:
    """What one sync did."""

    server: str
    uploaded: int
    acked_sequence: int | None
    bundle: str  # "new", "delta" (new, with a deny-list delta), "unchanged" or a refusal code
    clock_skew_ms: int | None


class ServerLink:
    """JSON and bytes over HTTP(S) to one server, with the device token."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float = TIMEOUT_S) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SyncError("bad_server_url", f"{base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s

    def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body); 4xx and 304 are answers, anything else a SyncError."""
        sent = {"Accept": "application/json, application/cbor", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self._token:
            sent["Authorization"] = f"Device {self._token}"
        # http(s) only: the constructor refuses any other scheme.
        request = urllib.request.Request(self.base_url + path, data, sent, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return error.code, dict(error.headers), error.read()
            raise SyncError("server_error", f"{self.base_url} answered {error.code}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise SyncError("server_unreachable", f"{self.base_url}: {error}") from error


class SyncClient:
    """Uploads the journal and fetches bundles, with failover across the server URLs."""

    def __init__(
        self,
        urls: tuple[str, ...],
        store: Store,
        bundles: BundleKeeper,
        clock: Clock,
        *,
        interval_s: float,
        rng: random.Random | None = None,
    ) -> None:
        self._urls = urls
        self._store = store
        self._bundles = bundles
        self._clock = clock
        self.interval_s = interval_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.failures = 0

    def sync_once(self) -> SyncReport:
        """Sync with the first server that answers; SyncError when none does."""
        token = self._store.meta().get(TOKEN_KEY)
        if not token:
            raise SyncError("not_provisioned", "run faregate-agent provision URL TOKEN first")
        errors = []
        for url in self._urls:
            try:
                report = self._sync_with(ServerLink(url, token))
            except SyncError as error:
                errors.append(f"{error.code}: {error.message}")
                continue
            self.failures = 0
            return report
        self.failures += 1
        raise SyncError("no_server", "; ".join(errors) or "no server URL configured")

    def backoff_s(self) -> float:
        """How long to wait before the next sync after ``failures`` failed ones."""
        if not self.failures:
            return self.interval_s
        delay = min(MAX_BACKOFF_S, self.interval_s * float(2 ** min(self.failures, 16)))
        return delay * self._rng.uniform(0.5, 1.5)

    def _sync_with(self, link: ServerLink) -> SyncReport:
        uploaded, acked, skew = self._upload(link)
        bundle = self._fetch_bundle(link)
        now = self._clock.now()
        self._store.set_meta(LAST_SYNC_KEY, now.isoformat())
        if skew is not None:
            self._store.set_meta(SKEW_KEY, str(skew))
        return SyncReport(link.base_url, uploaded, acked, bundle, skew)

    def _upload(self, link: ServerLink) -> tuple[int, int | None, int | None]:
        uploaded, acked, skew = 0, None, None
        self._store.resume_in_flight()  # rows of an unanswered batch go again, oldest first
        while rows := self._store.take_batch(BATCH):
            backlog = self._store.journal_counts()
            body = {
                "taps": [row.to_wire() for row in rows],
                "device_time": self._clock.now().isoformat(),
                # What is left once this batch is stored.
                "backlog": backlog.ready + backlog.in_flight - len(rows),
                "bundle_version": self._bundle_version(),
            }
            status, _, answer = link.request("POST", "/api/v1/device/taps", body)
            if status != 200:
                raise SyncError("upload_refused", f"{link.base_url} refused taps: {status}")
            reply = _json(answer)
            acked = int(reply["acked_sequence"])
            skew = self._skew(reply)
            self._store.mark_acked(acked, self._clock.now())
            uploaded += len(rows)
            if acked < rows[-1].seq:
                raise SyncError("short_ack", f"the server acknowledged only up to {acked}")
        return uploaded, acked, skew

    def _fetch_bundle(self, link: ServerLink) -> str:
        outcome = self._download(link, delta=True)
        if outcome == BundleRefusal.DELTA_BASE_MISMATCH.value:
            outcome = self._download(link, delta=False)
        return outcome

    def _download(self, link: ServerLink, *, delta: bool) -> str:
        """Fetch and install the bundle, offering the deny list in force as a delta's base."""
        current = self._bundles.current
        headers = {"If-None-Match": current.etag} if current is not None else {}
        path = BUNDLE_PATH
        if delta and current is not None:
            path += f"?deny_version={current.deny_list.version}"
        status, answered, blob = link.request("GET", path, headers=headers)
        if status == 304:
            return "unchanged"
        if status != 200:
            raise SyncError("bundle_refused", f"{link.base_url} gave no bundle: {status}")
        installed = self._bundles.install(blob)
        if not isinstance(installed, RuleBundle):
            return str(installed.value)
        sent_delta = any(name.lower() == DELTA_HEADER for name in answered)
        return "delta" if sent_delta else "new"

    def _bundle_version(self) -> int | None:
        current = self._bundles.current
        return current.version if current is not None else None

    def _skew(self, reply: dict[str, Any]) -> int | None:
        try:
            server = datetime.fromisoformat(reply["server_time"])
        except (KeyError, TypeError, ValueError):
            return None
        return round((self._clock.now() - server).total_seconds() * 1000)


def provision(url: str, token: str, store: Store) -> dict[str, Any]:
    """Trade a one-time token for this device's token and keep it in the store."""
    status, _, answer = ServerLink(url, None).request(
        "POST", "/api/v1/devices/provision", {"token": token}
    )
    reply = _json(answer)
    if status != 200:
        error = reply.get("error", {})
        raise SyncError(error.get("code", "provisioning_refused"), error.get("message", ""))
    store.set_meta(TOKEN_KEY, reply["token"])
    return {key: value for key, value in reply.items() if key != "token"}


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as error:
        raise SyncError("bad_answer", "the server's answer is not JSON") from error
    if not isinstance(value, dict):
        raise SyncError("bad_answer", "the server's answer is not a JSON object")
    return value
