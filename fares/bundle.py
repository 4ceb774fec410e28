"""Signed rule bundles: everything a validator needs to decide offline, verified before use.

Wire format, bundle format version 1::

    blob     = CBOR [1, signer kid: uint, content: bstr, signature: bstr(64)]
    content  = CBOR map, text keys:
      "format": 1              "version": uint (the bundle's own, increasing)
      "issued_at": uint        "valid_until": uint   (UTC epoch seconds)
      "keys": [[kid, ed25519 public bstr(32), valid_from, valid_until], ...]
      "products": [Product wire form, ...]            (fares.rules)
      "deny": {"full": DenyList wire} or {"delta": DenyListDelta wire}   (fares.deny_list)
      "passback_s": {device role value: window seconds, ...}   (0 or absent: no check)
      "clock_skew_s": uint
      "manifests": [TripManifest wire form, ...]      (fares.rules)
      "vehicles": [[vehicle id, [trip instance, ...]], ...]   (the day's assignments)
      "trip_times": [[trip instance, first departure, last arrival], ...]
                               (UTC epoch seconds; optional, see below)

The signature is Ed25519 over the content bytes by a key of the agent's trusted set, which
must cover ``issued_at``. Nothing in the content is read before the signature checks, and
a refused bundle yields only a ``BundleRefusal`` code, never a partial bundle. The ETag is
the SHA-256 of the whole blob in hex, quoted.

A delta bundle (``"deny": {"delta": ...}``) carries every other field in full; the server
makes one from a full bundle with ``delta_bundle``, so that applying the delta to the list it
starts from opens exactly the bundle the full one stands for (same version and contents, its
own ETag). ``valid_until`` is how long a validator may
trust the bundle: past it every tap is denied ``bundle_expired`` (its deny list can no
longer be trusted), so the server sets it beyond the longest offline period to ride out
(e.g. 7 days).

``trip_times`` gives the scheduled span of trip instances the ``vehicles`` list, worked out
by the server in the agency's timezone (so a trip past 24:00:00 and a day the clocks change
need nothing more on a validator): a bus takes its current trip from them. It was added to
format 1 without a version change, as a key an older agent ignores; a bundle without it opens
with no times, and its buses keep to the order of their vehicle's list.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import cbor2
from cryptography.exceptions import InvalidSignature

from fares import strict_cbor
from fares.deny_list import DenyList, DenyListDelta
from fares.keys import KeySet, PublicKey, SigningKey, epoch_seconds
from fares.rules import DeviceRole, Product, TripManifest

FORMAT_VERSION = 1
MAX_BUNDLE = 64 * 1024 * 1024


class BundleRefusal(enum.Enum):
    """Why a bundle was not opened; the value is a stable code."""

    MALFORMED = "bundle_malformed"
    UNSUPPORTED_VERSION = "bundle_unsupported_version"
    UNKNOWN_KEY = "bundle_unknown_key"
    BAD_SIGNATURE = "bundle_bad_signature"
    EXPIRED = "bundle_expired"
    DELTA_BASE_MISMATCH = "bundle_delta_base_mismatch"


@dataclass(frozen=True, slots=True)
class RuleBundle:
    """An opened, verified bundle, with lookup tables built once for the decision path."""

    version: int
    issued_at: int
    valid_until: int
    keys: KeySet
    products: Mapping[str, Product]
    deny_list: DenyList
    passback_s: Mapping[DeviceRole, int]
    clock_skew_s: int
    manifests: Mapping[str, TripManifest]
    vehicle_trips: Mapping[str, tuple[str, ...]]
    content_hash: str
    signer_kid: int
    # trip instance → (first departure, last arrival) in UTC epoch seconds
    trip_times: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        """The HTTP entity tag of the blob this bundle was opened from."""
        return f'"{self.content_hash}"'


def bundle_etag(blob: bytes) -> str:
    """The HTTP entity tag of a bundle blob, computed without opening it."""
    return f'"{hashlib.sha256(blob).hexdigest()}"'


def build_bundle(
    *,
    signing_key: SigningKey,
    version: int,
    issued_at: datetime,
    valid_until: datetime,
    keys: Iterable[PublicKey],
    products: Iterable[Product],
    deny: DenyList | DenyListDelta,
    passback_s: Mapping[DeviceRole, int],
    clock_skew_s: int,
    manifests: Iterable[TripManifest] = (),
    vehicle_trips: Mapping[str, Iterable[str]] | None = None,
    trip_times: Mapping[str, tuple[datetime, datetime]] | None = None,
) -> bytes:
    """Serialize and sign a bundle (server side); ``trip_times`` maps a trip instance to its
    first departure and last arrival."""
    issued = epoch_seconds(issued_at)
    if not signing_key.valid_from <= issued < signing_key.valid_until:
        raise ValueError("issued_at lies outside the signing key's validity period")
    content = {
        "format": FORMAT_VERSION,
        "version": version,
        "issued_at": issued,
        "valid_until": epoch_seconds(valid_until),
        "keys": [[k.kid, k.raw, k.valid_from, k.valid_until] for k in keys],
        "products": [p.to_wire() for p in products],
        "deny": {"full" if isinstance(deny, DenyList) else "delta": deny.to_wire()},
        "passback_s": {role.value: seconds for role, seconds in passback_s.items()},
        "clock_skew_s": clock_skew_s,
        "manifests": [m.to_wire() for m in manifests],
        "vehicles": [[v, list(t)] for v, t in sorted((vehicle_trips or {}).items())],
        "trip_times": [
            [trip, epoch_seconds(departs), epoch_seconds(arrives)]
            for trip, (departs, arrives) in sorted((trip_times or {}).items())
        ],
    }
    return _signed(content, signing_key)


def _signed(content: dict[str, object], signing_key: SigningKey) -> bytes:
    """The envelope of ``content`` signed with ``signing_key``."""
    body = cbor2.dumps(content)
    return cbor2.dumps([FORMAT_VERSION, signing_key.kid, body, signing_key.sign(body)])


def delta_bundle(full: bytes, delta: DenyListDelta, signing_key: SigningKey) -> bytes | None:
    """``full`` (a bundle the server built and signed with ``signing_key``, read without
    verifying) carrying ``delta`` in place of its deny list, signed again; None unless
    ``full`` holds a full deny list at ``delta``'s target version under that key."""
    envelope = _envelope(full)
    if isinstance(envelope, BundleRefusal) or envelope[0] != signing_key.kid:
        return None
    content = cbor2.loads(envelope[1])
    deny = content.get("deny") if type(content) is dict else None
    held = deny.get("full") if type(deny) is dict else None
    if type(held) is not dict or held.get("version") != delta.to_version:
        return None
    content["deny"] = {"delta": delta.to_wire()}
    return _signed(content, signing_key)


