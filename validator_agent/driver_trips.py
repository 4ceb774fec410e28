"""A bus driver's say over the current trip, and the running agent's view of it.

The driver's commands (``faregate-agent trip set|clear|end``) run in a process of their own
and write the agent store (``validator_agent.driver_trip_table``); the running agent's
``TripKeeper`` reads the store's change count on each tap and rereads the commands only when
it moved, so a tap after a command is judged and journaled against the driver's trip.

- ``set TRIP_INSTANCE``: the bus runs that trip instance until cleared or ended (or until it
  lapses, see ``validator_agent.trip_timetable``). It must be one the bundle in force knows:
  on any vehicle's list (a replacement bus takes over another's trips) or with a reserved-trip
  manifest.
- ``clear``: back to the timetable.
- ``end``: the current trip, and every trip before it on the vehicle's list, are finished;
  the timetable's next one becomes current.

Refusals are ``TripError`` with a stable code, and change nothing: ``not_a_bus``,
``no_bundle`` (no verified bundle to check the trip against), ``invalid_trip_instance`` (not
``TRIP@YYYY-MM-DD[THH:MM:SS]``, or too long to journal), ``unknown_trip_instance``,
``trip_over`` (the trip ended longer ago than the driver's hold), ``no_current_trip``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from fares.bundle import RuleBundle
from fares.rules import DeviceRole
from validator_agent.config import AgentConfig
from validator_agent.driver_trip_table import DriverTrips
from validator_agent.errors import JournalError, TripError
from validator_agent.journal import MAX_TRIP_INSTANCE
from validator_agent.store import Store
from validator_agent.trip_timetable import (
    CurrentTrip,
    TripSettings,
    TripSource,
    choice_lapsed,
    day_over,
    select_trip,
    trips_ended_by,
)

log = logging.getLogger(__name__)
FORGET_FINISHED = timedelta(days=3)  # finished trips are kept this long, beyond any bundle's days
_TRIP_KEY = re.compile(r".+@\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?")


class TripKeeper:
    """The running agent's view of its bus's trip: the bundle's timetable and the driver's
    commands, reread from the store when its change count moves."""

    def __init__(self, store: Store, vehicle_id: str, settings: TripSettings) -> None:
        self._store, self._vehicle_id, self._settings = store, vehicle_id, settings
        self._driver = DriverTrips(None, frozenset(), -1)

    def current(self, bundle: RuleBundle | None, at: datetime) -> CurrentTrip | None:
        """The bus's trip at ``at``."""
        try:
            if self._store.driver_trip_changes() != self._driver.changes:
                self._driver = self._store.driver_trips()
        except JournalError as error:  # keep the commands last read; the tap goes on
            log.warning("driver trip commands unreadable: %s", error.code)
        return current_trip(bundle, self._vehicle_id, at, self._driver, self._settings)


def current_trip(
    bundle: RuleBundle | None,
    vehicle_id: str,
    at: datetime,
    driver: DriverTrips,
    settings: TripSettings,
) -> CurrentTrip | None:
    """The bus's trip at ``at``; with no bundle, only the driver's choice (until its day ends)."""
    if bundle is not None:
        return select_trip(
            bundle, vehicle_id, at, driver.chosen, driver.finished, settings=settings
        )
    if driver.chosen is not None and not day_over(driver.chosen, at):
        return CurrentTrip(driver.chosen, TripSource.DRIVER)
    return None


def set_trip(
    store: Store, bundle: RuleBundle | None, config: AgentConfig, trip: str, at: datetime
) -> CurrentTrip | None:
    """The driver's ``trip set``: run ``trip`` from now on; the bus's trip after it."""
    vehicle = bus_vehicle(config)
    if bundle is None:
        raise TripError("no_bundle", "no verified rule bundle to check the trip against yet")
    if len(trip) > MAX_TRIP_INSTANCE or not _TRIP_KEY.fullmatch(trip):
        raise TripError("invalid_trip_instance", f"{trip!r} is not TRIP@YYYY-MM-DD")
    listed = any(trip in trips for trips in bundle.vehicle_trips.values())
    if not listed and trip not in bundle.manifests:
        raise TripError(
            "unknown_trip_instance",
            f"{trip} is on no vehicle's list and has no manifest in bundle {bundle.version}",
        )
    if choice_lapsed(bundle, trip, at, config.trips):
        raise TripError("trip_over", f"{trip} ended too long ago to be run now")
    store.change_driver_trips(trip, (), at, at - FORGET_FINISHED)
    return current_trip(bundle, vehicle, at, store.driver_trips(), config.trips)


def clear_trip(
    store: Store, bundle: RuleBundle | None, config: AgentConfig, at: datetime
) -> CurrentTrip | None:
    """The driver's ``trip clear``: follow the timetable again; the bus's trip after it."""
    vehicle = bus_vehicle(config)
    store.change_driver_trips(None, (), at, at - FORGET_FINISHED)
    return current_trip(bundle, vehicle, at, store.driver_trips(), config.trips)


def end_trip(
    store: Store, bundle: RuleBundle | None, config: AgentConfig, at: datetime
) -> CurrentTrip | None:
    """The driver's ``trip end``: finish the current trip; the bus's next one."""
    vehicle = bus_vehicle(config)
    current = current_trip(bundle, vehicle, at, store.driver_trips(), config.trips)
    if current is None:
        raise TripError("no_current_trip", "the bus runs no trip now: there is none to end")
    ended = [current.instance]
    if bundle is not None:
        ended = trips_ended_by(bundle, vehicle, current.instance)
    store.change_driver_trips(None, ended, at, at - FORGET_FINISHED)
    return current_trip(bundle, vehicle, at, store.driver_trips(), config.trips)


def stored_trip(
    store: Store, bundle: RuleBundle | None, config: AgentConfig, at: datetime
) -> CurrentTrip | None:
    """The bus's trip at ``at`` by ``bundle`` and the stored commands (None at a gate)."""
    if config.role is not DeviceRole.BUS or config.vehicle_id is None:
        return None
    return current_trip(bundle, config.vehicle_id, at, store.driver_trips(), config.trips)


def bus_vehicle(config: AgentConfig) -> str:
    """The vehicle of a bus validator; ``not_a_bus`` for any other."""
    if config.role is not DeviceRole.BUS or config.vehicle_id is None:
        raise TripError("not_a_bus", f"device {config.device_id} is not a bus validator")
    return config.vehicle_id


def trip_report(config: AgentConfig, current: CurrentTrip | None) -> dict[str, object] | None:
    """The ``trip`` part of status and of the trip commands' output (None at a gate)."""
    if config.role is not DeviceRole.BUS:
        return None
    return {
        "vehicle_id": config.vehicle_id,
        "instance": None if current is None else current.instance,
        "source": None if current is None else current.source.value,
    }
