"""The thread every reader runs in: start, stop, emit, and whether it died of a bug.

A reader's ``run`` loop translates device faults itself (reopening with backoff); an
exception that escapes it is a bug, logged here and reported through ``crashed()`` so the
supervisor can restart the reader. A callback that raises is logged and the reader goes on.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

from hardware.ports import MediaCallback, MediaEvent

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 5.0


class ReaderThread(ABC):
    """Base of the readers: one daemon thread running ``run`` until ``stop()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_media: MediaCallback | None = None
        self._crashed = False

    def start(self, on_media: MediaCallback) -> None:
        """Begin reading in a new thread; call ``on_media`` for each presentation."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError(f"reader {self.name} is already running")
        self._on_media = on_media
        self._stopping.clear()
        self._crashed = False
        self._thread = threading.Thread(
            target=self._guarded_run, name=f"reader-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end, wait for it (bounded) and release the device (idempotent)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("reader %s did not stop within %.0f s", self.name, JOIN_TIMEOUT)
        self._release()

    def alive(self) -> bool:
        """Whether the reader's thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def crashed(self) -> bool:
        """Whether the thread ended on an unexpected exception (not on stop or end of input)."""
        return self._crashed

    @abstractmethod
    def healthy(self) -> bool:
        """Whether the device is open and answering."""

    @abstractmethod
    def run(self) -> None:
        """Read until ``self._stopping`` is set; translate device faults, never raise them."""

    def _release(self) -> None:  # noqa: B027 - optional hook, most readers close in run()
        """Release the device after the thread ended; override where needed."""

    def _emit(self, event: MediaEvent) -> None:
        """Hand ``event`` to the callback; a callback that raises does not kill the reader."""
        callback = self._on_media
        if callback is None:
            return
        try:
            callback(event)
        except Exception:
            log.exception("media callback failed for reader %s", self.name)

    def _guarded_run(self) -> None:
        try:
            self.run()
        except Exception:
            self._crashed = True
            log.exception("reader %s died", self.name)
