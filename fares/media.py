"""Carrier forms of a credential blob: QR text and an NDEF message; parsing never raises.

QR text, text-form version 1: ``FG1:`` followed by the blob in base64url without padding
(RFC 4648 section 5). base64url was chosen over base45 because it spends 4 characters per
3 bytes against base45's 3 per 2: a 144-byte reserved-seat blob is 196 characters in
base64url and 220 in base45, and the character budget is 200. Trailing whitespace (line
endings added by serial scanners) is ignored; any other stray character makes the text
malformed.

NFC form: an NDEF message (NFC Forum NDEF 1.0) holding a record with TNF 2 (media type)
and type ``application/vnd.faregate.credential`` whose payload is the blob. Messages are
built with ndeflib. They are read with a small strict framing reader instead, because
ndeflib's decoder raises ValueError or UnicodeDecodeError (not only ndef.DecodeError) on
some malformed messages; other records in the message (e.g. an Android application record)
are skipped.
"""

from __future__ import annotations

import base64
import re
from typing import Final

import ndef

from fares.credentials import MAX_BLOB
from fares.reasons import DenyReason

QR_PREFIX: Final = "FG1:"
NDEF_TYPE: Final = "application/vnd.faregate.credential"
_NDEF_TYPE_BYTES: Final = NDEF_TYPE.encode("ascii")
_TNF_MEDIA: Final = 2
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_MAX_QR: Final = len(QR_PREFIX) + (MAX_BLOB * 4 + 2) // 3
_MAX_NDEF: Final = 8192


def qr_text(blob: bytes) -> str:
    """The QR text form of a credential blob."""
    return QR_PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")


def parse_qr_text(text: object) -> bytes | DenyReason:
    """The blob inside a QR text, or ``DenyReason.MALFORMED``."""
    if type(text) is not str or len(text) > _MAX_QR + 8:
        return DenyReason.MALFORMED
    body = text.rstrip()
    if not body.startswith(QR_PREFIX):
        return DenyReason.MALFORMED
    body = body[len(QR_PREFIX) :]
    # A length of 1 mod 4 cannot come from any byte string; the decoder would raise on it.
    if len(body) % 4 == 1 or _BASE64URL.fullmatch(body) is None:
        return DenyReason.MALFORMED
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def ndef_message(blob: bytes) -> bytes:
    """An NDEF message carrying a credential blob in one MIME record."""
    return b"".join(ndef.message_encoder([ndef.Record(NDEF_TYPE, "", blob)]))


def parse_ndef_message(octets: object) -> bytes | DenyReason:
    """The credential blob in the first Faregate record of an NDEF message, or MALFORMED."""
    if type(octets) is not bytes or len(octets) > _MAX_NDEF:
        return DenyReason.MALFORMED
    pos, end, found = 0, len(octets), None
    while pos < end:
        record = _read_record(octets, pos, end, first=pos == 0)
        if record is None:
            return DenyReason.MALFORMED
        tnf, record_type, payload, pos, last = record
        if found is None and tnf == _TNF_MEDIA and record_type == _NDEF_TYPE_BYTES:
            found = payload
        if last:
            return found if pos == end and found is not None else DenyReason.MALFORMED
    return DenyReason.MALFORMED


def _read_record(
    data: bytes, pos: int, end: int, *, first: bool
) -> tuple[int, bytes, bytes, int, bool] | None:
    """Read one record header and body: (tnf, type, payload, next position, is last)."""
    if pos + 3 > end:
        return None
    flags = data[pos]
    begins, last, chunked = bool(flags & 0x80), bool(flags & 0x40), bool(flags & 0x20)
    short, has_id, tnf = bool(flags & 0x10), bool(flags & 0x08), flags & 0x07
    if begins != first or chunked or tnf > 6:
        return None  # chunked records never carry a credential: refuse rather than join
    type_length = data[pos + 1]
    pos += 2
    size_bytes = 1 if short else 4
    if pos + size_bytes + has_id > end:
        return None
    payload_length = int.from_bytes(data[pos : pos + size_bytes], "big")
    pos += size_bytes
    id_length = data[pos] if has_id else 0
    pos += has_id
    type_end = pos + type_length
    payload_start = type_end + id_length
    payload_end = payload_start + payload_length
    if payload_end > end:
        return None
    return tnf, data[pos:type_end], data[payload_start:payload_end], payload_end, last
