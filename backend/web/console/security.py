"""A staff member's own sign-in security: two-factor enrolment, recovery codes, turning it off.

Enrolment shows the secret as a QR code (segno) and as text, and takes a first code from the
app to switch it on; the recovery codes are shown once, in the answer to that form, and never
again. Switching two-factor on starts a fresh session token. Admins cannot turn it off (it is
required of them); others can, with a current code.
"""

from __future__ import annotations

from flask import flash, render_template, request
from flask import session as browser_session
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.models import StaffUser
from backend.services import staff_sessions, two_factor
from backend.web.console.blueprint import bp
from backend.web.console.guard import TOKEN_KEY, current_staff, page, policy, redirect_to
from backend.web.console.qr import qr_data_uri
from backend.web.console.sign_in import client_address

PageAnswer = str | tuple[str, int] | Response


def grouped(secret: str) -> str:
    """A base32 secret in groups of four, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.get("/account")
@page(enrolment=True)
def account() -> str:
    """Your sign-in security: two-factor state and recovery codes left."""
    staff = current_staff()
    return render_template(
        "console/account.html",
        title="Your account",
        state=two_factor.status(db.session(), staff.user_id),
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@page(enrolment=True)
def enrol_two_factor() -> PageAnswer:
    """Set up two-factor sign-in: scan, then confirm with a code."""
    staff = current_staff()
    store = db.session()
    if two_factor.status(store, staff.user_id).enabled:
        return redirect_to("console.account")
    secret = two_factor.begin_enrolment(store, staff.user_id, now=utc_now())
    error = None
    if request.method == "POST":
        try:
            codes = two_factor.confirm_enrolment(
                store, staff.user_id, request.form.get("code", ""), now=utc_now()
            )
        except ServiceError as refused:
            error = refused
        else:
            _fresh_session(staff.user_id)
            return render_template(
                "console/recovery_codes.html", title="Your recovery codes", codes=codes, new=True
            )
    return render_template(
        "console/enrol.html",
        title="Set up two-factor sign-in",
        qr=qr_data_uri(two_factor.provisioning_uri(secret, staff.email)),
        secret=grouped(secret),
        error=error,
    )


@bp.post("/account/recovery-codes")
@page(enrolment=True)
def new_recovery_codes() -> PageAnswer:
    """Replace the recovery codes, after a current code from the app."""
    staff = current_staff()
    store = db.session()
    if two_factor.verify(store, staff.user_id, request.form.get("code", ""), now=utc_now()) is None:
        return _account_with_error("That code is not right.")
    codes = two_factor.replace_recovery_codes(store, staff.user_id, now=utc_now())
    return render_template(
        "console/recovery_codes.html", title="Your recovery codes", codes=codes, new=False
    )


@bp.post("/account/two-factor/off")
@page(enrolment=True)
def turn_off_two_factor() -> PageAnswer:
    """Turn two-factor sign-in off (not for admins), after a current code."""
    staff = current_staff()
    store = db.session()
    if staff.role is Role.ADMIN:
        return _account_with_error("Administrators must keep two-factor sign-in.", 403)
    if two_factor.verify(store, staff.user_id, request.form.get("code", ""), now=utc_now()) is None:
        return _account_with_error("That code is not right.")
    two_factor.turn_off(store, staff.user_id)
    flash("Two-factor sign-in is off.", "success")
    return redirect_to("console.account")


def _account_with_error(message: str, status: int = 200) -> tuple[str, int]:
    staff = current_staff()
    page_text = render_template(
        "console/account.html",
        title="Your account",
        state=two_factor.status(db.session(), staff.user_id),
        error=message,
    )
    return page_text, status


def _fresh_session(user_id: int) -> None:
    """A new session token now that the session holds a second factor."""
    store = db.session()
    old = browser_session.get(TOKEN_KEY)
    if isinstance(old, str):
        staff_sessions.end(store, old)
    user = store.get(StaffUser, user_id)
    if user is None:
        return
    token = staff_sessions.start(
        store,
        user,
        second_factor_due=False,
        address=client_address(),
        policy=policy(),
        now=utc_now(),
    )
    browser_session.clear()
    browser_session[TOKEN_KEY] = token
