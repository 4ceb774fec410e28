"""The ``faregate-agent`` command: ``run`` a validator, print its ``status`` as JSON,
``provision`` it with a one-time token from an operator.

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
from validator_agent.clock import SystemClock
from validator_agent.config import load_config
from validator_agent.devices import DeviceFactory, HardwareDevices
from validator_agent.status import agent_status, store_health
from validator_agent.store import Store
from validator_agent.sync import provision


def main(argv: Sequence[str] | None = None, devices: DeviceFactory | None = None) -> int:
    """Parse the command line and run one command; the process exit status."""
    parser = argparse.ArgumentParser(prog="faregate-agent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "run the validator"),
        ("status", "print status as JSON"),
        ("provision", "trade an operator's one-time token for this device's token"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", type=Path, required=True, help="agent TOML file")
        if name == "provision":
            command.add_argument("url", help="the server's base URL")
            command.add_argument("token", help="the one-time provisioning token")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.config, devices)
        if args.command == "provision":
            return _provision(args.config, args.url, args.token)
        return _status(args.config)
    except CodedError as error:
        print(json.dumps({"error": {"code": error.code, "message": error.message}}),
              file=sys.stderr)  # fmt: skip
        return 2


def _run(config_path: Path, devices: DeviceFactory | None) -> int:
    config = load_config(config_path)
    agent = build_agent(config, devices or HardwareDevices(), SystemClock())
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


def _status(config_path: Path) -> int:
    config = load_config(config_path)
    store = Store.open(config.store_path)
    try:
        health = store_health(store, config.store_path, SystemClock().now())
        report = {"device_id": config.device_id, **agent_status(store), "store": health}
    finally:
        store.close()
    print(json.dumps(report, indent=2))
    return 0
