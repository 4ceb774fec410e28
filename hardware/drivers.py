"""Build readers and gates from configuration strings (grammar in ``hardware.device_config``).

``build_reader("nfc:usb?tech=106A,212F", name="gate-1-nfc")`` gives an ``NfcpyReader``;
``build_gate("relay:/dev/serial/by-id/usb-gate")`` a ``SerialRelayGate``. A string that does
not parse raises ``DeviceConfigError`` with a stable ``code``; nothing is opened here, the
readers open their devices once started.
"""

from __future__ import annotations

from hardware.clock import Clock, utc_now
from hardware.device_config import (
    ConsoleGateSpec,
    LogGateSpec,
    NfcReaderSpec,
    RelayGateSpec,
    SerialReaderSpec,
    WedgeReaderSpec,
    parse_gate,
    parse_reader,
)
from hardware.feedback import ConsoleDisplayGate, LogGate
from hardware.keyboard_wedge import KeyboardWedgeReader
from hardware.nfc_reader import NfcpyReader
from hardware.ports import Gate
from hardware.reader_thread import ReaderThread
from hardware.reconnect import ReconnectPolicy
from hardware.serial_gate import SerialRelayGate
from hardware.serial_scanner import SerialScanner


def build_reader(
    config: str,
    name: str | None = None,
    *,
    clock: Clock = utc_now,
    policy: ReconnectPolicy | None = None,
) -> ReaderThread:
    """The reader ``config`` names, called ``name`` (default: ``config`` without options)."""
    spec = parse_reader(config)
    label = name or config.strip().partition("?")[0]
    match spec:
        case NfcReaderSpec(path, technologies):
            return NfcpyReader(label, path, technologies, clock=clock, policy=policy)
        case SerialReaderSpec(url, baudrate):
            return SerialScanner(label, url, baudrate, clock=clock, policy=policy)
        case WedgeReaderSpec():
            return KeyboardWedgeReader(label, clock=clock)


def build_gate(
    config: str, name: str | None = None, *, policy: ReconnectPolicy | None = None
) -> Gate:
    """The gate ``config`` names, called ``name`` (default: ``config`` without options)."""
    spec = parse_gate(config)
    label = name or config.strip().partition("?")[0]
    match spec:
        case RelayGateSpec(url, baudrate):
            return SerialRelayGate(label, url, baudrate, policy=policy)
        case LogGateSpec():
            return LogGate(label)
        case ConsoleGateSpec():
            return ConsoleDisplayGate(label)
