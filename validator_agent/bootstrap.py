"""Wire one agent from its config: store, bundle keeper, devices and runtime; run it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hardware.ports import Gate, MediaReader
from validator_agent.bundles import BundleKeeper
from validator_agent.clock import Clock
from validator_agent.config import AgentConfig
from validator_agent.devices import DeviceFactory
from validator_agent.runtime import Runtime
from validator_agent.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Agent:
    """A wired agent: its store, runtime and readers."""

    store: Store
    runtime: Runtime
    readers: tuple[MediaReader, ...]


def build_agent(config: AgentConfig, devices: DeviceFactory, clock: Clock) -> Agent:
    """Open the store, resume unacked rows, restore the bundle and build the devices."""
    store = Store.open(config.store_path)
    try:
        resumed = store.resume_in_flight()
        if resumed:
            log.info("%d journal rows sent before a restart will be sent again", resumed)
        keeper = BundleKeeper(store, config.trusted_keys, clock)
        if keeper.restore() is None:
            log.warning("no usable rule bundle; policy %s applies", config.failure_policy.value)
        gates: list[Gate] = [devices.gate(spec) for spec in config.gates]
        readers = tuple(devices.reader(spec) for spec in config.readers)
    except BaseException:
        store.close()
        raise
    return Agent(store, Runtime(config, store, keeper, gates, clock), readers)


def run_agent(agent: Agent, stopping: threading.Event, housekeeping_s: float) -> None:
    """Run until ``stopping`` is set, doing housekeeping every ``housekeeping_s`` seconds."""
    agent.runtime.start(agent.readers)
    try:
        while not stopping.wait(housekeeping_s):
            agent.runtime.maintain()
    finally:
        agent.runtime.stop()
        agent.store.close()
