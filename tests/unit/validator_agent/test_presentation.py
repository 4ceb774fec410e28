"""Reader events to presented media and journal fingerprints."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from fares.media import ndef_message, qr_text
from fares.tap import MediaKind
from hardware.ports import MediaEvent, Technology
from tests.unit.validator_agent.fakes import NOW, ndef_event, qr_event, uid_event
from validator_agent.presentation import presented_media, tap_fingerprint


def test_qr_scan_is_qr_text() -> None:
    media = presented_media(qr_event("FG1:abc"))
    assert (media.kind, media.payload) == (MediaKind.QR_TEXT, "FG1:abc")


def test_nfc_with_a_message_is_ndef() -> None:
    message = ndef_message(b"blob")
    media = presented_media(ndef_event(message))
    assert (media.kind, media.payload, media.technology) == (MediaKind.NDEF, message, "nfc_type2")


def test_nfc_without_a_message_is_account_media_by_uid() -> None:
    media = presented_media(uid_event(b"\x01\x02"))
    assert (media.kind, media.payload, media.technology) == (MediaKind.ACCOUNT, b"\x01\x02",
                                                             "nfc_uid")  # fmt: skip


def test_event_with_nothing_is_empty_account_media() -> None:
    media = presented_media(MediaEvent("nfc", Technology.NFC_UID, NOW))
    assert (media.kind, media.payload) == (MediaKind.ACCOUNT, b"")


def test_fingerprint_of_ndef_is_the_blob_hash() -> None:
    media = presented_media(ndef_event(ndef_message(b"credential blob")))
    assert tap_fingerprint(media, None) == hashlib.sha256(b"credential blob").hexdigest()


def test_fingerprint_of_qr_is_the_blob_hash() -> None:
    media = presented_media(qr_event(qr_text(b"credential blob")))
    assert tap_fingerprint(media, None) == hashlib.sha256(b"credential blob").hexdigest()


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)),
       st.sampled_from(list(Technology)))  # fmt: skip
def test_fingerprint_never_raises_and_never_is_the_payload(
    payload: str | bytes, technology: Technology
) -> None:
    media = presented_media(MediaEvent("r", technology, NOW, uid=b"\x01", payload=payload))
    fingerprint = tap_fingerprint(media, None)
    assert re.fullmatch("[0-9a-f]{64}", fingerprint), fingerprint
    assert payload not in (fingerprint, fingerprint.encode())
