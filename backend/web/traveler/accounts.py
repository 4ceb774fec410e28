"""Travelers' optional accounts on the traveler pages: create one, sign in and out, My trips,
and adding a booking made without the account to it.

URLs: ``/account/sign-up``, ``/account/sign-in`` (each ``?next=`` a traveler page to come back
to), ``/account/sign-out`` (POST), ``/account`` (My trips; signing in first when needed) and
``/account/bookings`` (POST: add a booking by its reference and contact email, the proof
``/bookings`` asks for).

Form mistakes come back (200) with a message beside each field and change nothing; so do the
services' refusals, each beside the field it concerns: ``email_taken`` (an address that has an
account; the page says only that, and offers to sign in), ``invalid_credentials`` (the same
message whichever of email and password is wrong), ``booking_not_found``,
``booking_in_another_account``. Too many failed sign-ins answer the form with 429
``login_locked`` and ``Retry-After``. Sign-up and sign-in forms are rate limited like the
console's (``rate_limit_sign_in``), adding a booking like finding one (``rate_limit_lookups``).
The account's pages are never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.rate_limiter import client_address
from backend.rate_limits import LimitGroup, limited
from backend.services import traveler_accounts, traveler_trips
from backend.services.login_throttle import LoginLockedError
from backend.web.traveler.context import inventory, refusal_page
from backend.web.traveler.forms import (
    MIN_PASSWORD,
    AccountForm,
    read_lookup,
    read_sign_in,
    read_sign_up,
)
from backend.web.traveler.signed_in import (
    keep_signed_in,
    safe_next,
    session_lifetime,
    sign_out,
    signed_in_traveler,
)

bp = Blueprint("traveler_account", __name__)
bp.register_error_handler(ServiceError, refusal_page)


PageAnswer = str | tuple[str, int, dict[str, str]] | Response
# Where each refusal is shown, and what it says.
REFUSALS = {
    "email_taken": (
        "email",
        "This email address already has an account. Sign in, or use another address.",
    ),
    "invalid_email": ("email", "Enter an email address like name@example.com."),
    "weak_password": ("password", "Choose a longer password."),
    "invalid_credentials": ("password", "The email address or password is not right."),
    "booking_not_found": (
        "reference",
        "No booking matches that reference and email address. Check both and try again.",
    ),
    "booking_in_another_account": (
        "reference",
        "This booking is already in another account's trips.",
    ),
}


@bp.after_request
def _no_store(response: Response) -> Response:
    """The account's pages stay out of caches: after signing out, Back shows none of them."""
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def _target() -> str:
    return safe_next(request.values.get("next"), url_for("traveler_account.trips"))


@bp.route("/account/sign-up", methods=["GET", "POST"])
@limited(LimitGroup.SIGN_IN, methods=("POST",))
def sign_up() -> PageAnswer:
    """Create an account and sign in with it."""
    target = _target()
    if request.method == "GET":
        return _form_page("traveler/sign_up.html", AccountForm(), {}, target)
    form, errors = read_sign_up(request.form)
    if errors:
        return _form_page("traveler/sign_up.html", form, errors, target)
    try:
        token = traveler_accounts.sign_up(
            db.session(), form.email, form.password, lifetime=session_lifetime(), now=utc_now()
        )
    except ServiceError as refusal:
        return _form_page("traveler/sign_up.html", form, _beside(refusal), target)
    keep_signed_in(token)
    flash("Your account is ready. Trips you book while signed in appear here.", "success")
    return redirect(target, code=303)


@bp.route("/account/sign-in", methods=["GET", "POST"])
@limited(LimitGroup.SIGN_IN, methods=("POST",))
def sign_in() -> PageAnswer:
    """Sign in with email and password."""
    target = _target()
    if request.method == "GET":
        if signed_in_traveler() is not None:
            return redirect(target)
        return _form_page("traveler/sign_in.html", AccountForm(), {}, target)
    form, errors = read_sign_in(request.form)
    if errors:
        return _form_page("traveler/sign_in.html", form, errors, target)
    try:
        token = traveler_accounts.sign_in(
            db.database(),
            db.session(),
            form.email,
            form.password,
            address=client_address(),
            lifetime=session_lifetime(),
            now=utc_now(),
        )
    except LoginLockedError as locked:
        page = _form_page("traveler/sign_in.html", form, {"password": locked.message}, target)
        retry = max(int((locked.retry_at - utc_now()).total_seconds()), 1)
        return page, 429, {"Retry-After": str(retry)}
    except ServiceError as refusal:
        return _form_page("traveler/sign_in.html", form, _beside(refusal), target)
    keep_signed_in(token)
    return redirect(target, code=303)


@bp.post("/account/sign-out")
def sign_out_of_account() -> Response:
    """Sign out: the session ends on the server, and this browser forgets its bookings."""
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("traveler_search.search"), code=303)


@bp.get("/account")
def trips() -> Response | str:
    """My trips: the account's bookings, coming ones first, and adding another."""
    if signed_in_traveler() is None:
        return redirect(url_for("traveler_account.sign_in", next=request.path))
    return _trips_page("", "", {})


@bp.post("/account/bookings")
@limited(LimitGroup.LOOKUPS)
def add_booking() -> Response | str:
    """Add a booking to the account by its reference and contact email."""
    account = signed_in_traveler()
    if account is None:
        return redirect(url_for("traveler_account.sign_in", next=url_for(".trips")), code=303)
    (reference, email), errors = read_lookup(request.form)
    if errors:
        return _trips_page(reference, email, errors)
    try:
        added = traveler_accounts.add_booking(db.database(), account.account_id, reference, email)
    except ServiceError as refusal:
        if refusal.code not in REFUSALS:
            raise
        return _trips_page(reference, email, _beside(refusal))
    if added.already:
        flash(f"Booking {added.reference} is already in your trips.", "info")
    else:
        flash(f"Booking {added.reference} is now in your trips.", "success")
    return redirect(url_for(".trips"), code=303)


def _beside(refusal: ServiceError) -> dict[str, str]:
    """The refusal as a message beside its field."""
    if refusal.code not in REFUSALS:
        raise refusal
    field, message = REFUSALS[refusal.code]
    return {field: message}


def _form_page(template: str, form: AccountForm, errors: dict[str, str], target: str) -> str:
    return render_template(
        template, form=form, errors=errors, next=target, min_password=MIN_PASSWORD
    )


def _trips_page(reference: str, email: str, errors: dict[str, str]) -> str:
    account = signed_in_traveler()
    assert account is not None  # noqa: S101 - the views above made sure
    found = traveler_trips.account_trips(
        db.session(), inventory(), account.account_id, now=utc_now()
    )
    return render_template(
        "traveler/account.html",
        account=account,
        trips=found,
        reference=reference,
        email=email,
        errors=errors,
        max_trips=traveler_trips.MAX_TRIPS,
    )
