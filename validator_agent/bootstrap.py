"""Wire one agent from its config: store, bundle keeper, devices and runtime; run it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from hardware.ports import Gate, MediaReader
from validator_agent.bundles import BundleKeeper
from validator_agent.clock import Clock
from validator_agent.config import AgentConfig
from validator_agent.devices import DeviceFactory
from validator_agent.errors import JournalError, SyncError
from validator_agent.runtime import Runtime
from validator_agent.store import Store
from validator_agent.sync import SyncClient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Agent:
    """A wired agent: its store, runtime, readers and sync client."""

    store: Store
    runtime: Runtime
    readers: tuple[MediaReader, ...]
    sync: SyncClient
    clock: Clock


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
    sync = SyncClient(
        config.server_urls, store, keeper, clock, interval_s=float(config.sync_interval_s)
    )
    return Agent(store, Runtime(config, store, keeper, gates, clock), readers, sync, clock)


def run_agent(agent: Agent, stopping: threading.Event, housekeeping_s: float) -> None:
    """Run until ``stopping`` is set: taps on the readers' threads, a sync job in a scheduler
    (at once, then every sync interval, backing off while no server answers), housekeeping
    every ``housekeeping_s`` seconds."""
    scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": _JobsKeptAtShutdown()})
    scheduler.start()
    scheduler.add_job(
        _sync_job(agent),
        "interval",
        seconds=agent.sync.interval_s,
        next_run_time=datetime.now(UTC),
        name="sync",
        max_instances=1,
        coalesce=True,
    )
    agent.runtime.start(agent.readers)
    try:
        while not stopping.wait(housekeeping_s):
            agent.runtime.maintain()
    finally:
        scheduler.shutdown(wait=True)
        agent.runtime.stop()
        agent.store.close()


class _JobsKeptAtShutdown(MemoryJobStore):  # type: ignore[misc]
    """APScheduler's memory job store, left as it is at shutdown.

    The stock store empties itself when the scheduler shuts down, which can happen while the
    scheduler's thread is still updating the job it has just started; that thread then finds
    no job and fails. The job goes with the process anyway.
    """

    def shutdown(self) -> None:
        """Keep the job: see the class docstring."""


def _sync_job(agent: Agent) -> Callable[[], None]:
    """The sync job: run every sync interval, it syncs unless a failed sync's backoff (with
    its jitter) has not run out yet."""
    sync = agent.sync
    not_before = agent.clock.now()

    def run() -> None:
        nonlocal not_before
        if agent.clock.now() < not_before:
            return  # backing off
        try:
            report = sync.sync_once()
            log.info("synced with %s: %d taps up, bundle %s", report.server, report.uploaded,
                     report.bundle)  # fmt: skip
        except (SyncError, JournalError) as error:
            # A store that cannot write (a full disk) fails this sync, not every later one:
            # rows the server acknowledged are sent again next time and stored once.
            log.warning("sync failed (%s): %s", error.code, error.message)
        backoff = sync.backoff_s() if sync.failures else 0.0
        not_before = agent.clock.now() + timedelta(seconds=backoff)

    return run
