"""Bounded exponential backoff between attempts to reopen a lost device."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Delays between reopen attempts: ``initial``, then times ``factor``, capped at ``maximum``.

    The cap bounds how long a replugged reader stays unused; the growth keeps a missing one
    from flooding the log and the bus.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or self.factor < 1:
            raise ValueError("a reconnect policy needs 0 < initial <= maximum and factor >= 1")

    def delays(self) -> Iterator[float]:
        """Yield the successive waits, forever; start a new iterator after a success."""
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


def wait_or_stop(stopping: threading.Event, seconds: float) -> bool:
    """Wait ``seconds`` unless ``stopping`` is set first; return whether to go on."""
    return not stopping.wait(seconds)
