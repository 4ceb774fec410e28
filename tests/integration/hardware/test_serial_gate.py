"""A serial gate controller on a real pseudo-terminal: frames on the wire, hang-ups survived."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

import pytest

from hardware.gate_frame import DecodedFrame, decode_frame, frame_length
from hardware.ports import GateCommand, Verdict
from hardware.reconnect import ReconnectPolicy
from hardware.serial_gate import SerialRelayGate
from tests.integration.hardware.conftest import Pty, open_pty, point

pytestmark = pytest.mark.timeout(30)
FAST = ReconnectPolicy(initial=0.01, maximum=0.05)


def read_frame(pty: Pty, timeout: float = 2.0) -> bytes:
    """Read one whole frame from the controller's end, using its length byte."""
    data = b""
    while True:
        needed = frame_length(data)
        if needed is not None and len(data) >= needed:
            return data
        ready, _, _ = select.select([pty.master], [], [], timeout)
        assert ready, f"no frame within {timeout} s (got {data!r})"
        data += os.read(pty.master, 64)


def test_writes_one_checked_frame_per_command(ptys: list[Pty]) -> None:
    pty = open_pty()
    ptys.append(pty)
    gate = SerialRelayGate("gate-1", pty.path, policy=FAST)
    try:
        gate.show(GateCommand(Verdict.OPEN, "Bon voyage"))
        assert decode_frame(read_frame(pty)) == DecodedFrame(Verdict.OPEN, "Bon voyage")
        gate.show(GateCommand(Verdict.DENY, "Ticket expired"))
        assert decode_frame(read_frame(pty)) == DecodedFrame(Verdict.DENY, "Ticket expired")
        gate.show(GateCommand(Verdict.OUT_OF_SERVICE))
        assert decode_frame(read_frame(pty)) == DecodedFrame(Verdict.OUT_OF_SERVICE, "")
    finally:
        gate.close()


def test_survives_a_hang_up_and_writes_to_the_device_once_it_is_back(
    ptys: list[Pty], device_link: Path
) -> None:
    first = open_pty()
    ptys.append(first)
    point(device_link, first)
    gate = SerialRelayGate("gate-1", str(device_link), policy=FAST)
    try:
        gate.show(GateCommand(Verdict.OPEN, "first"))
        assert decode_frame(read_frame(first)).message == "first"
        first.hang_up()
        device_link.unlink()
        gate.show(GateCommand(Verdict.DENY, "lost"))  # must not raise
        assert not gate.healthy()
        second = open_pty()
        ptys.append(second)
        point(device_link, second)
        deadline = time.monotonic() + 5
        while not gate.healthy() and time.monotonic() < deadline:
            time.sleep(0.02)  # reopen attempts are spaced by the policy, never waited for
            gate.show(GateCommand(Verdict.OPEN, "back"))
        assert decode_frame(read_frame(second)) == DecodedFrame(Verdict.OPEN, "back")
    finally:
        gate.close()


def test_a_gate_whose_device_never_existed_only_logs(tmp_path: Path) -> None:
    gate = SerialRelayGate("gate-1", str(tmp_path / "absent"), policy=FAST)
    gate.show(GateCommand(Verdict.OPEN, "nobody listens"))
    gate.close()
    gate.close()
    assert not gate.healthy()
