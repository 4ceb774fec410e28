"""QR text and NDEF carrier forms of a credential blob."""

from __future__ import annotations

import ndef
from hypothesis import given
from hypothesis import strategies as st

from fares.media import NDEF_TYPE, ndef_message, parse_ndef_message, parse_qr_text, qr_text
from fares.reasons import DenyReason
from tests.unit.fares.builders import reserved_credential, signed

BLOB = signed(reserved_credential())


def test_qr_text_round_trips_and_carries_the_prefix() -> None:
    text = qr_text(BLOB)
    assert text.startswith("FG1:")
    assert "=" not in text
    assert parse_qr_text(text) == BLOB


def test_qr_text_ignores_scanner_line_endings() -> None:
    assert parse_qr_text(qr_text(BLOB) + "\r\n") == BLOB


def test_qr_text_with_other_prefix_or_alphabet_is_malformed() -> None:
    text = qr_text(BLOB)
    for bad in ("FG2:" + text[4:], text[4:], text[:40] + "+" + text[41:], text + "A", ""):
        assert parse_qr_text(bad) is DenyReason.MALFORMED, bad
    assert parse_qr_text(text[:40] + "é" + text[41:]) is DenyReason.MALFORMED
    assert parse_qr_text(b"FG1:AAAA") is DenyReason.MALFORMED


def test_ndef_message_round_trips_and_ndeflib_reads_it() -> None:
    message = ndef_message(BLOB)
    assert parse_ndef_message(message) == BLOB
    (record,) = ndef.message_decoder(message)
    assert record.type == NDEF_TYPE
    assert bytes(record.data) == BLOB


def test_ndef_credential_is_found_among_other_records() -> None:
    records = [
        ndef.UriRecord("https://faregate.example/t"),
        ndef.Record(NDEF_TYPE, "cred", BLOB),
        ndef.Record("urn:nfc:ext:android.com:pkg", "", b"com.faregate"),
    ]
    assert parse_ndef_message(b"".join(ndef.message_encoder(records))) == BLOB


def test_ndef_without_a_credential_record_or_with_bad_framing_is_malformed() -> None:
    text_only = b"".join(ndef.message_encoder([ndef.TextRecord("hello")]))
    message = ndef_message(BLOB)
    for bad in (text_only, message[:-1], message + b"\x00", b"", b"\x00" * 3, message[1:]):
        assert parse_ndef_message(bad) is DenyReason.MALFORMED


def test_long_blob_uses_a_long_ndef_record() -> None:
    long_blob = bytes(range(256)) * 2
    assert parse_ndef_message(ndef_message(long_blob)) == long_blob


@given(st.binary(max_size=400))
def test_arbitrary_ndef_bytes_never_raise(octets: bytes) -> None:
    assert isinstance(parse_ndef_message(octets), bytes | DenyReason)


@given(st.binary(max_size=60), st.integers(0, 59), st.integers(0, 255))
def test_mutated_ndef_messages_never_raise(payload: bytes, position: int, value: int) -> None:
    message = bytearray(ndef_message(payload))
    message[position % len(message)] = value
    assert isinstance(parse_ndef_message(bytes(message)), bytes | DenyReason)


@given(st.text(max_size=300) | st.from_regex(r"FG1:[A-Za-z0-9_\-]*\s*", fullmatch=True))
def test_arbitrary_qr_text_never_raises(text: str) -> None:
    assert isinstance(parse_qr_text(text), bytes | DenyReason)
