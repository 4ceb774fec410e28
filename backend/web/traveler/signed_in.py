"""The traveler signed in to their account in this browser, and what that lets the pages do.

The session token sits in the signed session cookie under ``TOKEN_KEY``, beside (never in
place of) the staff console's: signing in or out of one leaves the other alone. Signing in
also gives the browser a new CSRF token; signing out forgets the bookings and cases this
browser had opened with their e-mail, so that whoever uses it next sees none of them. The
session is looked up once per request, and only when the cookie holds a token.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask import session as browser_session

from backend import db
from backend.clock import utc_now
from backend.services import traveler_accounts, traveler_sessions
from backend.services.traveler_sessions import SignedInTraveler
from backend.web.traveler.context import UNLOCKED, UNLOCKED_CASES, is_unlocked

TOKEN_KEY = "traveler_token"  # noqa: S105 - a cookie key, not a secret
CSRF_KEY = "csrf_token"  # where Flask-WTF keeps the session's CSRF token
FORGOTTEN_AT_SIGN_OUT = (UNLOCKED, UNLOCKED_CASES)


def signed_in_traveler() -> SignedInTraveler | None:
    """The account signed in in this browser, if any (read once per request)."""
    if "traveler_account" not in g:
        token = browser_session.get(TOKEN_KEY)
        found = None
        if isinstance(token, str):
            found = traveler_sessions.find(db.session(), token, now=utc_now())
            if found is None:
                browser_session.pop(TOKEN_KEY, None)
        g.traveler_account = found
    account: SignedInTraveler | None = g.traveler_account
    return account


def session_lifetime() -> timedelta:
    """How long a traveler stays signed in, from the settings."""
    return timedelta(days=current_app.config["FAREGATE_SETTINGS"].traveler_session_days)


def keep_signed_in(token: str) -> None:
    """Remember a new session in the cookie, with a new CSRF token; one this browser had
    before ends."""
    before = browser_session.get(TOKEN_KEY)
    if isinstance(before, str):
        traveler_sessions.end(db.session(), before)
    browser_session.pop(CSRF_KEY, None)
    browser_session[TOKEN_KEY] = token
    g.pop("traveler_account", None)


def sign_out() -> None:
    """End this browser's session, on the server too, and forget what it had opened."""
    token = browser_session.pop(TOKEN_KEY, None)
    if isinstance(token, str):
        traveler_sessions.end(db.session(), token)
    for key in (*FORGOTTEN_AT_SIGN_OUT, CSRF_KEY):
        browser_session.pop(key, None)
    g.pop("traveler_account", None)


def may_show(reference: str) -> bool:
    """Whether this browser may open booking ``reference``: it booked it or gave its e-mail,
    or the booking is in the signed-in account."""
    if is_unlocked(reference.upper()):
        return True
    account = signed_in_traveler()
    return account is not None and traveler_accounts.owns(
        db.session(), account.account_id, reference
    )


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a traveler page of this site, else ``default``."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/console", "/api/"))
        and not any(c in target for c in "\\\r\n")
    ):
        return target
    return default


def here() -> str:
    """This page's path, to come back to after signing in."""
    return request.full_path.rstrip("?") if request.method == "GET" else request.path
