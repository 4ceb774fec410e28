"""The role guard every operator endpoint wears.

``@require_role(Role.PLANNER)`` lets planners and admins in. The bearer token is looked up on
every call, so revoking a token, disabling a user or withdrawing a role takes effect at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import g, request
from flask_smorest import Blueprint

from backend import db
from backend.auth.roles import Role, grants
from backend.clock import utc_now
from backend.errors import AuthenticationError, PermissionDeniedError
from backend.services.accounts import Principal, authenticate

SECURITY_SCHEME = "bearerAuth"
View = TypeVar("View", bound=Callable[..., Any])


def require_role(*roles: Role) -> Callable[[View], View]:
    """Admit callers whose token role grants one of ``roles`` (any role when none are named)."""
    required = roles or tuple(Role)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate(db.session(), _bearer_token(), now=utc_now())
            g.principal = principal  # known even when refused: the audit log names refusals
            if not any(grants(principal.role, role) for role in required):
                names = " or ".join(role.value for role in required)
                raise PermissionDeniedError(
                    "insufficient_role",
                    f"this needs the {names} role; the token is {principal.role}",
                )
            return view(*args, **kwargs)

        documented = Blueprint.doc(
            security=[{SECURITY_SCHEME: []}],
            responses={"401": "UNAUTHORIZED", "403": "FORBIDDEN"},
        )(guarded)
        return cast(View, documented)

    return decorate


def current_principal() -> Principal:
    """The principal admitted by ``require_role`` for this request."""
    principal: Principal = g.principal
    return principal


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        raise AuthenticationError("authentication_required", "send Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationError("invalid_token", "the Authorization header is not a bearer token")
    return value.strip()
