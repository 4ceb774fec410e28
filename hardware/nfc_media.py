"""Turn a tag nfcpy connected to into a ``MediaEvent``: the NDEF message's bytes or the UID.

Type 2, 3 and 4 tags carrying a non-empty NDEF message give that message's bytes (the
credential record is inside). MIFARE Classic cards (recognised by their SAK, before any
read, as reading them needs keys), Type 1 tags and tags without NDEF give their UID alone,
as ``Technology.NFC_UID``: account-based media.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from hardware.ports import MediaEvent, Technology

# SAK values of MIFARE Classic 1K/4K/Mini, Plus in SL2, and phones or SmartMX emulating them.
CLASSIC_SAKS = frozenset({0x08, 0x09, 0x10, 0x11, 0x18, 0x28, 0x38, 0x88, 0x98, 0xB8})
NDEF_TECHNOLOGIES = {
    "Type2Tag": Technology.NFC_TYPE2,
    "Type3Tag": Technology.NFC_TYPE3,
    "Type4Tag": Technology.NFC_TYPE4,
}


class TargetLike(Protocol):
    """The parts of an nfcpy ``RemoteTarget`` read here."""

    @property
    def sel_res(self) -> bytes | None:
        """The SAK (ISO 14443-A select response), or None for other technologies."""


class NdefLike(Protocol):
    """The parts of an nfcpy ``Tag.NDEF`` read here."""

    @property
    def octets(self) -> bytes:
        """The NDEF message's bytes."""


class TagLike(Protocol):
    """The parts of an nfcpy ``Tag`` read here."""

    TYPE: str

    @property
    def identifier(self) -> bytes:
        """The UID (NFCID1, or IDm for FeliCa)."""

    @property
    def target(self) -> TargetLike | None:
        """The target the tag was activated from."""

    @property
    def ndef(self) -> NdefLike | None:
        """The NDEF message area, or None when the tag has none."""


def is_uid_only(tag: TagLike) -> bool:
    """Whether ``tag`` is read by UID alone, without trying NDEF (MIFARE Classic, Type 1)."""
    if tag.TYPE not in NDEF_TECHNOLOGIES:
        return True
    target = tag.target
    sel_res = target.sel_res if target is not None else None
    return bool(sel_res) and sel_res is not None and sel_res[0] in CLASSIC_SAKS


def media_from_tag(tag: TagLike, source: str, at: datetime) -> MediaEvent:
    """The presentation ``tag`` makes: its NDEF message if it carries one, else its UID."""
    uid = bytes(tag.identifier)
    if not is_uid_only(tag):
        ndef = tag.ndef
        octets = bytes(ndef.octets) if ndef is not None else b""
        if octets:
            return MediaEvent(source, NDEF_TECHNOLOGIES[tag.TYPE], at, uid=uid, payload=octets)
    return MediaEvent(source, Technology.NFC_UID, at, uid=uid)
