"""An NFC reader driven by nfcpy: USB and serial readers, or the ``udp`` simulated device.

One thread owns the ``ContactlessFrontend``. It polls only the configured RF targets
(``106A`` for Type 2/4 and MIFARE Classic, ``106B`` for ISO 14443-B, ``212F``/``424F`` for
FeliCa): each target that nobody answers costs a fixed time (1 s on the udp device).

Concurrency and card holding: ``on-connect`` reads the tag, emits one event and returns
True, so nfcpy holds the card until its presence check fails (the card left the field);
one presentation gives one event. Some cards fail the presence check while still in the
field (a MIFARE Classic cannot be read without keys); the same UID seen again within
``repeat_guard`` seconds of its release is therefore treated as the same presentation.

Faults: exceptions raised in ``on-connect`` are caught there (nfcpy would let them escape
``connect()``); ``connect()`` returning False (reader unplugged), an unexpected exception
from it, or a failed open (FileNotFoundError without libusb, OSError) closes the frontend
and reopens it with bounded exponential backoff; ``stop()`` interrupts the wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import nfc

from hardware.clock import Clock, utc_now
from hardware.nfc_media import TagLike, media_from_tag
from hardware.reader_thread import ReaderThread
from hardware.reconnect import ReconnectPolicy, wait_or_stop
from hardware.rf_targets import RF_TARGETS

log = logging.getLogger(__name__)
FrontendOpener = Callable[[str], Any]


class NfcpyReader(ReaderThread):
    """Read NFC presentations from the nfcpy device at ``path`` (``usb``, ``tty:``, ``udp:``)."""

    def __init__(
        self,
        name: str,
        path: str,
        technologies: Iterable[str] = ("106A",),
        *,
        clock: Clock = utc_now,
        policy: ReconnectPolicy | None = None,
        poll_interval: float = 0.25,
        repeat_guard: float = 1.0,
        open_frontend: FrontendOpener = nfc.ContactlessFrontend,
    ) -> None:
        super().__init__(name)
        self.path = path
        self.technologies = tuple(technologies)
        unknown = sorted(set(self.technologies) - RF_TARGETS)
        if unknown or not self.technologies:
            raise ValueError(f"NFC targets must be some of {sorted(RF_TARGETS)}: {unknown}")
        self._clock = clock
        self._policy = policy or ReconnectPolicy()
        self._poll_interval = poll_interval
        self._repeat_guard = repeat_guard
        self._open_frontend = open_frontend
        self._frontend: Any = None
        self._released: tuple[bytes, float] | None = None

    def healthy(self) -> bool:
        """Whether the reader device is open."""
        return self._frontend is not None

    def run(self) -> None:
        """Open the device, serve presentations until it is lost, reopen with backoff."""
        delays = self._policy.delays()
        while not self._stopping.is_set():
            frontend = self._open()
            if frontend is not None:
                self._frontend = frontend
                try:
                    self._serve(frontend)
                finally:
                    self._frontend = None
                    _close(frontend)
                delays = self._policy.delays()
            if self._stopping.is_set() or not wait_or_stop(self._stopping, next(delays)):
                return

    def _open(self) -> Any:
        try:
            frontend = self._open_frontend(self.path)
        except Exception as error:  # a missing libusb, a busy or absent device: all "missing"
            log.warning("NFC reader %s cannot open %s: %r", self.name, self.path, error)
            return None
        log.info("NFC reader %s opened %s", self.name, self.path)
        return frontend

    def _serve(self, frontend: Any) -> None:
        options = {
            "targets": list(self.technologies),
            "on-connect": self._on_connect,
            "on-release": self._on_release,
            "iterations": 2,
            "interval": self._poll_interval,
            "beep-on-connect": False,
        }
        while not self._stopping.is_set():
            try:
                result = frontend.connect(rdwr=options, terminate=self._stopping.is_set)
            except Exception:
                log.exception("NFC reader %s failed; reopening %s", self.name, self.path)
                return
            if result is False:
                log.warning("NFC reader %s lost %s", self.name, self.path)
                return

    def _on_connect(self, tag: TagLike) -> bool:
        """Read and emit ``tag``; True holds it until it leaves the field."""
        try:
            uid = bytes(tag.identifier)
            if self._is_repeat(uid):
                log.debug("NFC reader %s: %s is still being presented", self.name, uid.hex())
                return True
            event = media_from_tag(tag, self.name, self._clock())
        except Exception:
            log.exception("NFC reader %s could not read a tag", self.name)
            return True
        self._emit(event)
        return True

    def _on_release(self, tag: TagLike) -> bool:
        """Remember when the card left, for the repeat guard; True ends this ``connect()``."""
        try:
            self._released = (bytes(tag.identifier), time.monotonic())
        except Exception:
            log.exception("NFC reader %s could not note a release", self.name)
        return True

    def _is_repeat(self, uid: bytes) -> bool:
        released = self._released
        return (
            released is not None
            and released[0] == uid
            and time.monotonic() - released[1] < self._repeat_guard
        )


def _close(frontend: Any) -> None:
    try:
        frontend.close()
    except Exception as error:
        log.debug("closing an NFC frontend failed: %r", error)
