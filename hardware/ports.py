"""The ports between a validator's runtime and its devices: media readers in, gates out.

A reader (NFC, serial scanner, keyboard wedge) emits one ``MediaEvent`` per presentation to
the callback it was started with, from its own thread; the runtime decides and answers by
driving its ``Gate`` (a relay, a display and buzzer, or a log) with a ``GateCommand``. Drivers
translate device errors at this boundary: nothing a device does raises into the runtime.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Technology(enum.Enum):
    """How a presentation was read."""

    NFC_TYPE2 = "nfc_type2"  # NFC Forum Type 2 (NTAG, MIFARE Ultralight)
    NFC_TYPE3 = "nfc_type3"  # FeliCa
    NFC_TYPE4 = "nfc_type4"  # ISO-DEP (ISO 14443-4)
    NFC_UID = "nfc_uid"  # a card read by its UID alone (e.g. MIFARE Classic)
    QR = "qr"  # a scanner's decoded text line


@dataclass(frozen=True, slots=True)
class MediaEvent:
    """One presentation: which reader saw it, how, the card's UID (NFC) and what it carried
    (an NDEF message's bytes, a scanned text line, or nothing for a UID-only card)."""

    source: str
    technology: Technology
    at: datetime
    uid: bytes | None = None
    payload: bytes | str | None = None


MediaCallback = Callable[[MediaEvent], None]


class MediaReader(Protocol):
    """A source of presentations, running in a thread of its own once started."""

    name: str

    def start(self, on_media: MediaCallback) -> None:
        """Begin reading; call ``on_media`` for each presentation until stopped."""

    def stop(self) -> None:
        """Stop reading and release the device (idempotent)."""

    def healthy(self) -> bool:
        """Whether the device is open and answering."""


class Verdict(enum.Enum):
    """What the gate is told to do."""

    OPEN = "open"
    DENY = "deny"
    OUT_OF_SERVICE = "out_of_service"


@dataclass(frozen=True, slots=True)
class GateCommand:
    """A gate's answer to one presentation: the verdict and a short text for the display."""

    verdict: Verdict
    message: str = ""


class Gate(Protocol):
    """An output: a relay, a display with a buzzer, or a log; several readers share one."""

    name: str

    def show(self, command: GateCommand) -> None:
        """Carry out ``command``; device faults are logged, never raised."""

    def close(self) -> None:
        """Release the device (idempotent)."""
