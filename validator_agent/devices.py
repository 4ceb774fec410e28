"""The seam where readers and gates are built from configuration strings.

The agent asks a ``DeviceFactory`` for one reader per ``devices.readers`` string (e.g.
``nfc:udp:localhost:54321?tech=212F``, ``serial:/dev/ttyACM0``, ``wedge:stdin``) and one gate
per ``devices.gates`` string (``relay:/dev/ttyUSB0``, ``log:``, ``console:``). The production
factory delegates to ``hardware.drivers``, whose ``build_reader(spec)`` and
``build_gate(spec)`` own the parsing of those strings; tests pass a factory of fakes.
"""

from __future__ import annotations

from typing import Protocol

from hardware.device_config import DeviceConfigError
from hardware.drivers import build_gate, build_reader
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

    def reader(self, spec: str) -> MediaReader:
        """A reader built by ``hardware.drivers.build_reader``."""
        try:
            return build_reader(spec)
        except DeviceConfigError as error:
            raise DriverError(error.code, f"{spec!r}: {error}") from error

    def gate(self, spec: str) -> Gate:
        """A gate built by ``hardware.drivers.build_gate``."""
        try:
            return build_gate(spec)
        except DeviceConfigError as error:
            raise DriverError(error.code, f"{spec!r}: {error}") from error
