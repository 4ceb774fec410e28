"""Run a validator's readers, restart any whose thread died of a bug, and report health.

Readers handle their own device faults (they reopen with backoff and stay alive). A reader
whose thread ended on an exception is restarted here, with the same bounded backoff per
reader so a reader that dies at once is not restarted in a tight loop. A reader that ended
normally (a wedge at the end of its input) is left stopped and reported unhealthy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from hardware.ports import MediaCallback, MediaReader
from hardware.reconnect import ReconnectPolicy

log = logging.getLogger(__name__)


class SupervisedReader(MediaReader, Protocol):
    """A reader that tells whether its thread runs and whether it died of an exception."""

    def alive(self) -> bool:
        """Whether the reader's thread is running."""

    def crashed(self) -> bool:
        """Whether the reader's thread ended on an unexpected exception."""


@dataclass(frozen=True, slots=True)
class ReaderHealth:
    """One reader's state: device open, thread running, and restarts so far."""

    name: str
    healthy: bool
    alive: bool
    restarts: int


@dataclass(slots=True)
class _Slot:
    reader: SupervisedReader
    delays: Iterator[float]
    restarts: int = 0
    next_restart: float = 0.0


class Supervisor:
    """Own a set of readers: start them, watch their threads, restart the dead ones."""

    def __init__(
        self,
        readers: Sequence[SupervisedReader],
        *,
        policy: ReconnectPolicy | None = None,
        check_interval: float = 0.5,
    ) -> None:
        names = [reader.name for reader in readers]
        if len(set(names)) != len(names):
            raise ValueError(f"reader names must be unique: {names}")
        self._policy = policy or ReconnectPolicy()
        self._slots = [_Slot(reader, self._policy.delays()) for reader in readers]
        self._check_interval = check_interval
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._on_media: MediaCallback | None = None

    def start(self, on_media: MediaCallback) -> None:
        """Start every reader with ``on_media`` and the thread that watches them."""
        self._on_media = on_media
        self._stopping.clear()
        for slot in self._slots:
            slot.reader.start(on_media)
        self._monitor = threading.Thread(target=self._watch, name="reader-supervisor", daemon=True)
        self._monitor.start()

    def check(self) -> None:
        """Restart each crashed reader whose backoff delay has passed."""
        on_media = self._on_media
        if on_media is None or self._stopping.is_set():
            return
        now = time.monotonic()
        for slot in self._slots:
            reader = slot.reader
            if not reader.crashed() or reader.alive() or now < slot.next_restart:
                continue
            slot.restarts += 1
            slot.next_restart = now + next(slot.delays)
            log.warning("restarting reader %s (restart %d)", reader.name, slot.restarts)
            reader.stop()
            reader.start(on_media)

    def health(self) -> dict[str, ReaderHealth]:
        """Each reader's health, by name."""
        return {
            slot.reader.name: ReaderHealth(
                slot.reader.name, slot.reader.healthy(), slot.reader.alive(), slot.restarts
            )
            for slot in self._slots
        }

    def healthy(self) -> bool:
        """Whether every reader has its device open."""
        return all(slot.reader.healthy() for slot in self._slots)

    def stop(self) -> None:
        """Stop watching, then stop every reader (idempotent)."""
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(self._check_interval * 4 + 1)
        for slot in self._slots:
            slot.reader.stop()

    def _watch(self) -> None:
        while not self._stopping.wait(self._check_interval):
            try:
                self.check()
            except Exception:
                log.exception("reader supervisor check failed")
