"""Refusals with stable codes, raised by services and rendered by the API and the CLI."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request that cannot be carried out; ``code`` is stable, ``message`` is for people."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        if status is not None:
            self.status = status


class NotFoundError(ServiceError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404


class ConflictError(ServiceError):
    """The request clashes with the current state (a duplicate, a taken resource)."""

    status = 409


class AuthenticationError(ServiceError):
    """No usable credentials were presented."""

    status = 401


class PermissionDeniedError(ServiceError):
    """The caller is known but their role does not allow this."""

    status = 403
