"""A media callback that records events and lets a test wait for them, with a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hardware.ports import MediaEvent


class EventSink:
    """Collect ``MediaEvent``s from reader threads."""

    def __init__(self) -> None:
        self.events: list[MediaEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: MediaEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[MediaEvent]:
        """Wait until ``count`` events arrived; fail the test on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.events) >= count, timeout):
                raise AssertionError(f"expected {count} events in {timeout} s, got {self.events}")
            return list(self.events)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll ``condition()`` until true; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
