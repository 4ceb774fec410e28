"""Building readers and gates from configuration strings, without opening any device."""

from __future__ import annotations

import pytest

from hardware.device_config import DeviceConfigError
from hardware.drivers import build_gate, build_reader
from hardware.feedback import ConsoleDisplayGate, LogGate
from hardware.keyboard_wedge import KeyboardWedgeReader
from hardware.nfc_reader import NfcpyReader
from hardware.serial_gate import SerialRelayGate
from hardware.serial_scanner import SerialScanner


def test_an_nfc_string_builds_an_nfcpy_reader_polling_its_targets() -> None:
    reader = build_reader("nfc:udp:localhost:54321?tech=106A,212F", name="gate-3-nfc")
    assert isinstance(reader, NfcpyReader)
    assert (reader.name, reader.path) == ("gate-3-nfc", "udp:localhost:54321")
    assert reader.technologies == ("106A", "212F")
    assert not reader.alive()


def test_a_serial_string_builds_a_scanner_named_after_its_device_by_default() -> None:
    reader = build_reader("serial:socket://scanner:4001?baud=19200")
    assert isinstance(reader, SerialScanner)
    assert (reader.name, reader.url, reader.baudrate) == (
        "serial:socket://scanner:4001",
        "socket://scanner:4001",
        19200,
    )


def test_a_wedge_string_builds_a_keyboard_wedge() -> None:
    assert isinstance(build_reader("wedge:stdin"), KeyboardWedgeReader)


@pytest.mark.parametrize(
    ("config", "kind"),
    [("relay:/dev/ttyUSB0", SerialRelayGate), ("log:", LogGate), ("console:", ConsoleDisplayGate)],
)
def test_gate_strings_build_their_gate(config: str, kind: type) -> None:
    gate = build_gate(config, name="gate-3")
    assert isinstance(gate, kind)
    assert gate.name == "gate-3"
    gate.close()


def test_a_bad_string_is_refused_before_anything_is_built() -> None:
    with pytest.raises(DeviceConfigError) as raised:
        build_reader("nfc:usb?tech=999Z")
    assert raised.value.code == "device_config_bad_tech"
