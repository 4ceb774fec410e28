"""Wire one agent from its config: store, bundle keeper, devices and runtime; run it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

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
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    _schedule_sync(scheduler, agent, 0.0)
    agent.runtime.start(agent.readers)
    try:
        while not stopping.wait(housekeeping_s):
            agent.runtime.maintain()
    finally:
        scheduler.shutdown(wait=True)
        agent.runtime.stop()
        agent.store.close()


def _schedule_sync(scheduler: BackgroundScheduler, agent: Agent, delay_s: float) -> None:
    """Run one sync after ``delay_s`` seconds; each sync schedules the next."""
    sync = agent.sync

    def run() -> None:
        try:
            report = sync.sync_once()
            log.info("synced with %s: %d taps up, bundle %s", report.server, report.uploaded,
                     report.bundle)  # fmt: skip
        except (SyncError, JournalError) as error:
            # A store that cannot write (a full disk) fails this sync, not every later one:
            # rows the server acknowledged are sent again next time and stored once.
            log.warning("sync failed (%s): %s", error.code, error.message)
        if scheduler.running:
            _schedule_sync(scheduler, agent, sync.backoff_s())

    when = agent.clock.now() + timedelta(seconds=delay_s)
    scheduler.add_job(run, "date", run_date=when, id="sync", replace_existing=True)
