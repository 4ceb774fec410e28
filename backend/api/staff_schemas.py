"""Request and response bodies of the staff API."""

from __future__ import annotations

import marshmallow as ma

from backend.auth.roles import Role

_ROLES = [role.value for role in Role]


class UserSchema(ma.Schema):
    """A staff user as shown to admins."""

    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(_ROLES))
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)


class NewUserSchema(ma.Schema):
    """What an admin sends to create a staff user."""

    email = ma.fields.Email(required=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(_ROLES))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(max=1024)
    )


class WhoAmISchema(ma.Schema):
    """The caller as the server sees them."""

    user_id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    token_id = ma.fields.Integer(required=True)


class TokenSchema(ma.Schema):
    """A token's metadata; the secret is never shown again after creation."""

    id = ma.fields.Integer(required=True)
    user_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    prefix = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class NewTokenSchema(ma.Schema):
    """What a caller sends to issue a token for themselves."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    role = ma.fields.String(validate=ma.validate.OneOf(_ROLES))
    expires_in_days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=3650))


class IssuedTokenSchema(TokenSchema):
    """A token just issued, with its secret (shown this once)."""

    token = ma.fields.String(required=True)
