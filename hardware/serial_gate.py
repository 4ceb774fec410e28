"""A gate controller (relay, display, buzzer) on a serial port, driven with version-1 frames.

Each ``GateCommand`` becomes one frame (layout in ``hardware.gate_frame``). ``show`` never
raises and never waits for backoff: a write that fails (hang-up, unplugged adapter) closes
the port and is retried once on a freshly opened port; while the port cannot be opened,
reopen attempts are spaced by the reconnect policy and commands in between are dropped with
a log line, since a stale "open" must not fire later. Several readers share one gate, so
``show`` is serialised by a lock.
"""

from __future__ import annotations

import logging
import threading
import time

import serial

from hardware.gate_frame import encode_frame
from hardware.ports import GateCommand
from hardware.reconnect import ReconnectPolicy
from hardware.serial_port import PORT_ERRORS, close_port, open_port

log = logging.getLogger(__name__)


class SerialRelayGate:
    """Send each gate command as a frame to the controller at pyserial ``url``."""

    def __init__(
        self,
        name: str,
        url: str,
        baudrate: int = 9600,
        *,
        policy: ReconnectPolicy | None = None,
        write_timeout: float = 0.5,
    ) -> None:
        self.name = name
        self.url = url
        self.baudrate = baudrate
        self._policy = policy or ReconnectPolicy()
        self._write_timeout = write_timeout
        self._lock = threading.Lock()
        self._port: serial.SerialBase | None = None
        self._delays = self._policy.delays()
        self._next_attempt = 0.0

    def show(self, command: GateCommand) -> None:
        """Send ``command``'s frame; faults are logged, never raised."""
        frame = encode_frame(command)
        with self._lock:
            for _ in range(2):
                port = self._ensure_open()
                if port is None:
                    log.warning("gate %s dropped %s: port closed", self.name, command.verdict)
                    return
                if self._write(port, frame):
                    return
            log.warning("gate %s dropped %s after a retry", self.name, command.verdict)

    def healthy(self) -> bool:
        """Whether the port is open (as of the last command)."""
        return self._port is not None

    def close(self) -> None:
        """Close the port (idempotent)."""
        with self._lock:
            close_port(self._port)
            self._port = None

    def _ensure_open(self) -> serial.SerialBase | None:
        if self._port is not None:
            return self._port
        now = time.monotonic()
        if now < self._next_attempt:
            return None
        self._port = open_port(self.url, self.baudrate, self._write_timeout)
        if self._port is None:
            self._next_attempt = now + next(self._delays)
        else:
            self._delays = self._policy.delays()
            self._next_attempt = 0.0
        return self._port

    def _write(self, port: serial.SerialBase, frame: bytes) -> bool:
        try:
            port.write(frame)
            port.flush()
        except PORT_ERRORS as error:
            log.warning("gate %s lost %s: %s", self.name, self.url, error)
            close_port(port)
            self._port = None
            return False
        return True
