"""Operator endpoints: authentication, role checks, token scoping and revocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.clock import utc_now
from backend.db import Database
from backend.models import ApiToken, StaffUser
from backend.services import accounts

TokenMaker = Callable[..., str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: object) -> str:
    body = response.json  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def test_operator_endpoint_without_credentials_is_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/staff/users")
    assert response.status_code == 401
    assert error_code(response) == "authentication_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer fg_not-a-real-token", "Bearer someone-elses-token", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_unknown_or_malformed_tokens_are_401(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/staff/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


@pytest.mark.parametrize("role", ["planner", "support"])
def test_wrong_role_is_403(client: FlaskClient, staff_token: TokenMaker, role: str) -> None:
    response = client.get("/api/v1/staff/users", headers=bearer(staff_token(role)))
    assert response.status_code == 403
    assert error_code(response) == "insufficient_role"


def test_admin_lists_and_creates_users(client: FlaskClient, staff_token: TokenMaker) -> None:
    admin = bearer(staff_token("admin"))
    created = client.post(
        "/api/v1/staff/users",
        json={"email": "Planner@Example.org", "role": "planner", "password": "x" * 16},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json["email"] == "planner@example.org"
    assert "password" not in created.json
    listed = client.get("/api/v1/staff/users", headers=admin)
    assert [user["email"] for user in listed.json] == ["admin1@example.org", "planner@example.org"]


def test_creating_a_duplicate_user_is_409_and_changes_nothing(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    admin = bearer(staff_token("admin"))
    body = {"email": "admin1@example.org", "role": "support", "password": "y" * 16}
    response = client.post("/api/v1/staff/users", json=body, headers=admin)
    assert response.status_code == 409
    assert error_code(response) == "email_taken"
    with database.sessions() as session:
        assert session.scalars(select(StaffUser.role)).all() == ["admin"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "planner", "password": "x" * 16}, "email"),
        ({"email": "a@example.org", "role": "root", "password": "x" * 16}, "role"),
        ({"email": "a@example.org", "role": "planner"}, "password"),
    ],
)
def test_invalid_bodies_are_422_with_field_details(
    client: FlaskClient, staff_token: TokenMaker, body: dict[str, str], field: str
) -> None:
    response = client.post("/api/v1/staff/users", json=body, headers=bearer(staff_token()))
    assert response.status_code == 422
    assert error_code(response) == "validation_failed"
    assert field in response.json["error"]["details"]["json"]


def test_weak_password_is_refused_with_its_code(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    body = {"email": "a@example.org", "role": "support", "password": "short"}
    response = client.post("/api/v1/staff/users", json=body, headers=bearer(staff_token()))
    assert response.status_code == 422
    assert error_code(response) == "weak_password"


def test_revoked_token_stops_working_at_once(client: FlaskClient, staff_token: TokenMaker) -> None:
    token = staff_token("planner")
    me = client.get("/api/v1/staff/me", headers=bearer(token))
    assert me.status_code == 200
    token_id = me.json["token_id"]

    revoked = client.delete(f"/api/v1/staff/tokens/{token_id}", headers=bearer(token))
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None

    after = client.get("/api/v1/staff/me", headers=bearer(token))
    assert after.status_code == 401
    assert error_code(after) == "token_revoked"


def test_admin_revokes_someone_elses_token_but_others_cannot(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    planner, support, admin = staff_token("planner"), staff_token("support"), staff_token("admin")
    planner_token_id = client.get("/api/v1/staff/me", headers=bearer(planner)).json["token_id"]

    refused = client.delete(f"/api/v1/staff/tokens/{planner_token_id}", headers=bearer(support))
    assert refused.status_code == 404
    assert error_code(refused) == "token_not_found"
    assert client.get("/api/v1/staff/me", headers=bearer(planner)).status_code == 200

    done = client.delete(f"/api/v1/staff/tokens/{planner_token_id}", headers=bearer(admin))
    assert done.status_code == 200
    assert error_code(client.get("/api/v1/staff/me", headers=bearer(planner))) == "token_revoked"


def test_token_is_scoped_to_its_role_not_its_users(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    support_scoped_admin = staff_token("admin", token_role="support")
    me = client.get("/api/v1/staff/me", headers=bearer(support_scoped_admin))
    assert me.json["role"] == "support"
    response = client.get("/api/v1/staff/users", headers=bearer(support_scoped_admin))
    assert response.status_code == 403
    assert error_code(response) == "insufficient_role"


def test_a_token_cannot_mint_a_wider_one(client: FlaskClient, staff_token: TokenMaker) -> None:
    planner = bearer(staff_token("planner"))
    response = client.post(
        "/api/v1/staff/tokens", json={"name": "escalate", "role": "admin"}, headers=planner
    )
    assert response.status_code == 403
    assert error_code(response) == "role_not_held"


def test_issued_token_works_and_only_its_digest_is_stored(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    planner = bearer(staff_token("planner"))
    issued = client.post(
        "/api/v1/staff/tokens", json={"name": "uploads", "expires_in_days": 7}, headers=planner
    )
    assert issued.status_code == 201
    secret = issued.json["token"]
    assert issued.json["role"] == "planner"
    assert client.get("/api/v1/staff/me", headers=bearer(secret)).status_code == 200

    listed = client.get("/api/v1/staff/tokens", headers=planner).json
    assert {token["name"] for token in listed} == {"test", "uploads"}
    assert all("token" not in token for token in listed)
    with database.sessions() as session:
        stored = session.scalars(select(ApiToken.digest)).all()
    assert secret not in stored


def test_disabled_user_and_withdrawn_role_stop_tokens(
    client: FlaskClient, staff_token: TokenMaker, database: Database
) -> None:
    disabled, demoted = staff_token("planner"), staff_token("admin")
    with database.sessions() as session:
        accounts.set_active(session, "planner1@example.org", False)
        user = accounts.find_user(session, "admin2@example.org")
        user.role = "support"
        session.commit()
    assert error_code(client.get("/api/v1/staff/me", headers=bearer(disabled))) == (
        "account_disabled"
    )
    assert error_code(client.get("/api/v1/staff/me", headers=bearer(demoted))) == (
        "token_role_withdrawn"
    )


def test_expired_token_is_refused(client: FlaskClient, database: Database) -> None:
    now = utc_now()
    with database.sessions() as session:
        user = accounts.create_user(session, "s@example.org", "z" * 16, "support", now=now)
        token, secret = accounts.create_token(
            session, user, name="short-lived", role=None, now=now, expires_at=now + timedelta(1)
        )
        token.expires_at = now - timedelta(seconds=1)
        session.commit()
    response = client.get("/api/v1/staff/me", headers=bearer(secret))
    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_password_check_gives_one_code_for_every_failure(database: Database) -> None:
    with database.sessions() as session:
        accounts.create_user(session, "p@example.org", "right password", "planner", now=utc_now())
        assert accounts.check_password(session, "P@example.org", "right password").role == "planner"
        for email, password in [("p@example.org", "wrong password"), ("q@example.org", "x")]:
            with pytest.raises(accounts.AuthenticationError) as refused:
                accounts.check_password(session, email, password)
            assert refused.value.code == "invalid_credentials"
