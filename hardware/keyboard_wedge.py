"""A keyboard-wedge scanner: it types each code followed by Enter into a text stream.

Reads lines from ``stdin`` by default (the agent runs on the console the scanner types
into) or any injected text stream. Where the stream has a file descriptor, the reader reads
the descriptor itself (a text wrapper's buffer would hide lines from ``select``) and waits
with ``select``, so ``stop()`` takes effect within ``poll_interval``. A stream without one
(an in-memory buffer) is read line by line. End of input ends the reader, which then
reports unhealthy: there is nothing left to read.
"""

from __future__ import annotations

import io
import logging
import os
import select
import sys
import time
from typing import TextIO

from hardware.clock import Clock, utc_now
from hardware.line_assembler import LineAssembler
from hardware.ports import MediaEvent, Technology
from hardware.reader_thread import ReaderThread

log = logging.getLogger(__name__)
READ_SIZE = 4096


class KeyboardWedgeReader(ReaderThread):
    """Emit one QR ``MediaEvent`` per non-empty line typed into ``stream``."""

    def __init__(
        self,
        name: str,
        stream: TextIO | None = None,
        *,
        clock: Clock = utc_now,
        poll_interval: float = 0.2,
    ) -> None:
        super().__init__(name)
        self._stream = stream
        self._clock = clock
        self._poll_interval = poll_interval
        self._at_end = False

    def healthy(self) -> bool:
        """Whether the stream is still open for reading."""
        return not self._at_end

    def run(self) -> None:
        """Read lines until stopped or the stream ends."""
        stream = self._stream if self._stream is not None else sys.stdin
        self._at_end = False
        descriptor = _descriptor(stream)
        if descriptor is None:
            self._read_text(stream)
        else:
            self._read_descriptor(descriptor)
        if not self._stopping.is_set():
            log.info("wedge %s reached the end of its input", self.name)
            self._at_end = True

    def _read_text(self, stream: TextIO) -> None:
        while not self._stopping.is_set():
            line = stream.readline()
            if line == "":
                return
            self._emit_line(line.strip("\r\n"))

    def _read_descriptor(self, descriptor: int) -> None:
        assembler = LineAssembler(fragment_timeout=5.0)
        while not self._stopping.is_set():
            ready, _, _ = select.select([descriptor], [], [], self._poll_interval)
            if not ready:
                continue
            try:
                data = os.read(descriptor, READ_SIZE)
            except OSError as error:
                log.warning("wedge %s cannot read its input: %s", self.name, error)
                return
            if not data:
                return
            for line in assembler.feed(data, time.monotonic()):
                self._emit_line(line)

    def _emit_line(self, text: str) -> None:
        if text:
            self._emit(MediaEvent(self.name, Technology.QR, self._clock(), payload=text))


def _descriptor(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (io.UnsupportedOperation, OSError, ValueError):
        return None
