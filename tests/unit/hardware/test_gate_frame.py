"""The version-1 gate frame: layout, checksum, truncation and what a controller rejects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.gate_frame import (
    MAX_MESSAGE_BYTES,
    DecodedFrame,
    FrameError,
    crc16_ccitt,
    decode_frame,
    display_text,
    encode_frame,
    frame_length,
)
from hardware.ports import GateCommand, Verdict


def test_crc_is_ccitt_false() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_an_open_frame_has_the_documented_bytes() -> None:
    frame = encode_frame(GateCommand(Verdict.OPEN, "OK"))
    body = bytes([0x01, ord("O"), 2]) + b"OK"
    assert frame == b"\x02" + body + crc16_ccitt(body).to_bytes(2, "big") + b"\x03"
    assert frame_length(frame[:4]) == len(frame) == 9


def test_a_long_message_is_cut_to_the_display_on_a_character_boundary() -> None:
    message = "é" * 20  # 40 bytes of UTF-8
    decoded = decode_frame(encode_frame(GateCommand(Verdict.DENY, message)))
    assert decoded.message == "é" * 16
    assert len(display_text("a" + "é" * 20)) == 31


@given(st.sampled_from(list(Verdict)), st.text(max_size=60))
def test_every_command_round_trips_within_the_display(verdict: Verdict, message: str) -> None:
    frame = encode_frame(GateCommand(verdict, message))
    decoded = decode_frame(frame)
    assert decoded.verdict is verdict
    assert message.startswith(decoded.message)
    assert len(decoded.message.encode()) <= MAX_MESSAGE_BYTES


@given(st.text(max_size=32), st.data())
def test_any_single_corrupted_byte_is_rejected(message: str, data: st.DataObject) -> None:
    frame = bytearray(encode_frame(GateCommand(Verdict.OPEN, message)))
    index = data.draw(st.integers(0, len(frame) - 1))
    frame[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(FrameError):
        decode_frame(bytes(frame))


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"", "frame_delimiters"),
        (b"\x01\x01O\x00\x00\x00\x03", "frame_delimiters"),
        (b"\x02\x01O\x05\x00\x00\x03", "frame_length"),
        (b"\x02\x01O\x00\x00\x00\x03", "frame_crc"),
    ],
)
def test_malformed_frames_give_their_code(frame: bytes, code: str) -> None:
    with pytest.raises(FrameError) as raised:
        decode_frame(frame)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("body", "code"), [(b"\x02O\x00", "frame_version"), (b"\x01X\x00", "frame_command")]
)
def test_unknown_versions_and_commands_are_refused(body: bytes, code: str) -> None:
    frame = b"\x02" + body + crc16_ccitt(body).to_bytes(2, "big") + b"\x03"
    with pytest.raises(FrameError) as raised:
        decode_frame(frame)
    assert raised.value.code == code


def test_stx_and_etx_inside_the_message_are_carried() -> None:
    decoded = decode_frame(encode_frame(GateCommand(Verdict.OPEN, "\x02\x03")))
    assert decoded == DecodedFrame(Verdict.OPEN, "\x02\x03")