def open_bundle(
    blob: bytes, trusted_keys: KeySet, at: datetime, base: DenyList | None = None
) -> RuleBundle | BundleRefusal:
    """Verify and open a bundle; ``base`` is the current deny list when it carries a delta."""
    envelope = _envelope(blob)
    if isinstance(envelope, BundleRefusal):
        return envelope
    kid, body, signature = envelope
    key = trusted_keys.get(kid)
    if key is None:
        return BundleRefusal.UNKNOWN_KEY
    try:
        key.verifier.verify(signature, body)
    except InvalidSignature:
        return BundleRefusal.BAD_SIGNATURE
    content = strict_cbor.decode(body, 6)
    if type(content) is not dict or content.get("format") != FORMAT_VERSION:
        return BundleRefusal.MALFORMED
    return _assemble(content, key, epoch_seconds(at), base, hashlib.sha256(blob).hexdigest())


def _envelope(blob: bytes) -> tuple[int, bytes, bytes] | BundleRefusal:
    """Split the outer envelope into (signer kid, content bytes, signature)."""
    envelope = strict_cbor.decode(blob, 1) if type(blob) is bytes else strict_cbor.NOT_CBOR
    if type(envelope) is tuple and envelope and type(envelope[0]) is int:
        if envelope[0] != FORMAT_VERSION:
            return BundleRefusal.UNSUPPORTED_VERSION
        if len(envelope) == 4:
            _, kid, body, signature = envelope
            if type(kid) is int and type(body) is bytes and type(signature) is bytes:
                return kid, body, signature
    return BundleRefusal.MALFORMED


