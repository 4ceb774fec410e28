"""Which presentation a connected tag makes: its NDEF message or its UID alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hardware.nfc_media import is_uid_only, media_from_tag
from hardware.ports import MediaEvent, Technology

AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
UID = bytes.fromhex("04A1B2C3D4E5F6")


@dataclass
class FakeTarget:
    sel_res: bytes | None


@dataclass
class FakeNdef:
    octets: bytes


@dataclass
class FakeTag:
    """The attributes of an nfcpy tag that the reader looks at."""

    TYPE: str
    target: FakeTarget | None
    ndef_area: FakeNdef | None
    identifier: bytes = UID
    ndef_reads: int = 0

    @property
    def ndef(self) -> FakeNdef | None:
        self.ndef_reads += 1
        return self.ndef_area


@pytest.mark.parametrize(
    ("kind", "technology"),
    [
        ("Type2Tag", Technology.NFC_TYPE2),
        ("Type3Tag", Technology.NFC_TYPE3),
        ("Type4Tag", Technology.NFC_TYPE4),
    ],
)
def test_an_ndef_tag_gives_its_message(kind: str, technology: Technology) -> None:
    tag = FakeTag(kind, FakeTarget(b"\x00"), FakeNdef(b"\xd2\x01\x00"))
    assert media_from_tag(tag, "nfc-1", AT) == MediaEvent(
        "nfc-1", technology, AT, uid=UID, payload=b"\xd2\x01\x00"
    )


@pytest.mark.parametrize("sak", [0x08, 0x18, 0x09, 0x88])
def test_a_mifare_classic_gives_its_uid_without_any_read(sak: int) -> None:
    tag = FakeTag("Type2Tag", FakeTarget(bytes([sak])), FakeNdef(b"never read"))
    assert media_from_tag(tag, "nfc-1", AT) == MediaEvent("nfc-1", Technology.NFC_UID, AT, uid=UID)
    assert tag.ndef_reads == 0


@pytest.mark.parametrize("ndef", [None, FakeNdef(b"")])
def test_a_tag_without_a_message_gives_its_uid(ndef: FakeNdef | None) -> None:
    tag = FakeTag("Type4Tag", FakeTarget(b"\x20"), ndef)
    assert media_from_tag(tag, "nfc-1", AT).technology is Technology.NFC_UID


def test_a_type1_tag_and_a_felica_tag_are_told_apart_by_type() -> None:
    assert is_uid_only(FakeTag("Type1Tag", FakeTarget(b"\x00"), None))
    assert not is_uid_only(FakeTag("Type3Tag", FakeTarget(None), None))
    assert not is_uid_only(FakeTag("Type3Tag", None, None))
