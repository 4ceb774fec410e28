"""An agent catching up with the server's deny list through deltas, over real HTTP: the delta
gives the deny list of the full bundle, a tampered one leaves the bundle in force, and one
that does not start at the list in force brings the full bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer

from backend.db import Database
from backend.models import RuleBundleRecord
from backend.services.signing_keys import load_keyring
from fares.bundle import RuleBundle, open_bundle
from fares.keys import KeySet
from tests.harness.deny_entries import add_deny_entries
from tests.unit.validator_agent.fakes import ManualClock
from validator_agent.bundles import BundleKeeper
from validator_agent.store import Store
from validator_agent.sync import BUNDLE_PATH, SyncClient, provision

StartResponse = Callable[..., Any]


@dataclass
class BundleFaults:
    """WSGI middleware before the app that can alter bundle downloads: the query a device
    sent (``rewrite_query``) or the delta bundles answered (``rewrite_delta``)."""

    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    rewrite_query: Callable[[str], str] | None = None
    rewrite_delta: Callable[[bytes], bytes] | None = None
    queries: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] != BUNDLE_PATH:
            return self.app(environ, start_response)
        if self.rewrite_query is not None:
            environ["QUERY_STRING"] = self.rewrite_query(environ["QUERY_STRING"])
        self.queries.append(environ["QUERY_STRING"])
        answered: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], *_: object) -> None:
            answered.extend((status, headers))

        body = b"".join(self.app(environ, keep))
        status, headers = answered
        if self.rewrite_delta is not None and any(k == "X-Deny-Delta-From" for k, _ in headers):
            body = self.rewrite_delta(body)
        headers = [(k, v) for k, v in headers if k != "Content-Length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


@dataclass
class Gate:
    """One agent's store, bundle keeper and sync client, with the keys it trusts."""

    store: Store
    keeper: BundleKeeper
    sync: SyncClient
    trusted: KeySet
    clock: ManualClock


@pytest.fixture
def faults(app: Flask) -> BundleFaults:
    middleware = BundleFaults(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    return middleware


@pytest.fixture
def gate(
    server: BaseWSGIServer, tmp_path: Path, signing_keys_file: str, provisioning_token: str
) -> Iterator[Gate]:
    url = f"http://127.0.0.1:{server.server_port}"
    clock = ManualClock(datetime.now(UTC))
    store = Store.open(tmp_path / "agent.db")
    trusted = load_keyring(Path(signing_keys_file)).key_set(clock.now())
    keeper = BundleKeeper(store, trusted, clock)
    provision(url, provisioning_token, store)
    yield Gate(
        store, keeper, SyncClient((url,), store, keeper, clock, interval_s=30), trusted, clock
    )
    store.close()


def _deny(database: Database, count: int) -> set[str]:
    now = datetime.now(UTC)
    return add_deny_entries(database, count, now=now, expires_at=now + timedelta(days=30))


def _servers_bundle(database: Database, gate: Gate) -> RuleBundle:
    """The server's newest bundle in full, opened as an agent would."""
    with database.sessions() as session:
        blob = session.scalar(
            select(RuleBundleRecord.blob).order_by(RuleBundleRecord.version.desc()).limit(1)
        )
    assert blob is not None
    opened = open_bundle(blob, gate.trusted, gate.clock.now())
    assert isinstance(opened, RuleBundle), opened
    return opened


def _bit_flipped(blob: bytes) -> bytes:
    middle = len(blob) // 2
    return blob[:middle] + bytes([blob[middle] ^ 0x01]) + blob[middle + 1 :]


def test_an_agent_catches_up_with_a_delta_giving_the_full_bundles_deny_list(
    gate: Gate, database: Database, faults: BundleFaults
) -> None:
    _deny(database, 100)
    assert gate.sync.sync_once().bundle == "new"
    held = gate.keeper.current
    assert held is not None
    added = _deny(database, 2)

    assert gate.sync.sync_once().bundle == "delta"

    current = gate.keeper.current
    full = _servers_bundle(database, gate)
    assert current is not None
    assert (current.version, current.deny_list) == (full.version, full.deny_list)
    assert current.deny_list.tickets == held.deny_list.tickets | added
    assert current.etag != full.etag  # it installed the delta's bytes
    assert faults.queries == ["", f"deny_version={held.version}"]
    assert gate.sync.sync_once().bundle == "unchanged"
    restarted = BundleKeeper(gate.store, gate.trusted, gate.clock).restore()
    assert restarted is not None
    assert restarted.deny_list == full.deny_list


def test_a_tampered_delta_is_refused_and_the_bundle_in_force_stays(
    gate: Gate, database: Database, faults: BundleFaults
) -> None:
    _deny(database, 100)
    gate.sync.sync_once()
    held = gate.keeper.current
    assert held is not None
    added = _deny(database, 1)
    faults.rewrite_delta = _bit_flipped

    assert gate.sync.sync_once().bundle == "bundle_bad_signature"

    assert gate.keeper.current is held
    assert not added & held.deny_list.tickets
    assert faults.queries[-1] == f"deny_version={held.version}"  # no second try in full
    restarted = BundleKeeper(gate.store, gate.trusted, gate.clock).restore()
    assert restarted is not None
    assert restarted.etag == held.etag
    faults.rewrite_delta = None
    assert gate.sync.sync_once().bundle == "delta"
    current = gate.keeper.current
    assert current is not None
    assert added <= current.deny_list.tickets


def test_a_delta_that_does_not_start_at_the_list_in_force_brings_the_full_bundle(
    gate: Gate, database: Database, faults: BundleFaults
) -> None:
    _deny(database, 100)
    gate.sync.sync_once()
    first = gate.keeper.current
    _deny(database, 1)
    assert gate.sync.sync_once().bundle == "delta"
    second = gate.keeper.current
    assert first is not None
    assert second is not None
    _deny(database, 1)
    # The server is told of the older list, and answers with a delta from it.
    older = f"deny_version={first.version}"
    faults.rewrite_query = lambda query: older if query else query

    assert gate.sync.sync_once().bundle == "new"

    assert faults.queries[-2:] == [older, ""]
    current = gate.keeper.current
    full = _servers_bundle(database, gate)
    assert current is not None
    assert (current.version, current.etag, current.deny_list) == (
        full.version, full.etag, full.deny_list,
    )  # fmt: skip
    refusal = gate.keeper.last_refusal
    assert refusal is not None
    assert refusal.code == "bundle_delta_base_mismatch"