def _assemble(
    content: dict[object, object],
    signer: PublicKey,
    at: int,
    base: DenyList | None,
    content_hash: str,
) -> RuleBundle | BundleRefusal:
    """Check the verified content's shape and build the lookup tables."""
    version, issued_at = content.get("version"), content.get("issued_at")
    valid_until, skew = content.get("valid_until"), content.get("clock_skew_s")
    if not (type(version) is type(issued_at) is type(valid_until) is type(skew) is int):
        return BundleRefusal.MALFORMED
    if not signer.covers(issued_at):
        return BundleRefusal.UNKNOWN_KEY
    if at >= valid_until + skew:
        return BundleRefusal.EXPIRED
    deny = _deny_list(content.get("deny"), base)
    keys, products = _key_set(content.get("keys")), _by_id(content.get("products"))
    manifests, vehicles = _manifests(content.get("manifests")), _vehicles(content.get("vehicles"))
    passback, times = _passback(content.get("passback_s")), _trip_times(content.get("trip_times"))
    if isinstance(deny, BundleRefusal):
        return deny
    if (
        keys is None
        or products is None
        or manifests is None
        or vehicles is None
        or passback is None
        or times is None
    ):
        return BundleRefusal.MALFORMED
    return RuleBundle(
        version, issued_at, valid_until, keys, products, deny, passback, skew,
        manifests, vehicles, content_hash, signer.kid, times,
    )  # fmt: skip


def _deny_list(value: object, base: DenyList | None) -> DenyList | BundleRefusal:
    if type(value) is not dict or len(value) != 1:
        return BundleRefusal.MALFORMED
    if "full" in value:
        full = DenyList.from_wire(value["full"])
        return BundleRefusal.MALFORMED if full is None else full
    delta = DenyListDelta.from_wire(value.get("delta"))
    if delta is None:
        return BundleRefusal.MALFORMED
    if base is None or base.version != delta.from_version:
        return BundleRefusal.DELTA_BASE_MISMATCH
    return base.apply(delta)


def _key_set(value: object) -> KeySet | None:
    if type(value) is not tuple:
        return None
    keys = []
    for row in value:
        if type(row) is not tuple or len(row) != 4:
            return None
        kid, raw, start, stop = row
        if type(kid) is not int or not 0 <= kid <= 0xFFFF or type(raw) is not bytes:
            return None
        if len(raw) != 32 or type(start) is not int or type(stop) is not int or stop <= start:
            return None
        keys.append(PublicKey(kid, raw, start, stop))
    if len({k.kid for k in keys}) != len(keys):
        return None
    return KeySet(keys)


def _by_id(value: object) -> dict[str, Product] | None:
    if type(value) is not tuple:
        return None
    products = [Product.from_wire(row) for row in value]
    if any(p is None for p in products):
        return None
    return {p.product_id: p for p in products if p is not None}


def _manifests(value: object) -> dict[str, TripManifest] | None:
    if type(value) is not tuple:
        return None
    manifests = [TripManifest.from_wire(row) for row in value]
    if any(m is None for m in manifests):
        return None
    return {m.trip_instance: m for m in manifests if m is not None}


def _vehicles(value: object) -> dict[str, tuple[str, ...]] | None:
    if type(value) is not tuple:
        return None
    result: dict[str, tuple[str, ...]] = {}
    for row in value:
        if type(row) is not tuple or len(row) != 2 or type(row[0]) is not str:
            return None
        if type(row[1]) is not tuple or any(type(t) is not str for t in row[1]):
            return None
        result[row[0]] = row[1]
    return result


def _trip_times(value: object) -> dict[str, tuple[int, int]] | None:
    """The trip spans; absent (a bundle made before them) is none."""
    if value is None:
        return {}
    if type(value) is not tuple:
        return None
    result: dict[str, tuple[int, int]] = {}
    for row in value:
        if type(row) is not tuple or len(row) != 3 or type(row[0]) is not str:
            return None
        _, departs, arrives = row
        if type(departs) is not int or type(arrives) is not int or arrives < departs:
            return None
        result[row[0]] = (departs, arrives)
    return result


def _passback(value: object) -> dict[DeviceRole, int] | None:
    if type(value) is not dict:
        return None
    roles = {role.value: role for role in DeviceRole}
    result: dict[DeviceRole, int] = {}
    for name, seconds in value.items():
        if name not in roles or type(seconds) is not int or seconds < 0:
            return None
        result[roles[name]] = seconds
    return result
