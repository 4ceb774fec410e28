"""Staff API: who am I, staff users (admins only) and the caller's API tokens."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import current_principal, require_role
from backend.api.staff_schemas import (
    IssuedTokenSchema,
    NewTokenSchema,
    NewUserSchema,
    TokenSchema,
    UserSchema,
    WhoAmISchema,
)
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.models import ApiToken, StaffUser
from backend.services import accounts

blp = Blueprint(
    "staff", __name__, url_prefix="/api/v1/staff", description="Staff accounts and tokens"
)


@blp.route("/me")
class WhoAmI(MethodView):
    """The caller."""

    @require_role()
    @blp.response(200, WhoAmISchema)
    def get(self) -> dict[str, Any]:
        """Show the user and role behind the presented token."""
        return asdict(current_principal())


@blp.route("/users")
class Users(MethodView):
    """Staff users."""

    @require_role(Role.ADMIN)
    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[StaffUser]:
        """List every staff user."""
        return accounts.list_users(db.session())

    @require_role(Role.ADMIN)
    @blp.arguments(NewUserSchema())
    @blp.response(201, UserSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any]) -> StaffUser:
        """Create a staff user."""
        return accounts.create_user(
            db.session(), body["email"], body["password"], body["role"], now=utc_now()
        )


@blp.route("/tokens")
class Tokens(MethodView):
    """The caller's API tokens (every token, for admins)."""

    @require_role()
    @blp.response(200, TokenSchema(many=True))
    def get(self) -> list[ApiToken]:
        """List tokens: the caller's own, or all of them for an admin."""
        principal = current_principal()
        owner = None if principal.role is Role.ADMIN else principal.user_id
        return accounts.list_tokens(db.session(), owner)

    @require_role()
    @blp.arguments(NewTokenSchema())
    @blp.response(201, IssuedTokenSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Issue a token to the caller, scoped to a role the caller's token holds."""
        now = utc_now()
        days = body.get("expires_in_days")
        token, plaintext = accounts.issue_token_for(
            db.session(),
            current_principal(),
            name=body["name"],
            role=body.get("role"),
            now=now,
            expires_at=now + timedelta(days=days) if days else None,
        )
        return {"token": plaintext, **{name: getattr(token, name) for name in TokenSchema().fields}}


@blp.route("/tokens/<id:token_id>")
class TokenById(MethodView):
    """One token."""

    @require_role()
    @blp.response(200, TokenSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, token_id: int) -> ApiToken:
        """Revoke a token (the caller's own, or any for an admin); it stops working at once."""
        return accounts.revoke_token(db.session(), token_id, now=utc_now(), by=current_principal())
