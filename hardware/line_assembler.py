"""Reassemble a scanner's byte stream into text lines.

A serial read returns whatever arrived: half a code, or a code and the start of the next.
Lines end at CR, LF or CRLF (scanners are configured either way); empty lines are dropped.
A fragment left without its terminator for ``fragment_timeout`` seconds is discarded, so a
half-read code is never glued to the next one; a line longer than ``max_line`` bytes is
discarded whole, bounding memory against a stream with no terminator.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)
_TERMINATOR = re.compile(rb"[\r\n]")


class LineAssembler:
    """Buffer bytes and return the complete lines; time comes in as monotonic seconds."""

    def __init__(self, *, fragment_timeout: float = 1.0, max_line: int = 4096) -> None:
        self.fragment_timeout = fragment_timeout
        self.max_line = max_line
        self._buffer = bytearray()
        self._last_data_at = 0.0
        self._overflowed = False

    def feed(self, data: bytes, now: float) -> list[str]:
        """Add ``data`` received at ``now``; return the lines it completed, in order."""
        if not data:
            return []
        if self._buffer and now - self._last_data_at > self.fragment_timeout:
            log.warning("dropped a stale %d-byte fragment", len(self._buffer))
            self._buffer.clear()
        self._last_data_at = now
        lines: list[str] = []
        for piece, terminated in _split(data):
            self._append(piece)
            if terminated:
                if self._buffer and not self._overflowed:
                    lines.append(self._buffer.decode("utf-8", errors="replace"))
                self._buffer.clear()
                self._overflowed = False
        return lines

    def reset(self) -> None:
        """Forget any fragment (after the port was reopened)."""
        self._buffer.clear()
        self._overflowed = False

    def _append(self, piece: bytes) -> None:
        if self._overflowed:
            return
        if len(self._buffer) + len(piece) > self.max_line:
            log.warning("dropped a line longer than %d bytes", self.max_line)
            self._buffer.clear()
            self._overflowed = True
            return
        self._buffer.extend(piece)


def _split(data: bytes) -> list[tuple[bytes, bool]]:
    """Cut ``data`` at each terminator: (piece, whether a terminator followed it)."""
    parts = _TERMINATOR.split(data)
    return [(part, index < len(parts) - 1) for index, part in enumerate(parts)]
