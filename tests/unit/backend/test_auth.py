"""Roles, password hashing and token digests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, profiles

from backend.auth import passwords
from backend.auth.passwords import hash_password, password_problem, verify_password
from backend.auth.roles import Role, grants, parse_role
from backend.auth.tokens import TOKEN_PREFIX, digest_of, issue_token


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.PLANNER, True),
        (Role.ADMIN, Role.SUPPORT, True),
        (Role.PLANNER, Role.PLANNER, True),
        (Role.PLANNER, Role.ADMIN, False),
        (Role.PLANNER, Role.SUPPORT, False),
        (Role.SUPPORT, Role.PLANNER, False),
        (Role.SUPPORT, Role.ADMIN, False),
    ],
)
def test_admin_grants_everything_and_other_roles_only_themselves(
    held: Role, required: Role, allowed: bool
) -> None:
    assert grants(held, required) is allowed


def test_parse_role_refuses_unknown_names() -> None:
    assert parse_role("planner") is Role.PLANNER
    assert parse_role("root") is None


def test_passwords_are_hashed_with_the_recommended_parameters() -> None:
    # The suite's own processes hash with the cheapest parameters (tests/conftest.py); the
    # server's are RFC 9106's low-memory choice, argon2-cffi's default.
    assert passwords.PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    assert PasswordHasher().time_cost == passwords.PARAMETERS.time_cost
    assert PasswordHasher().memory_cost == passwords.PARAMETERS.memory_cost


def test_a_hash_made_with_other_parameters_still_verifies() -> None:
    encoded = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash("a passphrase!")
    assert verify_password(encoded, "a passphrase!")
    assert not verify_password(encoded, "another one!")


def test_password_hash_is_argon2id_and_verifies() -> None:
    encoded = hash_password("correct horse battery")
    assert encoded.startswith("$argon2id$")
    assert verify_password(encoded, "correct horse battery")
    assert not verify_password(encoded, "correct horse battery!")
    assert not verify_password("not a hash", "anything")


def test_password_policy() -> None:
    assert password_problem("short") is not None
    assert password_problem("x" * 12) is None
    assert password_problem("x" * 2000) is not None


def test_tokens_are_random_and_stored_only_as_digests() -> None:
    first, second = issue_token(), issue_token()
    assert first.plaintext != second.plaintext
    assert first.plaintext.startswith(TOKEN_PREFIX)
    assert first.digest == digest_of(first.plaintext)
    assert first.plaintext not in first.digest
    assert len(first.digest) == 64
    assert first.plaintext.startswith(first.prefix)
