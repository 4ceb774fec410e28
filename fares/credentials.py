"""Signed ticket credentials: the compact binary form, issuing and total verification.

Wire format, credential version 1 (all times are UTC epoch seconds)::

    blob      = payload || signature           signature: 64 bytes, Ed25519 over payload
    payload   = CBOR array (12 items, canonical shortest encodings):
      [0]  format version, 1
      [1]  kid: uint 0..65535, the issuing key (see fares.keys)
      [2]  ticket id: bstr, 8..16 random bytes (8 by default; the server keeps them unique)
      [3]  product id: tstr
      [4]  rider category: tstr
      [5]  issued_at: uint
      [6]  valid_from - issued_at: int (may be negative: valid from the start of a day)
      [7]  valid_until - valid_from: uint, > 0
      [8]  reservation (optional): null, or [trip_id tstr, service day: uint days since 1970-01-01,
           seat: tstr or null, board stop id: tstr, alight stop id: tstr, and for one run of
           a frequency-based trip (trip instance ``TRIP@YYYY-MM-DDTHH:MM:SS``) its start:
           uint seconds of the service day]
      [9]  area ids (optional): array of tstr (empty: no restriction from the credential)
      [10] network ids (optional): array of tstr
      [11] route ids (optional): array of tstr

The optional items are left out from the end when null or empty, so the array holds 8 to
12 items; a decoder treats a missing item as null or empty.
Offsets instead of absolute times and a split trip instance save about 15 bytes, which
keeps a single-trip reserved-seat ticket with long GTFS ids under 200 QR characters. The
payload is an array while a rule bundle's signed content is a map, so a signature over one
can never pass as the other. Decoding is total (``fares.strict_cbor``); the blob is at
most ``MAX_BLOB`` bytes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeGuard

import cbor2
from cryptography.exceptions import InvalidSignature

from fares import strict_cbor
from fares.keys import KeySet, SigningKey, epoch_seconds
from fares.reasons import DenyReason

FORMAT_VERSION = 1
SIGNATURE_SIZE = 64
MAX_BLOB = 1024
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_DAY = date.max.toordinal() - _EPOCH_ORDINAL
# What the trailing optional items mean when left out, by how many are present.
_ABSENT: tuple[tuple[object, ...], ...] = ((None, (), (), ()), ((), (), ()), ((), ()), ((),), ())
_TRIP_INSTANCE = re.compile(r"(.+)@(\d{4}-\d{2}-\d{2})(?:T(\d{2,3}):([0-5]\d):([0-5]\d))?")
MAX_RUN_START = 7 * 24 * 3600  # a frequency run's start, seconds of its service day


def new_ticket_id(size: int = 8) -> str:
    """A fresh random ticket id as lowercase hex (``size`` bytes on the wire)."""
    return secrets.token_hex(size)


def trip_instance_key(trip_id: str, service_date: date) -> str:
    """The trip instance key used in credentials, manifests and tap contexts."""
    return f"{trip_id}@{service_date.isoformat()}"


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reserved place on a trip instance (``TRIP@YYYY-MM-DD``, or ``…THH:MM:SS`` for one run
    of a frequency-based trip) for a leg range."""

    trip_instance: str
    seat: str | None
    board_stop_id: str
    alight_stop_id: str


@dataclass(frozen=True, slots=True)
class Credential:
    """The signed content of a ticket; times are UTC epoch seconds, ticket id is hex."""

    kid: int
    ticket_id: str
    product_id: str
    rider_category: str
    issued_at: int
    valid_from: int
    valid_until: int
    reservation: Reservation | None = None
    area_ids: tuple[str, ...] = ()
    network_ids: tuple[str, ...] = ()
    route_ids: tuple[str, ...] = ()
    version: int = FORMAT_VERSION


def encode_payload(credential: Credential) -> bytes:
    """The canonical payload bytes of a credential (raises ValueError if unrepresentable)."""
    reservation = None
    if credential.reservation is not None:
        found = _TRIP_INSTANCE.fullmatch(credential.reservation.trip_instance)
        if found is None:
            raise ValueError("trip instance must look like TRIP@YYYY-MM-DD[THH:MM:SS]")
        day = date.fromisoformat(found.group(2)).toordinal() - _EPOCH_ORDINAL
        res = credential.reservation
        reservation = [found.group(1), day, res.seat, res.board_stop_id, res.alight_stop_id]
        if found.group(3) is not None:
            hours, minutes, seconds = (int(found.group(n)) for n in (3, 4, 5))
            reservation.append(hours * 3600 + minutes * 60 + seconds)
    ticket = bytes.fromhex(credential.ticket_id)
    if not 8 <= len(ticket) <= 16:
        raise ValueError("a ticket id is 8..16 bytes")
    if not (credential.issued_at >= 0 and credential.valid_from < credential.valid_until):
        raise ValueError("times must be epoch seconds with valid_from < valid_until")
    items: list[object] = [
        credential.version,
        credential.kid,
        ticket,
        credential.product_id,
        credential.rider_category,
        credential.issued_at,
        credential.valid_from - credential.issued_at,
        credential.valid_until - credential.valid_from,
        reservation,
        list(credential.area_ids),
        list(credential.network_ids),
        list(credential.route_ids),
    ]
    while len(items) > 8 and not items[-1]:
        items.pop()
    payload = cbor2.dumps(items)
    if len(payload) + SIGNATURE_SIZE > MAX_BLOB:
        raise ValueError("credential too large")
    return payload


