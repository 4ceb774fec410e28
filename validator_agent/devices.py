"""The seam where readers and gates are built from configuration strings.

The agent asks a ``DeviceFactory`` for one reader per ``devices.readers`` string (e.g.
``nfc:udp:localhost:54321?tech=212F``, ``serial:/dev/ttyACM0``, ``wedge:stdin``) and one gate
per ``devices.gates`` string (``relay:/dev/ttyUSB0``, ``log:``, ``console:``). The production
factory delegates to ``hardware.drivers``, whose ``build_reader(spec)`` and
``build_gate(spec)`` own the parsing of those strings; tests pass a factory of fakes.
"""

from __future__ import annotations

import importlib
from typing import Protocol, cast

from hardware.ports import Gate, MediaReader
from validator_agent.errors import DriverError


class DeviceFactory(Protocol):
    """Builds devices from their configuration strings; raises ``DriverError``."""

    def reader(self, spec: str) -> MediaReader:
        """A reader for ``spec``."""

    def gate(self, spec: str) -> Gate:
        """A gate for ``spec``."""


class HardwareDevices:
    """The ``hardware.drivers`` factory of real devices."""

    def __init__(self) -> None:
        try:
            self._drivers = importlib.import_module("hardware.drivers")
        except ImportError as error:
            raise DriverError("drivers_unavailable", f"hardware.drivers: {error}") from error

    def reader(self, spec: str) -> MediaReader:
        """A reader built by ``hardware.drivers.build_reader``."""
        return cast(MediaReader, self._call("build_reader", spec))

    def gate(self, spec: str) -> Gate:
        """A gate built by ``hardware.drivers.build_gate``."""
        return cast(Gate, self._call("build_gate", spec))

    def _call(self, name: str, spec: str) -> object:
        build = getattr(self._drivers, name, None)
        if build is None:
            raise DriverError("drivers_unavailable", f"hardware.drivers has no {name}")
        try:
            return build(spec)
        except ValueError as error:
            raise DriverError("bad_device_spec", f"{spec!r}: {error}") from error
