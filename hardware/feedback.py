"""Gates without a relay: a log of commands, and a console display with a buzzer pattern."""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from hardware.ports import GateCommand, Verdict

log = logging.getLogger(__name__)
# The buzzer: one beep lets a traveller through, three say no, a long tone says closed.
BEEPS: dict[Verdict, str] = {
    Verdict.OPEN: "beep",
    Verdict.DENY: "beep beep beep",
    Verdict.OUT_OF_SERVICE: "beeeeep",
}
DISPLAY_WIDTH = 32


class LogGate:
    """Log each command at INFO; for validators without an actuator, and for tests."""

    def __init__(self, name: str = "log", logger: logging.Logger | None = None) -> None:
        self.name = name
        self._log = logger or log

    def show(self, command: GateCommand) -> None:
        """Log ``command``."""
        self._log.info("gate %s: %s %s", self.name, command.verdict.value, command.message)

    def close(self) -> None:
        """Nothing to release."""


class ConsoleDisplayGate:
    """Write the display text and the buzzer pattern as one line per command to a stream."""

    def __init__(self, name: str = "console", stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream
        self._lock = threading.Lock()

    def show(self, command: GateCommand) -> None:
        """Write ``[VERDICT] message  (beeps)``; a failing stream is logged, never raised."""
        text = " ".join(command.message.split())[:DISPLAY_WIDTH]
        line = f"[{command.verdict.value.upper()}] {text}  ({BEEPS[command.verdict]})\n"
        stream = self._stream if self._stream is not None else sys.stdout
        with self._lock:
            try:
                stream.write(line)
                stream.flush()
            except (OSError, ValueError) as error:
                log.warning("console gate %s cannot write: %s", self.name, error)

    def close(self) -> None:
        """Nothing to release: the stream belongs to the caller."""
