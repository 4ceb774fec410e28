"""Staff roles and what each one may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff role. Admins may do everything; planners and support only their own work."""

    ADMIN = "admin"
    PLANNER = "planner"
    SUPPORT = "support"


def grants(held: Role, required: Role) -> bool:
    """Whether holding ``held`` is enough for something that asks for ``required``."""
    return held is Role.ADMIN or held is required


def parse_role(value: str) -> Role | None:
    """The role named ``value``, or None when there is no such role."""
    try:
        return Role(value)
    except ValueError:
        return None
