"""A serial scanner on a real pseudo-terminal: line reassembly, hang-up and reconnection."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hardware.ports import MediaEvent, Technology
from hardware.reconnect import ReconnectPolicy
from hardware.serial_scanner import SerialScanner
from tests.integration.hardware.conftest import Pty, open_pty, point
from tests.unit.hardware.sink import EventSink, wait_until

pytestmark = pytest.mark.timeout(30)
FIXED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
FAST = ReconnectPolicy(initial=0.05, maximum=0.2)


def scanner_on(path: str | Path) -> SerialScanner:
    return SerialScanner("scanner-1", str(path), clock=lambda: FIXED, policy=FAST)


def test_reassembles_partial_lines_into_one_event_per_code(ptys: list[Pty]) -> None:
    pty = open_pty()
    ptys.append(pty)
    scanner, sink = scanner_on(pty.path), EventSink()
    scanner.start(sink)
    try:
        wait_until(scanner.healthy)
        pty.write(b"FG1:AB")
        time.sleep(0.25)  # longer than the read timeout: the driver sees a partial line
        pty.write(b"CD\r\nFG1:")
        time.sleep(0.25)
        pty.write(b"XYZ\n\r\n")
        events = sink.wait_for(2)
    finally:
        scanner.stop()
    assert [event.payload for event in events] == ["FG1:ABCD", "FG1:XYZ"]
    assert all(event.technology is Technology.QR for event in events)
    assert all(event.source == "scanner-1" and event.at == FIXED for event in events)
    assert all(event.uid is None for event in events)


def test_reconnects_after_a_hang_up_when_the_device_comes_back(
    ptys: list[Pty], device_link: Path
) -> None:
    first = open_pty()
    ptys.append(first)
    point(device_link, first)
    scanner, sink = scanner_on(device_link), EventSink()
    scanner.start(sink)
    try:
        wait_until(scanner.healthy)
        first.write(b"before\r\n")
        sink.wait_for(1)
        first.hang_up()
        wait_until(lambda: not scanner.healthy())
        second = open_pty()
        ptys.append(second)
        point(device_link, second)
        wait_until(scanner.healthy)
        second.write(b"after\r\n")
        events = sink.wait_for(2)
    finally:
        scanner.stop()
    assert [event.payload for event in events] == ["before", "after"]


def test_keeps_retrying_a_missing_device_and_stops_promptly(tmp_path: Path) -> None:
    scanner = scanner_on(tmp_path / "absent")
    scanner.start(EventSink())
    time.sleep(0.3)
    assert scanner.alive()
    assert not scanner.healthy()
    started = time.monotonic()
    scanner.stop()
    assert time.monotonic() - started < 1.0
    assert not scanner.alive()
    assert not scanner.crashed()


def test_a_failing_callback_does_not_stop_the_scanner(ptys: list[Pty]) -> None:
    pty = open_pty()
    ptys.append(pty)
    sink = EventSink()

    def flaky(event: MediaEvent) -> None:
        sink(event)
        if len(sink.events) == 1:
            raise RuntimeError("runtime bug")

    scanner = scanner_on(pty.path)
    scanner.start(flaky)
    try:
        wait_until(scanner.healthy)
        pty.write(b"one\rtwo\r")
        events = sink.wait_for(2)
    finally:
        scanner.stop()
    assert [event.payload for event in events] == ["one", "two"]


def test_reads_a_scanner_behind_a_tcp_serial_bridge() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(5)
        port = server.getsockname()[1]
        scanner, sink = scanner_on(f"socket://127.0.0.1:{port}"), EventSink()
        scanner.start(sink)
        try:
            first, _ = server.accept()
            with first:
                wait_until(scanner.healthy)  # opening flushes input: send after it
                first.sendall(b"over tcp\r\n")
                sink.wait_for(1)
            wait_until(lambda: not scanner.healthy())  # the bridge dropped the connection
            second, _ = server.accept()
            with second:
                wait_until(scanner.healthy)
                second.sendall(b"after reconnect\r\n")
                events = sink.wait_for(2)
        finally:
            scanner.stop()
    assert [event.payload for event in events] == ["over tcp", "after reconnect"]


@pytest.mark.hardware
@pytest.mark.skipif(
    not os.environ.get("FAREGATE_SCANNER_DEVICE"),
    reason="set FAREGATE_SCANNER_DEVICE to a scanner's serial device or URL",
)
def test_a_physical_scanner_reads_a_scanned_code() -> None:
    """Scan any code within 20 s of the test's start."""
    scanner = SerialScanner("scanner-hw", os.environ["FAREGATE_SCANNER_DEVICE"])
    sink = EventSink()
    scanner.start(sink)
    try:
        wait_until(scanner.healthy, timeout=10)
        (event,) = sink.wait_for(1, timeout=20)
    finally:
        scanner.stop()
    assert isinstance(event.payload, str)
    assert event.payload
