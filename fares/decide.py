"""Decide whether one presented medium opens this gate or bus door, offline.

Checks run in this order and the first failure is the reason: bundle trust
(bundle_expired) → decode (malformed, unsupported_version) → key (unknown_key) →
signature (bad_signature) → validity window with the bundle's clock skew (not_yet_valid,
expired) → deny list (revoked) → product (unknown_product, wrong_rider_category) →
context (wrong_area, wrong_network, wrong_route; for reservations wrong_trip, wrong_seat,
wrong_stop) → passback. A restriction is checked only where the context supplies that
dimension (a gate has no route). A reservation is checked against a bus's trip instance;
with the trip's manifest the boarding stop must lie in [board, alight) and the seat must
be the manifest's (a ticket missing from the manifest was sold after the bundle was built
and keeps its signed seat). Account media are checked against the deny list and passback
only; the server prices them later. ``Decision.history_key`` is set on an allowed tap at
an entry role: the caller records an entry under it once the tap is committed.
"""

from __future__ import annotations

from collections.abc import Mapping

from fares.bundle import RuleBundle
from fares.credentials import Credential, Reservation, verify_epoch
from fares.media import parse_ndef_message, parse_qr_text
from fares.reasons import Decision, DenyReason
from fares.rules import ENTRY_ROLES, Product, ProductKind
from fares.tap import (
    MAX_TECHNOLOGY,
    MAX_UID,
    LocalHistory,
    MediaKind,
    PresentedMedia,
    TapContext,
    media_fingerprint,
)


def decide(
    media: PresentedMedia, context: TapContext, bundle: RuleBundle, history: LocalHistory
) -> Decision:
    """The decision for one tap; never raises on any media."""
    at = int(context.at.timestamp())
    if at >= bundle.valid_until + bundle.clock_skew_s:
        return Decision.deny(DenyReason.BUNDLE_EXPIRED)
    if media.kind is MediaKind.ACCOUNT:
        return _decide_account(media, context, bundle, history, at)
    return _decide_credential(media, context, bundle, history, at)


def _decide_credential(
    media: PresentedMedia, context: TapContext, bundle: RuleBundle, history: LocalHistory, at: int
) -> Decision:
    """Credential media: every check from decoding to passback."""
    blob = _blob(media)
    if isinstance(blob, DenyReason):
        return Decision.deny(blob)
    credential = verify_epoch(blob, bundle.keys, at, bundle.clock_skew_s)
    if isinstance(credential, DenyReason):
        return Decision.deny(credential)
    ticket_id, product_id = credential.ticket_id, credential.product_id
    if ticket_id in bundle.deny_list.tickets:
        return Decision.deny(DenyReason.REVOKED, product_id=product_id, ticket_id=ticket_id)
    product = bundle.products.get(product_id)
    if product is None:
        return Decision.deny(DenyReason.UNKNOWN_PRODUCT, product_id=product_id, ticket_id=ticket_id)
    reason = _product_reason(credential, product, context) or _reservation_reason(
        credential, product, context, bundle
    )
    if reason is None:
        key = "ticket:" + ticket_id
        if not _passback(key, context, bundle, history, at):
            record = key if context.role in ENTRY_ROLES else None
            return Decision.allow(product_id=product_id, ticket_id=ticket_id, history_key=record)
        reason = DenyReason.PASSBACK
    return Decision.deny(reason, product_id=product_id, ticket_id=ticket_id)


def _blob(media: PresentedMedia) -> bytes | DenyReason:
    """The credential blob carried by a QR text, NDEF message or raw credential."""
    payload = media.payload
    if media.kind is MediaKind.QR_TEXT:
        if type(payload) is bytes:
            payload = payload.decode("ascii") if payload.isascii() else ""
        return parse_qr_text(payload)
    if media.kind is MediaKind.NDEF:
        return parse_ndef_message(payload)
    if media.kind is MediaKind.CREDENTIAL and type(payload) is bytes:
        return payload
    return DenyReason.MALFORMED


