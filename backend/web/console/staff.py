"""Staff accounts, for admins: who has which role and two-factor sign-in; add an account,
disable or enable one, reset someone's two-factor sign-in (a lost phone).

Disabling a user or resetting their two-factor sign-in ends their console sessions; admins
cannot disable themselves, so that a site always keeps one.
"""

from __future__ import annotations

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.models import StaffUser
from backend.services import accounts, staff_sessions, two_factor
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to


@bp.get("/staff", endpoint="staff")
@page(Role.ADMIN)
def staff_page() -> str:
    """Every staff account with its role, state and two-factor sign-in."""
    return _staff_page()


@bp.post("/staff")
@page(Role.ADMIN)
def add_staff() -> str | Response:
    """Add a staff account with a first password (the person changes it with the CLI)."""
    form = {key: request.form.get(key, "").strip() for key in ("email", "role")}
    try:
        password = request.form.get("password", "")
        user = accounts.create_user(
            db.session(), form["email"], password, form["role"], now=utc_now()
        )
    except ServiceError as refused:
        return _staff_page(form=form, error=refused)
    flash(f"{user.email} can now sign in as {user.role}.", "success")
    return redirect_to("console.staff")


@bp.post("/staff/<id:user_id>/active")
@page(Role.ADMIN)
def set_staff_active(user_id: int) -> Response:
    """Disable or enable an account."""
    user = _user(user_id)
    active = request.form.get("active") == "true"
    if not active and user.id == current_staff().user_id:
        flash("You cannot disable your own account.", "error")
        return redirect_to("console.staff")
    accounts.set_active(db.session(), user.email, active)
    if not active:
        staff_sessions.end_all(db.session(), user.id)
    flash(f"{user.email} is {'enabled' if active else 'disabled'}.", "success")
    return redirect_to("console.staff")


@bp.post("/staff/<id:user_id>/two-factor/reset")
@page(Role.ADMIN)
def reset_staff_two_factor(user_id: int) -> Response:
    """Remove someone's two-factor sign-in; they set it up again at their next sign-in."""
    user = _user(user_id)
    two_factor.turn_off(db.session(), user.id)
    staff_sessions.end_all(db.session(), user.id)
    flash(f"Two-factor sign-in of {user.email} is reset; they set it up again.", "success")
    return redirect_to("console.staff")


def _user(user_id: int) -> StaffUser:
    user = db.session().get(StaffUser, user_id)
    if user is None:
        raise ServiceError("user_not_found", f"no staff user {user_id}", status=404)
    return user


def _staff_page(form: dict[str, str] | None = None, error: ServiceError | None = None) -> str:
    session = db.session()
    users = accounts.list_users(session)
    return render_template(
        "console/staff.html",
        title="Staff",
        users=[(user, two_factor.status(session, user.id).enabled) for user in users],
        roles=list(Role),
        form=form or {},
        error=error,
    )
