"""The agent syncing with a real server over HTTP: provisioning, journal upload exactly once,
bundle download with ETags, and failover and backoff while a server is down."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer

from backend.db import Database
from backend.models import Device, Tap
from backend.services.signing_keys import load_keyring
from tests.unit.validator_agent.fakes import ManualClock, RecordingGate, agent_config, uid_event
from validator_agent.bundles import BundleKeeper
from validator_agent.errors import SyncError
from validator_agent.runtime import Runtime
from validator_agent.store import Store
from validator_agent.sync import SyncClient, provision

DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing answers


def _taps(runtime: Runtime, clock: ManualClock, count: int, first: int) -> None:
    for number in range(first, first + count):
        clock.advance(1)
        outcome = runtime.handle(uid_event(number.to_bytes(7, "big"), at=clock.now()))
        assert outcome.row is not None, outcome


def _server_taps(database: Database) -> tuple[int, int]:
    with database.sessions() as session:
        total = session.scalar(select(func.count()).select_from(Tap)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Tap.nonce)))) or 0
    return total, distinct


def _reported_backlog(database: Database) -> int | None:
    with database.sessions() as session:
        return session.scalar(select(Device.backlog).where(Device.id == "gate-7"))


def test_the_journal_reaches_the_server_exactly_once_across_an_outage(
    server: BaseWSGIServer,
    database: Database,
    tmp_path: Path,
    signing_keys_file: str,
    provisioning_token: str,
) -> None:
    url = f"http://127.0.0.1:{server.server_port}"
    clock = ManualClock(datetime.now(UTC))
    store = Store.open(tmp_path / "agent.db")
    trusted = load_keyring(Path(signing_keys_file)).key_set(clock.now())
    keeper = BundleKeeper(store, trusted, clock)
    config = replace(agent_config(), trusted_keys=trusted, server_urls=(DEAD_URL, url))
    runtime = Runtime(config, store, keeper, [RecordingGate()], clock)
    sync = SyncClient(config.server_urls, store, keeper, clock, interval_s=30)
    with pytest.raises(SyncError) as unprovisioned:
        sync.sync_once()
    assert unprovisioned.value.code == "not_provisioned"
    assert provision(url, provisioning_token, store)["device_id"] == "gate-7"

    first = sync.sync_once()  # the dead URL first: failover to the live one
    assert (first.server, first.bundle, first.uploaded) == (url, "new", 0)
    _taps(runtime, clock, 1200, 1)  # more than two upload batches
    second = sync.sync_once()
    assert (second.uploaded, second.acked_sequence, second.bundle) == (1200, 1200, "unchanged")
    assert store.journal_counts().ready == 0
    assert _server_taps(database) == (1200, 1200)
    assert _reported_backlog(database) == 0  # what is left once the last batch is stored

    down = SyncClient((DEAD_URL,), store, keeper, clock, interval_s=30)
    _taps(runtime, clock, 50, 2000)
    with pytest.raises(SyncError) as outage:
        down.sync_once()
    assert outage.value.code == "no_server"
    assert down.failures == 1
    assert 30 <= down.backoff_s() <= 90
    assert store.journal_counts().ready + store.journal_counts().in_flight == 50

    back = sync.sync_once()
    assert (back.uploaded, back.acked_sequence) == (50, 1250)
    assert _server_taps(database) == (1250, 1250)
    assert back.clock_skew_ms is not None
    store.close()