def issue(credential: Credential, signing_key: SigningKey) -> bytes:
    """Sign a credential with the key its kid names; returns the binary blob."""
    if credential.kid != signing_key.kid:
        raise ValueError("credential kid differs from the signing key's kid")
    if not signing_key.valid_from <= credential.issued_at < signing_key.valid_until:
        raise ValueError("issued_at lies outside the signing key's validity period")
    payload = encode_payload(credential)
    return payload + signing_key.sign(payload)


def decode_unverified(blob: bytes) -> Credential | DenyReason:
    """Decode the payload without checking the signature (inspection, support tools)."""
    if type(blob) is not bytes or not SIGNATURE_SIZE < len(blob) <= MAX_BLOB:
        return DenyReason.MALFORMED
    return _from_payload(blob[:-SIGNATURE_SIZE])


def verify(blob: bytes, key_set: KeySet, at: datetime, skew_s: int = 0) -> Credential | DenyReason:
    """Decode and check a credential blob at ``at``; never raises on any blob."""
    return verify_epoch(blob, key_set, epoch_seconds(at), skew_s)


def verify_epoch(blob: bytes, key_set: KeySet, at: int, skew_s: int) -> Credential | DenyReason:
    """``verify`` with ``at`` already in epoch seconds (the decision's hot path)."""
    if type(blob) is not bytes or not SIGNATURE_SIZE < len(blob) <= MAX_BLOB:
        return DenyReason.MALFORMED
    payload = blob[:-SIGNATURE_SIZE]
    credential = _from_payload(payload)
    if isinstance(credential, DenyReason):
        return credential
    key = key_set.lookup(credential.kid, credential.issued_at)
    if key is None:
        return DenyReason.UNKNOWN_KEY
    try:
        key.verifier.verify(blob[-SIGNATURE_SIZE:], payload)
    except InvalidSignature:
        return DenyReason.BAD_SIGNATURE
    return _window_reason(credential, at, skew_s) or credential


def _window_reason(credential: Credential, at: int, skew_s: int) -> DenyReason | None:
    """The validity window ``[valid_from, valid_until)``, widened by the skew both ways."""
    if at < credential.valid_from - skew_s:
        return DenyReason.NOT_YET_VALID
    if at >= credential.valid_until + skew_s:
        return DenyReason.EXPIRED
    return None


def _from_payload(payload: bytes) -> Credential | DenyReason:
    """Map decoded CBOR onto a Credential, or the reason it cannot be one."""
    items = strict_cbor.decode(payload, 3)
    if type(items) is not tuple or not items or type(items[0]) is not int:
        return DenyReason.MALFORMED
    if items[0] != FORMAT_VERSION:
        return DenyReason.UNSUPPORTED_VERSION
    if not 8 <= len(items) <= 12:
        return DenyReason.MALFORMED
    _, kid, ticket, product, rider, issued, start, length, res, areas, nets, routes = (
        items + _ABSENT[len(items) - 8]
    )
    if (
        type(kid) is not int
        or not 0 <= kid <= 0xFFFF
        or type(ticket) is not bytes
        or not 8 <= len(ticket) <= 16
        or type(product) is not str
        or type(rider) is not str
        or type(issued) is not int
        or type(start) is not int
        or type(length) is not int
        or not 0 <= issued <= MAX_EPOCH
        or issued + start < 0
        or length <= 0
        or issued + start + length > MAX_EPOCH
    ):
        return DenyReason.MALFORMED
    reservation = _reservation(res)
    if isinstance(reservation, DenyReason) or not (
        _is_texts(areas) and _is_texts(nets) and _is_texts(routes)
    ):
        return DenyReason.MALFORMED
    valid_from = issued + start
    return Credential(
        kid, ticket.hex(), product, rider, issued, valid_from, valid_from + length,
        reservation, areas, nets, routes,
    )  # fmt: skip


def _reservation(value: object) -> Reservation | DenyReason | None:
    if value is None:
        return None
    if type(value) is not tuple or len(value) not in {5, 6}:
        return DenyReason.MALFORMED
    trip, day, seat, board, alight, *run = value
    if run and (type(run[0]) is not int or not 0 <= run[0] < MAX_RUN_START):
        return DenyReason.MALFORMED
    if (
        type(trip) is not str
        or type(day) is not int
        or not 0 <= day <= _MAX_DAY
        or not (seat is None or type(seat) is str)
        or type(board) is not str
        or type(alight) is not str
    ):
        return DenyReason.MALFORMED
    instance = f"{trip}@{date.fromordinal(_EPOCH_ORDINAL + day).isoformat()}"
    if run:
        hours, rest = divmod(run[0], 3600)
        instance += f"T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return Reservation(instance, seat, board, alight)


def _is_texts(value: object) -> TypeGuard[tuple[str, ...]]:
    return type(value) is tuple and all(type(v) is str for v in value)
