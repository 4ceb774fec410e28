"""Who may see each console page: the signed-in staff member and the role check every page
wears.

``@page()`` admits any signed-in staff member, ``@page(Role.PLANNER)`` planners and admins,
``@page(Role.ADMIN)`` admins. Before the role is looked at:

- nobody signed in (or a session that expired): off to the sign-in page, coming back after;
- a session still waiting for its second factor: off to the code page;
- an admin without two-factor sign-in: off to enrolment, except on the pages that enrolment
  itself needs (``enrolment=True``).

A role that does not fit gets the 403 refusal page (``insufficient_role``). The session and
the user are read from the database on every request, so disabling a user or changing their
role takes effect at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask import session as browser_session
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role, grants
from backend.clock import utc_now
from backend.services import staff_sessions
from backend.services.staff_sessions import SessionPolicy, SignedIn

View = TypeVar("View", bound=Callable[..., Any])
TOKEN_KEY = "staff_token"  # noqa: S105 - a cookie key, not a secret
ROLE_NAMES = {Role.ADMIN: "administrators", Role.PLANNER: "planners", Role.SUPPORT: "support"}


def policy() -> SessionPolicy:
    """How long staff sessions last, from the settings."""
    settings = current_app.config["FAREGATE_SETTINGS"]
    return SessionPolicy(
        idle=timedelta(minutes=settings.staff_session_idle_minutes),
        lifetime=timedelta(hours=settings.staff_session_hours),
    )


def lookup() -> staff_sessions.Lookup:
    """The staff session of this request's cookie (read once per request)."""
    if "console_lookup" not in g:
        token = browser_session.get(TOKEN_KEY)
        if not isinstance(token, str):
            g.console_lookup = staff_sessions.Lookup(None)
        else:
            g.console_lookup = staff_sessions.find(
                db.session(), token, policy=policy(), now=utc_now()
            )
            if g.console_lookup.staff is None:
                browser_session.pop(TOKEN_KEY, None)
    found: staff_sessions.Lookup = g.console_lookup
    return found


def current_staff() -> SignedIn:
    """The staff member admitted by ``page`` for this request."""
    staff: SignedIn = g.console_staff
    return staff


def signed_in_staff() -> SignedIn | None:
    """The fully signed-in staff member, if any (for the layout of public pages)."""
    staff = lookup().staff
    return staff if staff is not None and not staff.second_factor_due else None


def page(*roles: Role, enrolment: bool = False) -> Callable[[View], View]:
    """Admit signed-in staff holding one of ``roles`` (any role when none are named)."""
    required = roles or tuple(Role)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            found = lookup()
            staff = found.staff
            if staff is None:
                if found.expired:
                    flash("Your session has ended. Please sign in again.", "info")
                return redirect(url_for("console.login", next=_here()), code=303)
            if staff.second_factor_due:
                return redirect(url_for("console.second_factor", next=_here()), code=303)
            if staff.role is Role.ADMIN and not staff.two_factor_enabled and not enrolment:
                flash(
                    "Administrators sign in with a second factor. "
                    "Set it up now to use the console.",
                    "info",
                )
                return redirect(url_for("console.enrol_two_factor"), code=303)
            if not any(grants(staff.role, role) for role in required):
                g.console_staff = staff
                return refusal(required)
            g.console_staff = staff
            return view(*args, **kwargs)

        guarded.console_roles = required  # type: ignore[attr-defined]
        return cast(View, guarded)

    return decorate


def refusal(required: tuple[Role, ...]) -> tuple[str, int]:
    """The 403 page for a role that does not fit."""
    allowed = " and ".join(ROLE_NAMES[role] for role in _with_admin(required))
    page_text = render_template(
        "console/refused.html",
        title="Not for your role",
        message=f"This page is for {allowed}. Ask an administrator if you need it.",
        code="insufficient_role",
    )
    return page_text, 403


def safe_next(target: str | None) -> str:
    """``target`` when it is a console page of this site, else the dashboard."""
    if target and target.startswith("/console/") and not any(c in target for c in "\\\r\n"):
        return target
    return url_for("console.dashboard")


def _here() -> str:
    path = request.full_path if request.method == "GET" else request.path
    return path.rstrip("?")


def _with_admin(required: tuple[Role, ...]) -> list[Role]:
    roles = list(dict.fromkeys([*required, Role.ADMIN]))
    return sorted(roles, key=list(Role).index)


def redirect_to(endpoint: str, **values: Any) -> Response:
    """A 303 redirect to a console endpoint (after a form was handled)."""
    return redirect(url_for(endpoint, **values), code=303)