def _decide_account(
    media: PresentedMedia, context: TapContext, bundle: RuleBundle, history: LocalHistory, at: int
) -> Decision:
    """Account media: only the deny list and passback apply."""
    uid, technology = media.payload, media.technology
    if type(uid) is not bytes or not 0 < len(uid) <= MAX_UID:
        return Decision.deny(DenyReason.MALFORMED)
    if type(technology) is not str or len(technology) > MAX_TECHNOLOGY:
        return Decision.deny(DenyReason.MALFORMED)
    fingerprint = media_fingerprint(technology, uid)
    if fingerprint in bundle.deny_list.media:
        return Decision.deny(DenyReason.REVOKED, fingerprint=fingerprint)
    key = "media:" + fingerprint
    if _passback(key, context, bundle, history, at):
        return Decision.deny(DenyReason.PASSBACK, fingerprint=fingerprint)
    record = key if context.role in ENTRY_ROLES else None
    return Decision.allow(fingerprint=fingerprint, history_key=record)


def _product_reason(
    credential: Credential, product: Product, context: TapContext
) -> DenyReason | None:
    """Rider category and area/network/route restrictions of product and credential."""
    if product.rider_categories and credential.rider_category not in product.rider_categories:
        return DenyReason.WRONG_RIDER_CATEGORY
    areas = context.area_ids
    if areas and (
        (product.area_ids and product.area_ids.isdisjoint(areas))
        or (credential.area_ids and areas.isdisjoint(credential.area_ids))
    ):
        return DenyReason.WRONG_AREA
    network = context.network_id
    if network is not None and (
        (product.network_ids and network not in product.network_ids)
        or (credential.network_ids and network not in credential.network_ids)
    ):
        return DenyReason.WRONG_NETWORK
    route = context.route_id
    if route is not None and (
        (product.route_ids and route not in product.route_ids)
        or (credential.route_ids and route not in credential.route_ids)
    ):
        return DenyReason.WRONG_ROUTE
    return None


def _reservation_reason(
    credential: Credential, product: Product, context: TapContext, bundle: RuleBundle
) -> DenyReason | None:
    """Trip, seat and boarding stop of a reservation, where the validator knows its trip."""
    reservation = credential.reservation
    if context.trip_instance is None:
        return None
    if reservation is None:
        return DenyReason.WRONG_TRIP if product.kind is ProductKind.RESERVED else None
    if reservation.trip_instance != context.trip_instance:
        return DenyReason.WRONG_TRIP
    manifest = bundle.manifests.get(reservation.trip_instance)
    if manifest is None:
        return DenyReason.WRONG_STOP if context.stop_id == reservation.alight_stop_id else None
    seats = manifest.seats
    ticket_id = credential.ticket_id
    if ticket_id in seats and seats[ticket_id] != reservation.seat:
        return DenyReason.WRONG_SEAT
    return _stop_reason(reservation, manifest.stop_index, context.stop_id)


def _stop_reason(
    reservation: Reservation, stop_index: Mapping[str, int], stop_id: str | None
) -> DenyReason | None:
    """Boarding must happen at or after the board stop and before the alight stop."""
    if stop_id is None:
        return None
    here = stop_index.get(stop_id)
    board = stop_index.get(reservation.board_stop_id)
    alight = stop_index.get(reservation.alight_stop_id)
    if here is None or board is None or alight is None or not board <= here < alight:
        return DenyReason.WRONG_STOP
    return None


def _passback(
    key: str, context: TapContext, bundle: RuleBundle, history: LocalHistory, at: int
) -> bool:
    """Whether ``key`` entered within the passback window of this device role."""
    window = bundle.passback_s.get(context.role, 0)
    if window <= 0 or context.role not in ENTRY_ROLES:
        return False
    last = history.last_entry(key)
    return last is not None and abs(at - last.timestamp()) < window
