"""The ``faregate-agent`` command: ``run`` a validator, print its ``status`` as JSON,
``provision`` it with a one-time token from an operator, and on a bus ``trip set
TRIP_INSTANCE`` / ``trip clear`` / ``trip end``: the driver's choice of the current trip,
which the running agent follows from its next tap (``validator_agent.driver_trips``); these
print the bus's trip after the command as JSON.

Errors print ``{"error": {"code": ..., "message": ...}}`` on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from fares.errors import CodedError
from validator_agent.bootstrap import build_agent, run_agent
from validator_agent.bundles import stored_bundle
from validator_agent.clock import Clock, SystemClock
from validator_agent.config import load_config
from validator_agent.devices import DeviceFactory, HardwareDevices
from validator_agent.driver_trips import clear_trip, end_trip, set_trip, stored_trip, trip_report
from validator_agent.status import agent_status, store_health
from validator_agent.store import Store
from validator_agent.sync import provision


def main(
    argv: Sequence[str] | None = None,
    devices: DeviceFactory | None = None,
    clock: Clock | None = None,
) -> int:
    """Parse the command line and run one command; the process exit status."""
    args = _parser().parse_args(argv)
    clock = clock or SystemClock()
    try:
        if args.command == "run":
            return _run(args.config, devices, clock)
        if args.command == "provision":
            return _provision(args.config, args.url, args.token)
        if args.command == "trip":
            return _trip(args.config, args.action, getattr(args, "trip_instance", ""), clock)
        return _status(args.config, clock)
    except CodedError as error:
        print(json.dumps({"error": {"code": error.code, "message": error.message}}),
              file=sys.stderr)  # fmt: skip
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faregate-agent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "run the validator"),
        ("status", "print status as JSON"),
        ("provision", "trade an operator's one-time token for this device's token"),
    ):
        command = _with_config(commands.add_parser(name, help=text))
        if name == "provision":
            command.add_argument("url", help="the server's base URL")
            command.add_argument("token", help="the one-time provisioning token")
    trip = commands.add_parser("trip", help="a bus driver's choice of the current trip")
    actions = trip.add_subparsers(dest="action", required=True)
    for name, text in (
        ("set", "run TRIP_INSTANCE until cleared or ended"),
        ("clear", "follow the timetable again"),
        ("end", "finish the current trip: the next one follows"),
    ):
        action = _with_config(actions.add_parser(name, help=text))
        if name == "set":
            action.add_argument("trip_instance", help="TRIP@YYYY-MM-DD, as the bundle names it")
    return parser


def _with_config(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument("--config", type=Path, required=True, help="agent TOML file")
    return command


def _run(config_path: Path, devices: DeviceFactory | None, clock: Clock) -> int:
    config = load_config(config_path)
    agent = build_agent(config, devices or HardwareDevices(), clock)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_agent(agent, stopping, config.sync_interval_s)
    return 0


def _provision(config_path: Path, url: str, token: str) -> int:
    config = load_config(config_path)
    store = Store.open(config.store_path)
    try:
        device = provision(url, token, store)
    finally:
        store.close()
    print(json.dumps({"provisioned": device}, indent=2))
    return 0


def _status(config_path: Path, clock: Clock) -> int:
    config = load_config(config_path)
    store = Store.open(config.store_path)
    try:
        now = clock.now()
        health = store_health(store, config.store_path, now)
        report = {"device_id": config.device_id, **agent_status(store), "store": health}
        bundle = stored_bundle(store, config.trusted_keys, now)
        report["trip"] = trip_report(config, stored_trip(store, bundle, config, now))
    finally:
        store.close()
    print(json.dumps(report, indent=2))
    return 0


def _trip(config_path: Path, action: str, trip_instance: str, clock: Clock) -> int:
    config = load_config(config_path)
    store = Store.open(config.store_path)
    try:
        now = clock.now()
        bundle = stored_bundle(store, config.trusted_keys, now)
        if action == "set":
            current = set_trip(store, bundle, config, trip_instance, now)
        elif action == "clear":
            current = clear_trip(store, bundle, config, now)
        else:
            current = end_trip(store, bundle, config, now)
    finally:
        store.close()
    print(json.dumps({"trip": trip_report(config, current)}, indent=2))
    return 0
