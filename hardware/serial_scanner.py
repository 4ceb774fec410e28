"""A barcode/QR scanner on a serial port (USB-CDC, RS-232 or a TCP bridge): one event per line.

Opening a port flushes its input (pyserial does), so codes scanned while the port was
closed are lost rather than replayed late. A hang-up (USB unplug, closed socket) closes the
port and the reader reopens the same URL with backoff; stable ``/dev/serial/by-id/...``
paths survive re-enumeration.
"""

from __future__ import annotations

import logging
import time

import serial

from hardware.clock import Clock, utc_now
from hardware.line_assembler import LineAssembler
from hardware.ports import MediaEvent, Technology
from hardware.reader_thread import ReaderThread
from hardware.reconnect import ReconnectPolicy, wait_or_stop
from hardware.serial_port import PORT_ERRORS, close_port, open_port

log = logging.getLogger(__name__)


class SerialScanner(ReaderThread):
    """Read text lines from a pyserial URL and emit each as a QR ``MediaEvent``."""

    def __init__(
        self,
        name: str,
        url: str,
        baudrate: int = 9600,
        *,
        clock: Clock = utc_now,
        policy: ReconnectPolicy | None = None,
        read_timeout: float = 0.1,
        fragment_timeout: float = 1.0,
    ) -> None:
        super().__init__(name)
        self.url = url
        self.baudrate = baudrate
        self._clock = clock
        self._policy = policy or ReconnectPolicy()
        self._read_timeout = read_timeout
        self._assembler = LineAssembler(fragment_timeout=fragment_timeout)
        self._port: serial.SerialBase | None = None

    def healthy(self) -> bool:
        """Whether the port is open."""
        port = self._port
        return port is not None and port.is_open

    def run(self) -> None:
        """Open, read until the port is lost, reopen with backoff; until stopped."""
        delays = self._policy.delays()
        while not self._stopping.is_set():
            port = open_port(self.url, self.baudrate, self._read_timeout)
            if port is None:
                if not wait_or_stop(self._stopping, next(delays)):
                    return
                continue
            delays = self._policy.delays()
            self._port = port
            try:
                self._read_until_lost(port)
            finally:
                self._port = None
                close_port(port)

    def _read_until_lost(self, port: serial.SerialBase) -> None:
        self._assembler.reset()
        log.info("scanner %s reading %s", self.name, self.url)
        while not self._stopping.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except PORT_ERRORS as error:
                log.warning("scanner %s lost %s: %s", self.name, self.url, error)
                return
            for line in self._assembler.feed(data, time.monotonic()):
                self._emit(MediaEvent(self.name, Technology.QR, self._clock(), payload=line))

    def _release(self) -> None:
        close_port(self._port)
        self._port = None
