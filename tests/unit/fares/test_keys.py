"""Signing keys, key sets and rotation by kid and validity period."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from fares.credentials import verify
from fares.keys import KeyFormatError, KeySet, PublicKey, SigningKey, epoch_seconds
from fares.reasons import DenyReason
from tests.unit.fares.builders import T0, reserved_credential, signed

OLD = SigningKey.generate(1, T0 - timedelta(days=60), T0)
NEW = SigningKey.generate(2, T0, T0 + timedelta(days=60))


def test_signing_key_survives_its_config_form() -> None:
    loaded = SigningKey.from_json(OLD.to_json())
    assert loaded.kid == 1
    assert loaded.public_key() == OLD.public_key()
    assert loaded.valid_until == epoch_seconds(T0)


def test_public_key_survives_its_config_form() -> None:
    assert PublicKey.from_json(NEW.public_key().to_json()) == NEW.public_key()


def test_unreadable_key_files_raise_a_stable_code() -> None:
    for text in ("not json", "[]", json.dumps({"kid": "one"}), "{}"):
        with pytest.raises(KeyFormatError) as raised:
            SigningKey.from_json(text)
        assert raised.value.code in {"bad_key_file", "bad_kid"}


def test_key_validity_must_be_a_forward_period() -> None:
    with pytest.raises(KeyFormatError) as raised:
        SigningKey.generate(3, T0, T0)
    assert raised.value.code == "bad_period"


def test_key_set_refuses_duplicate_kids() -> None:
    with pytest.raises(KeyFormatError) as raised:
        KeySet([OLD.public_key(), replace(NEW.public_key(), kid=1)])
    assert raised.value.code == "duplicate_kid"


def test_lookup_requires_the_issue_time_inside_the_key_period() -> None:
    keys = KeySet([OLD.public_key(), NEW.public_key()])
    at = epoch_seconds(T0)
    assert keys.lookup(1, at - 1) == OLD.public_key()
    assert keys.lookup(1, at) is None
    assert keys.lookup(2, at) == NEW.public_key()
    assert keys.lookup(3, at) is None


def test_old_key_still_verifies_tickets_issued_in_its_period_after_rotation() -> None:
    issued = epoch_seconds(T0) - 3600
    old_ticket = signed(reserved_credential(kid=1, issued_at=issued, valid_from=issued), OLD)
    new_ticket = signed(reserved_credential(kid=2), NEW)
    rotated = KeySet([OLD.public_key()]).with_key(NEW.public_key())
    assert not isinstance(verify(old_ticket, rotated, T0), DenyReason)
    assert not isinstance(verify(new_ticket, rotated, T0), DenyReason)


def test_retired_key_makes_its_tickets_unknown_key() -> None:
    issued = epoch_seconds(T0) - 3600
    old_ticket = signed(reserved_credential(kid=1, issued_at=issued, valid_from=issued), OLD)
    retired = KeySet([OLD.public_key(), NEW.public_key()]).without(1)
    assert 1 not in retired
    assert verify(old_ticket, retired, T0) is DenyReason.UNKNOWN_KEY


def test_credential_claiming_issue_outside_the_key_period_is_unknown_key() -> None:
    keys = KeySet([OLD.public_key(), NEW.public_key()])
    with pytest.raises(ValueError, match="validity period"):
        signed(reserved_credential(kid=1), OLD)
    late = reserved_credential(kid=1)
    blob_payload = signed(reserved_credential(kid=2), NEW)
    assert verify(blob_payload, KeySet([OLD.public_key()]), T0) is DenyReason.UNKNOWN_KEY
    assert late.issued_at >= OLD.valid_until
    assert keys.lookup(1, late.issued_at) is None
