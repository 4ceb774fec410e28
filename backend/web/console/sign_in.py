"""Staff sign-in pages: email and password, then the second factor; and signing out.

Each successful step clears the browser's session (a new CSRF token with it) and keeps only
the new staff session token, so nothing from before signing in carries over. A wrong
password or code re-renders the form (200) with the error and its code; too many failures
answer 429 ``login_locked`` with ``Retry-After``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask import session as browser_session
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import AuthenticationError
from backend.rate_limits import LimitGroup, limited
from backend.services import staff_sessions, staff_sign_in
from backend.services.login_throttle import LoginLockedError
from backend.web.console.blueprint import bp
from backend.web.console.guard import TOKEN_KEY, lookup, policy, safe_next

PageAnswer = str | tuple[str, int, dict[str, str]] | Response


def client_address() -> str:
    """The client's address as the server sees it (the proxy's, unless it is trusted)."""
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@limited(LimitGroup.SIGN_IN, methods=("POST",))
def login() -> PageAnswer:
    """Sign in with email and password."""
    target = safe_next(request.values.get("next"))
    staff = lookup().staff
    if request.method == "GET":
        if staff is not None and not staff.second_factor_due:
            return redirect(target)
        return render_template("console/login.html", title="Sign in", next=target)
    email = request.form.get("email", "")
    try:
        step = staff_sign_in.with_password(
            db.database(),
            db.session(),
            email,
            request.form.get("password", ""),
            address=client_address(),
            policy=policy(),
            now=utc_now(),
        )
    except LoginLockedError as locked:
        return _locked("console/login.html", locked, email=email, next=target)
    except AuthenticationError as error:
        return render_template(
            "console/login.html", title="Sign in", next=target, email=email, error=error
        )
    _keep_only(step.token)
    if step.second_factor_due:
        return redirect(url_for("console.second_factor", next=target), code=303)
    return redirect(target, code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@limited(LimitGroup.SIGN_IN, methods=("POST",))
def second_factor() -> PageAnswer:
    """The second step for staff with two-factor sign-in: a TOTP or recovery code."""
    target = safe_next(request.values.get("next"))
    staff = lookup().staff
    if staff is None:
        return redirect(url_for("console.login", next=target), code=303)
    if not staff.second_factor_due:
        return redirect(target)
    if request.method == "GET":
        return render_template("console/second_factor.html", title="Enter your code", next=target)
    return _check_code(target)


def _check_code(target: str) -> PageAnswer:
    try:
        step = staff_sign_in.with_second_factor(
            db.database(),
            db.session(),
            browser_session.get(TOKEN_KEY, ""),
            request.form.get("code", ""),
            address=client_address(),
            policy=policy(),
            now=utc_now(),
        )
    except LoginLockedError as locked:
        return _locked("console/second_factor.html", locked, next=target)
    except AuthenticationError as error:
        if error.code == "sign_in_again":
            flash(error.message, "info")
            return redirect(url_for("console.login", next=target), code=303)
        return render_template(
            "console/second_factor.html", title="Enter your code", next=target, error=error
        )
    _keep_only(step.token)
    if step.recovery_codes_left is not None:
        flash(
            f"You signed in with a recovery code; {step.recovery_codes_left} left. "
            "Make new ones on your account page if you are running low.",
            "info",
        )
    return redirect(target, code=303)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the staff session ends on the server and the browser's session is cleared."""
    token = browser_session.get(TOKEN_KEY)
    if isinstance(token, str):
        staff_sessions.end(db.session(), token)
    browser_session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("console.login"), code=303)


def _keep_only(token: str) -> None:
    browser_session.clear()
    browser_session[TOKEN_KEY] = token


def _locked(template: str, locked: LoginLockedError, **context: str) -> PageAnswer:
    retry = max(int((locked.retry_at - utc_now()).total_seconds()), 1)
    page = render_template(template, title="Sign in", error=locked, **context)
    return page, 429, {"Retry-After": str(retry)}
