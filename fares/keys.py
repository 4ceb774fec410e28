"""Ed25519 signing keys and key sets with rotation by key id (kid) and validity period.

A key id is a small integer (0..65535) so that it costs one to three bytes in a
credential. A key's validity period ``[valid_from, valid_until)`` (UTC epoch seconds)
bounds the *issue time* of what it may sign: a public key verifies a credential or bundle
only if the signed ``issued_at`` lies inside that period. Rotation is therefore: add the
new key to every bundle's key set ahead of use, switch issuing to it, and keep the old
public key in the set until the last credential it signed has expired; then remove it,
after which its kid is unknown. A stolen retired key can backdate ``issued_at`` into its
old period, so a compromised key must be removed from the set, not merely retired.

Config form (``to_json``/``from_json``): one JSON object
``{"kid": 3, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "...",
"ed25519_private": "<base64url raw 32 bytes>"}``; a public key has ``ed25519_public``
instead of ``ed25519_private``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from fares.errors import CodedError

MAX_KID = 0xFFFF


class KeyFormatError(CodedError, ValueError):
    """A key or key set could not be built or loaded; ``code`` is stable."""


def epoch_seconds(moment: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (naive datetimes are a bug)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return int(moment.timestamp())


def _check_period(kid: int, valid_from: int, valid_until: int) -> None:
    if type(kid) is not int or not 0 <= kid <= MAX_KID:
        raise KeyFormatError("bad_kid", f"kid must be an integer in 0..{MAX_KID}")
    if valid_until <= valid_from:
        raise KeyFormatError("bad_period", "valid_until must be after valid_from")


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A verifying key with its kid and the period of issue times it vouches for."""

    kid: int
    raw: bytes
    valid_from: int
    valid_until: int
    verifier: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_period(self.kid, self.valid_from, self.valid_until)
        if type(self.raw) is not bytes or len(self.raw) != 32:
            raise KeyFormatError("bad_key", "an Ed25519 public key is 32 bytes")
        # Loaded once here so that verification never re-parses the key.
        object.__setattr__(self, "verifier", Ed25519PublicKey.from_public_bytes(self.raw))

    def covers(self, issued_at: int) -> bool:
        """Whether something issued at ``issued_at`` (epoch seconds) may carry this key."""
        return self.valid_from <= issued_at < self.valid_until

    def to_json(self) -> str:
        """Serialize for a config file."""
        return _dump(self.kid, self.valid_from, self.valid_until, "ed25519_public", self.raw)

    @classmethod
    def from_json(cls, text: str) -> PublicKey:
        """Load a public key written by ``to_json``."""
        kid, valid_from, valid_until, raw = _load(text, "ed25519_public")
        return cls(kid, raw, valid_from, valid_until)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private Ed25519 key with its kid and validity period, used by the server."""

    kid: int
    private: Ed25519PrivateKey = field(repr=False)
    valid_from: int
    valid_until: int

    def __post_init__(self) -> None:
        _check_period(self.kid, self.valid_from, self.valid_until)

    @classmethod
    def generate(cls, kid: int, valid_from: datetime, valid_until: datetime) -> SigningKey:
        """Create a fresh random key."""
        return cls(
            kid, Ed25519PrivateKey.generate(), epoch_seconds(valid_from), epoch_seconds(valid_until)
        )

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return self.private.sign(message)

    def public_key(self) -> PublicKey:
        """The matching public key, for key sets."""
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.kid, raw, self.valid_from, self.valid_until)

    def to_json(self) -> str:
        """Serialize for a config file (the private key in clear: protect the file)."""
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return _dump(self.kid, self.valid_from, self.valid_until, "ed25519_private", raw)

    @classmethod
    def from_json(cls, text: str) -> SigningKey:
        """Load a signing key written by ``to_json``."""
        kid, valid_from, valid_until, raw = _load(text, "ed25519_private")
        if len(raw) != 32:
            raise KeyFormatError("bad_key", "an Ed25519 private key is 32 bytes")
        return cls(kid, Ed25519PrivateKey.from_private_bytes(raw), valid_from, valid_until)


class KeySet:
    """Public keys by kid; lookups are O(1) and return pre-loaded verifier objects."""

    __slots__ = ("_by_kid",)

    def __init__(self, keys: Iterable[PublicKey] = ()) -> None:
        by_kid: dict[int, PublicKey] = {}
        for key in keys:
            if key.kid in by_kid:
                raise KeyFormatError("duplicate_kid", f"kid {key.kid} appears twice")
            by_kid[key.kid] = key
        self._by_kid = by_kid

    def lookup(self, kid: int, issued_at: int) -> PublicKey | None:
        """The key for ``kid`` if it covers ``issued_at``, else None."""
        key = self._by_kid.get(kid)
        if key is None or not key.valid_from <= issued_at < key.valid_until:
            return None
        return key

    def get(self, kid: int) -> PublicKey | None:
        """The key for ``kid`` whatever its period, else None."""
        return self._by_kid.get(kid)

    def with_key(self, key: PublicKey) -> KeySet:
        """A new set with ``key`` added (its kid must be new)."""
        return KeySet([*self._by_kid.values(), key])

    def without(self, kid: int) -> KeySet:
        """A new set with ``kid`` retired: its credentials become unknown_key."""
        return KeySet(k for k in self._by_kid.values() if k.kid != kid)

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(sorted(self._by_kid.values(), key=lambda k: k.kid))

    def __len__(self) -> int:
        return len(self._by_kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid


def _dump(kid: int, valid_from: int, valid_until: int, name: str, raw: bytes) -> str:
    return json.dumps(
        {
            "kid": kid,
            "valid_from": _iso(valid_from),
            "valid_until": _iso(valid_until),
            name: base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"),
        }
    )


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _load(text: str, name: str) -> tuple[int, int, int, bytes]:
    try:
        record = json.loads(text)
        kid = record["kid"]
        valid_from = epoch_seconds(datetime.fromisoformat(record["valid_from"]))
        valid_until = epoch_seconds(datetime.fromisoformat(record["valid_until"]))
        encoded = record[name]
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise KeyFormatError("bad_key_file", f"cannot read key: {error}") from error
    if type(kid) is not int:
        raise KeyFormatError("bad_kid", "kid must be an integer")
    return kid, valid_from, valid_until, raw
