"""Reader and gate configuration strings: every documented form, and each refusal's code."""

from __future__ import annotations

import pytest

from hardware.device_config import (
    ConsoleGateSpec,
    DeviceConfigError,
    LogGateSpec,
    NfcReaderSpec,
    RelayGateSpec,
    SerialReaderSpec,
    WedgeReaderSpec,
    parse_gate,
    parse_reader,
)


@pytest.mark.parametrize(
    ("config", "spec"),
    [
        ("nfc:usb", NfcReaderSpec("usb", ("106A",))),
        ("nfc:usb:054c:06c3", NfcReaderSpec("usb:054c:06c3", ("106A",))),
        ("nfc:tty:USB0:pn532", NfcReaderSpec("tty:USB0:pn532", ("106A",))),
        ("nfc:udp", NfcReaderSpec("udp", ("106A",))),
        (
            "nfc:udp:localhost:54321?tech=106A,212F",
            NfcReaderSpec("udp:localhost:54321", ("106A", "212F")),
        ),
        ("nfc:usb?tech=212f", NfcReaderSpec("usb", ("212F",))),
        ("serial:/dev/ttyACM0", SerialReaderSpec("/dev/ttyACM0", 9600)),
        ("serial:/dev/ttyACM0?baud=115200", SerialReaderSpec("/dev/ttyACM0", 115200)),
        (
            "serial:/dev/serial/by-id/usb-Honeywell_Scanner-if00",
            SerialReaderSpec("/dev/serial/by-id/usb-Honeywell_Scanner-if00", 9600),
        ),
        (
            "serial:socket://scanner.local:4001",
            SerialReaderSpec("socket://scanner.local:4001", 9600),
        ),
        ("serial:hwgrep://0c2e:0b61", SerialReaderSpec("hwgrep://0c2e:0b61", 9600)),
        ("wedge:stdin", WedgeReaderSpec()),
        ("  wedge:stdin ", WedgeReaderSpec()),
    ],
)
def test_reader_forms_parse(config: str, spec: object) -> None:
    assert parse_reader(config) == spec


@pytest.mark.parametrize(
    ("config", "spec"),
    [
        ("relay:/dev/ttyUSB0", RelayGateSpec("/dev/ttyUSB0", 9600)),
        ("relay:/dev/ttyUSB0?baud=19200", RelayGateSpec("/dev/ttyUSB0", 19200)),
        ("relay:socket://10.0.0.5:7000", RelayGateSpec("socket://10.0.0.5:7000", 9600)),
        ("log:", LogGateSpec()),
        ("console:", ConsoleGateSpec()),
        ("console:stdout", ConsoleGateSpec()),
    ],
)
def test_gate_forms_parse(config: str, spec: object) -> None:
    assert parse_gate(config) == spec


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ("", "device_config_empty"),
        ("   ", "device_config_empty"),
        ("usb", "device_config_unknown_kind"),
        ("bluetooth:aa:bb", "device_config_unknown_kind"),
        ("relay:/dev/ttyUSB0", "device_config_unknown_kind"),
        ("nfc:pcsc", "device_config_bad_nfc_path"),
        ("nfc:", "device_config_bad_nfc_path"),
        ("nfc:tty", "device_config_bad_nfc_path"),
        ("nfc:udp:localhost:port", "device_config_bad_nfc_path"),
        ("nfc:udp:localhost:70000", "device_config_bad_nfc_path"),
        ("nfc:usb?tech=106X", "device_config_bad_tech"),
        ("nfc:usb?tech=106A,106A", "device_config_bad_tech"),
        ("nfc:usb?tech=", "device_config_bad_option"),
        ("nfc:usb?baud=9600", "device_config_unknown_option"),
        ("serial:", "device_config_missing_target"),
        ("serial:/dev/ttyACM0?baud=fast", "device_config_bad_baud"),
        ("serial:/dev/ttyACM0?baud=0", "device_config_bad_baud"),
        ("serial:/dev/ttyACM0?baud=9600&baud=9600", "device_config_bad_option"),
        ("serial:/dev/ttyACM0?parity=E", "device_config_unknown_option"),
        ("wedge:", "device_config_bad_target"),
        ("wedge:/dev/tty1", "device_config_bad_target"),
    ],
)
def test_bad_reader_strings_give_their_code(config: str, code: str) -> None:
    with pytest.raises(DeviceConfigError) as raised:
        parse_reader(config)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ("", "device_config_empty"),
        ("nfc:usb", "device_config_unknown_kind"),
        ("relay:", "device_config_missing_target"),
        ("relay:/dev/ttyUSB0?baud=-1", "device_config_bad_baud"),
        ("log:verbose", "device_config_bad_target"),
        ("console:stderr", "device_config_bad_target"),
        ("log:?level=debug", "device_config_unknown_option"),
    ],
)
def test_bad_gate_strings_give_their_code(config: str, code: str) -> None:
    with pytest.raises(DeviceConfigError) as raised:
        parse_gate(config)
    assert raised.value.code == code
