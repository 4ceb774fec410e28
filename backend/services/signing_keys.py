"""The server's keyring: the Ed25519 keys that sign credentials and rule bundles.

The keyring is a JSON file named by the ``signing_keys_file`` setting, readable by the server
alone (mode 0600), holding every signing key the server has used:
``{"format": 1, "keys": [{"kid": 1, "valid_from": "…Z", "valid_until": "…Z",
"ed25519_private": "…"}, …]}`` (each key in ``fares.keys.SigningKey``'s JSON form).

A key's validity period bounds the *issue time* of what it signs. The key that covers the
present signs new tickets. Rotating ends the current key's period now and adds a new key whose
period starts now; the old key stays in the file, because a ticket's credential is made again
from the ticket's row whenever it is fetched, with the key of the ticket's ``kid`` (Ed25519 is
deterministic, so the bytes come out the same), and because validators must keep trusting its
public key until the last credential it signed has expired: the published key set holds every
key whose period ended less than ``CREDENTIAL_LIFETIME`` ago. Tickets already issued thus stay
valid across a rotation.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.errors import ServiceError
from fares.keys import KeyFormatError, KeySet, SigningKey, epoch_seconds

KEYRING_FORMAT = 1
KEY_PERIOD = timedelta(days=366)  # how long a new key may issue before a rotation is due
CREDENTIAL_LIFETIME = timedelta(days=400)  # the longest a credential may stay valid


class KeyringError(ServiceError):
    """The keyring is missing, unreadable or has no key for the present."""

    status = 503


@dataclass(frozen=True)
class Keyring:
    """The server's signing keys, oldest first."""

    keys: tuple[SigningKey, ...]

    def current(self, now: datetime) -> SigningKey:
        """The key that signs what is issued at ``now``; 503 when none covers it."""
        at = epoch_seconds(now)
        for key in reversed(self.keys):
            if key.valid_from <= at < key.valid_until:
                return key
        raise KeyringError(
            "signing_key_expired",
            "no signing key covers the present: run `faregate keys rotate`",
        )

    def key(self, kid: int) -> SigningKey | None:
        """The signing key with id ``kid``, if the keyring still has it."""
        return next((key for key in self.keys if key.kid == kid), None)

    def key_set(self, now: datetime) -> KeySet:
        """The public keys validators must trust at ``now``."""
        horizon = epoch_seconds(now - CREDENTIAL_LIFETIME)
        return KeySet(key.public_key() for key in self.keys if key.valid_until > horizon)

    def rotated(self, now: datetime) -> Keyring:
        """This keyring with the current key's period ended and a new key's begun at the
        second after ``now`` (credentials carry whole seconds: one issued during this second
        by the old key stays inside the old key's period)."""
        boundary = epoch_seconds(now) + 1
        kept = tuple(
            SigningKey(key.kid, key.private, key.valid_from, min(key.valid_until, boundary))
            if key.valid_from < boundary
            else key
            for key in self.keys
        )
        kid = max((key.kid for key in self.keys), default=0) + 1
        start = datetime.fromtimestamp(boundary, UTC)
        return Keyring((*kept, SigningKey.generate(kid, start, start + KEY_PERIOD)))


def load_keyring(path: Path) -> Keyring:
    """The keyring in ``path``; 503 with a code when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
        if document.get("format") != KEYRING_FORMAT:
            raise KeyringError("bad_keyring", f"{path} is not a format {KEYRING_FORMAT} keyring")
        keys = tuple(SigningKey.from_json(json.dumps(entry)) for entry in document["keys"])
    except FileNotFoundError as error:
        raise KeyringError(
            "no_keyring", f"no signing keys in {path}: run `faregate keys init`"
        ) from error
    except (ValueError, KeyError, TypeError, AttributeError, KeyFormatError) as error:
        raise KeyringError("bad_keyring", f"cannot read the keyring {path}: {error}") from error
    if not keys:
        raise KeyringError("bad_keyring", f"the keyring {path} holds no key")
    return Keyring(keys)


def save_keyring(path: Path, keyring: Keyring) -> None:
    """Write ``keyring`` to ``path`` whole or not at all, readable by its owner only."""
    document = {
        "format": KEYRING_FORMAT,
        "keys": [json.loads(key.to_json()) for key in keyring.keys],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def init_keyring(path: Path, now: datetime) -> Keyring:
    """Create a keyring with one new key in ``path``; refused when one is there already."""
    if path.exists():
        raise KeyringError("keyring_exists", f"{path} already holds a keyring")
    keyring = Keyring((SigningKey.generate(1, now, now + KEY_PERIOD),))
    save_keyring(path, keyring)
    return keyring


def rotate_keyring(path: Path, now: datetime) -> Keyring:
    """Rotate the keyring in ``path`` (see the module docstring) and save it."""
    keyring = load_keyring(path).rotated(now)
    save_keyring(path, keyring)
    return keyring


class KeyringFile:
    """The keyring of a file, read again whenever the file changes, so that a rotation by
    `faregate keys rotate` reaches running servers without a restart; safe across threads."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._loaded: tuple[int, Keyring] | None = None

    def get(self) -> Keyring:
        """The keyring as the file has it now; 503 with a code when it cannot be read."""
        try:
            stamp = self._path.stat().st_mtime_ns
        except FileNotFoundError as error:
            raise KeyringError(
                "no_keyring", f"no signing keys in {self._path}: run `faregate keys init`"
            ) from error
        with self._lock:
            if self._loaded is not None and self._loaded[0] == stamp:
                return self._loaded[1]
        keyring = load_keyring(self._path)
        with self._lock:
            self._loaded = (stamp, keyring)
        return keyring
