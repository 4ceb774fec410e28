"""From a reader's ``MediaEvent`` to what the decision and the journal need.

Mapping: a QR scan is ``MediaKind.QR_TEXT``; an NFC read that carried an NDEF message is
``MediaKind.NDEF``; an NFC read with no message is account media (``MediaKind.ACCOUNT``)
known by its UID and the ``Technology`` value it was read with (e.g. ``nfc_uid``), which
the server must use alike to derive the same media fingerprint. The journal keeps a
fingerprint, never the payload: see ``tap_fingerprint``.
"""

from __future__ import annotations

import hashlib

from fares.media import parse_ndef_message, parse_qr_text
from fares.reasons import Decision
from fares.tap import MAX_TECHNOLOGY, MAX_UID, MediaKind, PresentedMedia, media_fingerprint
from hardware.ports import MediaEvent, Technology


def presented_media(event: MediaEvent) -> PresentedMedia:
    """The presented media of one reader event."""
    technology = event.technology.value
    if event.technology is Technology.QR:
        text = "" if event.payload is None else event.payload
        return PresentedMedia(MediaKind.QR_TEXT, text, technology)
    if event.payload is not None:
        return PresentedMedia(MediaKind.NDEF, event.payload, technology)
    return PresentedMedia(MediaKind.ACCOUNT, event.uid or b"", technology)


def tap_fingerprint(media: PresentedMedia, decision: Decision | None) -> str:
    """Hex SHA-256 identifying the media: credential blob, account fingerprint, or raw bytes."""
    if decision is not None and decision.fingerprint is not None:
        return decision.fingerprint
    payload = media.payload
    uid = payload if media.kind is MediaKind.ACCOUNT and isinstance(payload, bytes) else b""
    if 0 < len(uid) <= MAX_UID and len(media.technology) <= MAX_TECHNOLOGY:
        return media_fingerprint(media.technology, uid)
    blob: object = None
    if media.kind is MediaKind.QR_TEXT:
        blob = parse_qr_text(payload if type(payload) is str else _text(payload))
    elif media.kind is MediaKind.NDEF:
        blob = parse_ndef_message(payload)
    elif media.kind is MediaKind.CREDENTIAL:
        blob = payload
    if type(blob) is not bytes:
        blob = payload.encode("utf-8", "surrogatepass") if type(payload) is str else payload
    return hashlib.sha256(blob if type(blob) is bytes else b"").hexdigest()


def _text(payload: bytes | str) -> str:
    if type(payload) is bytes:
        return payload.decode("ascii") if payload.isascii() else ""
    return str(payload)
