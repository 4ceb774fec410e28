"""The log gate and the console display with its buzzer pattern."""

from __future__ import annotations

import io
import logging

import pytest

from hardware.feedback import ConsoleDisplayGate, LogGate
from hardware.ports import GateCommand, Verdict


def test_the_console_beeps_once_to_open_and_three_times_to_deny() -> None:
    screen = io.StringIO()
    gate = ConsoleDisplayGate("console", screen)
    gate.show(GateCommand(Verdict.OPEN, "Have a good trip"))
    gate.show(GateCommand(Verdict.DENY, "Ticket expired"))
    gate.show(GateCommand(Verdict.OUT_OF_SERVICE, "Closed"))
    assert screen.getvalue().splitlines() == [
        "[OPEN] Have a good trip  (beep)",
        "[DENY] Ticket expired  (beep beep beep)",
        "[OUT_OF_SERVICE] Closed  (beeeeep)",
    ]


def test_the_console_shows_one_line_of_at_most_the_display_width() -> None:
    screen = io.StringIO()
    ConsoleDisplayGate("console", screen).show(GateCommand(Verdict.DENY, "a\nb " + "x" * 50))
    (line,) = screen.getvalue().splitlines()
    assert line == "[DENY] a b " + "x" * 28 + "  (beep beep beep)"


def test_a_closed_console_stream_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    screen = io.StringIO()
    screen.close()
    ConsoleDisplayGate("console", screen).show(GateCommand(Verdict.OPEN))
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.getMessage().startswith("console gate console cannot write: ")


def test_the_log_gate_logs_each_command(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    gate = LogGate("gate-7")
    gate.show(GateCommand(Verdict.DENY, "Passback"))
    gate.close()
    assert "gate gate-7: deny Passback" in caplog.messages
