"""Fixtures for the agent's unit tests: an in-memory store and a wired runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.fares.builders import TRUSTED, bundle_blob
from tests.unit.validator_agent.fakes import ManualClock, RecordingGate, agent_config
from validator_agent.bundles import BundleKeeper
from validator_agent.runtime import Runtime
from validator_agent.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(Path(":memory:"))
    yield opened
    opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gate() -> RecordingGate:
    return RecordingGate()


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def make_runtime(store: Store, clock: ManualClock, gate: RecordingGate) -> RuntimeFactory:
    """Build a runtime over the shared store, gate and clock; installs a bundle by default."""

    def build(blob: bytes | None = None, *, install: bool = True, **changes: object) -> Runtime:
        keeper = BundleKeeper(store, TRUSTED, clock)
        runtime = Runtime(agent_config(**changes), store, keeper, [gate], clock)
        if install:
            runtime.install_bundle(bundle_blob() if blob is None else blob)
        return runtime

    return build
