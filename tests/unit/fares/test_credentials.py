"""Issuing and verifying credentials: round trips, tampering, windows, total decoding."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fares import strict_cbor
from fares.credentials import (
    Credential,
    Reservation,
    decode_unverified,
    encode_payload,
    issue,
    new_ticket_id,
    verify,
)
from fares.keys import KeySet
from fares.media import qr_text
from fares.reasons import DenyReason
from tests.unit.fares.builders import (
    KEY_1,
    SERVER_KEY,
    T0,
    pass_credential,
    reserved_credential,
    signed,
)
from tests.unit.fares.cbor_strategies import cbor_values

KEYS = KeySet([KEY_1.public_key()])
NOW = T0 + timedelta(hours=1)


def test_round_trip_gives_back_the_issued_credential() -> None:
    for credential in (reserved_credential(), pass_credential(area_ids=("zone_a",))):
        assert verify(signed(credential), KEYS, NOW) == credential


def test_a_run_of_a_frequency_based_trip_keeps_its_start_time() -> None:
    for instance in ("CITY1@2008-06-02T06:30:00", "NIGHT@2008-06-02T25:05:09"):
        credential = reserved_credential(reservation=Reservation(instance, "1A", "A", "B"))
        assert verify(signed(credential), KEYS, NOW) == credential


def test_a_run_start_out_of_range_is_malformed() -> None:
    credential = reserved_credential(
        reservation=Reservation("CITY1@2008-06-02T06:30:00", None, "A", "B")
    )
    items = list(strict_cbor.decode(encode_payload(credential), 3))  # type: ignore[arg-type]
    for run_start in (-1, 7 * 24 * 3600, "06:30"):
        items[8] = [*items[8][:5], run_start]
        payload = cbor2.dumps(items)
        assert verify(payload + KEY_1.sign(payload), KEYS, NOW) is DenyReason.MALFORMED


def test_reserved_seat_ticket_with_long_gtfs_ids_fits_200_qr_characters() -> None:
    credential = reserved_credential(ticket_id=new_ticket_id())
    assert len(qr_text(signed(credential))) <= 200


def test_changing_any_single_byte_is_denied_with_a_reason() -> None:
    blob = signed(reserved_credential())
    for position in range(len(blob)):
        for flip in (0x01, 0x80, 0xFF):
            tampered = bytearray(blob)
            tampered[position] ^= flip
            result = verify(bytes(tampered), KEYS, NOW)
            assert isinstance(result, DenyReason), (position, flip)


def test_every_truncation_is_denied() -> None:
    blob = signed(reserved_credential())
    for length in range(len(blob)):
        assert isinstance(verify(blob[:length], KEYS, NOW), DenyReason)
    assert verify(blob + b"\x00", KEYS, NOW) is DenyReason.MALFORMED


def test_signature_by_another_key_with_the_same_kid_is_bad_signature() -> None:
    forged = signed(reserved_credential(kid=9), SERVER_KEY)
    assert verify(forged, KeySet([replace(KEY_1.public_key(), kid=9)]), NOW) is (
        DenyReason.BAD_SIGNATURE
    )


def test_unknown_kid_is_unknown_key() -> None:
    assert verify(signed(reserved_credential(kid=9), SERVER_KEY), KEYS, NOW) is (
        DenyReason.UNKNOWN_KEY
    )


def test_validity_window_allows_the_clock_skew_and_no_more() -> None:
    credential = reserved_credential()
    blob = signed(credential)
    start, end = T0, T0 + timedelta(days=2)
    assert verify(blob, KEYS, start - timedelta(seconds=60), skew_s=60) == credential
    assert verify(blob, KEYS, start - timedelta(seconds=61), skew_s=60) is (
        DenyReason.NOT_YET_VALID
    )
    assert verify(blob, KEYS, end + timedelta(seconds=59), skew_s=60) == credential
    assert verify(blob, KEYS, end + timedelta(seconds=60), skew_s=60) is DenyReason.EXPIRED


def test_future_format_version_is_unsupported() -> None:
    payload = cbor2.dumps([2, 1, b"\x01" * 8])
    assert verify(payload + KEY_1.sign(payload), KEYS, NOW) is DenyReason.UNSUPPORTED_VERSION


def test_well_signed_but_ill_shaped_payload_is_malformed() -> None:
    for items in ([1, 1, b"short", "p", "adult", 0, 0, 1], [1, 1], {"v": 1}, [1.5], []):
        payload = cbor2.dumps(items)
        assert verify(payload + KEY_1.sign(payload), KEYS, NOW) is DenyReason.MALFORMED


def test_decoding_without_verification_reads_the_fields() -> None:
    assert decode_unverified(signed(pass_credential())) == pass_credential()


def test_issue_refuses_mismatched_kid_and_bad_trip_instance() -> None:
    with pytest.raises(ValueError, match="kid"):
        issue(reserved_credential(kid=2), KEY_1)
    bad = reserved_credential(reservation=Reservation("RUSH042", None, "A", "B"))
    with pytest.raises(ValueError, match="trip instance"):
        encode_payload(bad)


def test_optional_items_are_left_out_when_empty() -> None:
    with_routes = encode_payload(pass_credential(route_ids=("AB",)))
    without = encode_payload(pass_credential())
    assert len(cbor2.loads(without)) == 8
    assert len(cbor2.loads(with_routes)) == 12


@given(st.integers(min_value=2**64) | st.integers(max_value=-(2**64) - 1))
def test_integers_beyond_64_bits_are_outside_the_subset(value: int) -> None:
    assert strict_cbor.decode(cbor2.dumps([1, value]), 4) is strict_cbor.NOT_CBOR


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(blob: bytes) -> None:
    assert isinstance(verify(blob, KEYS, NOW), DenyReason | Credential)


@settings(max_examples=300)
@given(cbor_values, st.binary(min_size=64, max_size=64))
def test_arbitrary_cbor_structures_never_raise(value: object, signature: bytes) -> None:
    payload = cbor2.dumps(value)
    assert isinstance(verify(payload + signature, KEYS, NOW), DenyReason)
    assert isinstance(verify(payload + KEY_1.sign(payload), KEYS, NOW), DenyReason)


@given(st.lists(cbor_values, min_size=8, max_size=12), st.integers(0, 11))
def test_signed_credential_shaped_arrays_never_raise(items: list[object], slot: int) -> None:
    items[0], items[1] = 1, 1
    payload = cbor2.dumps(items)
    result = verify(payload + KEY_1.sign(payload), KEYS, NOW)
    assert isinstance(result, DenyReason | Credential)


@given(cbor_values)
def test_strict_decoder_reads_what_cbor2_writes(value: object) -> None:
    def frozen(item: object) -> object:
        if isinstance(item, list):
            return tuple(frozen(v) for v in item)
        if isinstance(item, dict):
            return {k: frozen(v) for k, v in item.items()}
        return item

    assert strict_cbor.decode(cbor2.dumps(value), 64) == frozen(value)


def test_strict_decoder_refuses_what_is_outside_the_subset() -> None:
    refused = [
        b"\xc1\x01",  # a tag
        b"\xf9\x3c\x00",  # a float
        b"\x9f\x01\xff",  # an indefinite array
        b"\x01\x02",  # trailing bytes
        b"\x81" * 10 + b"\x01",  # too deep
        b"\x5b" + b"\x7f" * 8,  # a length beyond the input
        b"\xa2\x01\x01\x01\x02",  # a duplicate map key
        b"\xa1\x80\x01",  # an array as map key
        b"\x61\xff",  # invalid UTF-8
        b"",
        b"\x1c",  # a reserved header
    ]
    for data in refused:
        assert strict_cbor.decode(data, 4) is strict_cbor.NOT_CBOR, data
