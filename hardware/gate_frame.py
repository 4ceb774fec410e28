"""The binary frame a serial gate controller receives for each command, version 1.

Layout (one frame per ``GateCommand``; all integers unsigned, big-endian)::

    offset  size  field
    0       1     STX 0x02
    1       1     frame version, 0x01
    2       1     command: 0x4F 'O' open, 0x44 'D' deny, 0x53 'S' out of service
    3       1     n, the message length in bytes, 0..32
    4       n     message, UTF-8, cut to at most 32 bytes on a character boundary
    4+n     2     CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final
                  XOR) over bytes 1 .. 3+n (version, command, length, message)
    6+n     1     ETX 0x03

The length byte, not the ETX, delimits the message, so STX and ETX may occur inside it; a
controller resynchronises by scanning for STX and checking length, CRC and ETX. A
controller that sees an unknown version or command byte ignores the frame, so a gate never
opens on a frame it does not understand. The display is 32 bytes wide (two lines of 16).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from hardware.ports import GateCommand, Verdict

STX = 0x02
ETX = 0x03
FRAME_VERSION = 0x01
MAX_MESSAGE_BYTES = 32
COMMAND_BYTES: dict[Verdict, int] = {
    Verdict.OPEN: ord("O"),
    Verdict.DENY: ord("D"),
    Verdict.OUT_OF_SERVICE: ord("S"),
}
_VERDICTS = {value: verdict for verdict, value in COMMAND_BYTES.items()}
_HEADER = 4
_TRAILER = 3


class FrameError(ValueError):
    """A byte string that is not a valid version-1 gate frame; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """What a controller reads out of a frame."""

    verdict: Verdict
    message: str


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (check value 0x29B1 for b"123456789")."""
    return binascii.crc_hqx(data, 0xFFFF)


def display_text(message: str) -> bytes:
    """``message`` as UTF-8, cut to the display's 32 bytes without splitting a character."""
    encoded = message.encode("utf-8")[:MAX_MESSAGE_BYTES]
    return encoded.decode("utf-8", errors="ignore").encode("utf-8")


def encode_frame(command: GateCommand) -> bytes:
    """The version-1 frame carrying ``command``."""
    text = display_text(command.message)
    body = bytes((FRAME_VERSION, COMMAND_BYTES[command.verdict], len(text))) + text
    return bytes((STX,)) + body + crc16_ccitt(body).to_bytes(2, "big") + bytes((ETX,))


def decode_frame(frame: bytes) -> DecodedFrame:
    """Parse one whole frame, as a controller would; raise ``FrameError`` if it is invalid."""
    if len(frame) < _HEADER + _TRAILER or frame[0] != STX or frame[-1] != ETX:
        raise FrameError("frame_delimiters", "a frame starts with STX and ends with ETX")
    length = frame[3]
    if length > MAX_MESSAGE_BYTES or len(frame) != _HEADER + length + _TRAILER:
        raise FrameError("frame_length", "the length byte does not match the frame")
    body = frame[1 : _HEADER + length]
    if crc16_ccitt(body) != int.from_bytes(frame[-3:-1], "big"):
        raise FrameError("frame_crc", "the CRC does not match")
    if frame[1] != FRAME_VERSION:
        raise FrameError("frame_version", f"unknown frame version {frame[1]}")
    verdict = _VERDICTS.get(frame[2])
    if verdict is None:
        raise FrameError("frame_command", f"unknown command byte {frame[2]:#04x}")
    return DecodedFrame(verdict, frame[4 : _HEADER + length].decode("utf-8"))


def frame_length(frame_start: bytes) -> int | None:
    """The whole frame's length from its first 4 bytes, or None if fewer arrived."""
    if len(frame_start) < _HEADER:
        return None
    return _HEADER + frame_start[3] + _TRAILER
