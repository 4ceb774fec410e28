"""The production device factory builds the hardware drivers from configuration strings."""

from __future__ import annotations

import pytest

from hardware.feedback import LogGate
from hardware.serial_scanner import SerialScanner
from validator_agent.devices import HardwareDevices
from validator_agent.errors import DriverError


def test_configuration_strings_become_hardware_drivers() -> None:
    devices = HardwareDevices()
    assert isinstance(devices.gate("log:"), LogGate)
    scanner = devices.reader("serial:socket://127.0.0.1:9?baud=9600")
    assert isinstance(scanner, SerialScanner)
    assert not scanner.healthy()  # built, not started: nothing is opened yet


def test_a_bad_configuration_string_is_a_driver_error_with_its_code() -> None:
    with pytest.raises(DriverError) as refused:
        HardwareDevices().reader("laser:pointer")
    assert refused.value.code == "device_config_unknown_kind"
