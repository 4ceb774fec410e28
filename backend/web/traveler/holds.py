"""A hold: its seats, the time left (a countdown that ``traveler.js`` keeps ticking), the
travelers' names and contact email, and paying to book it; or letting its seats go.

The time left is rendered by the server, as the clock time the hold ends and as seconds left;
the script counts those seconds down from when the page loaded (the traveler's own clock may
be wrong) and says when the hold has run out. Without the script the page still shows until
when the seats are kept, and a checkout after that is answered with the same message.

A traveler signed in to their account finds its email address filled in (they may change it),
and the booking goes to their account (My trips); one not signed in is offered to sign in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.metrics import booking_outcome
from backend.rate_limits import LimitGroup, limited
from backend.services import checkout, hold_lifecycle, trip_summaries
from backend.services.checkout import Checkout
from backend.services.payments import labels
from backend.web.traveler.context import (
    inventory,
    offered_providers,
    refusal_page,
    unlock_booking,
)
from backend.web.traveler.forms import CheckoutForm, read_checkout
from backend.web.traveler.signed_in import here, may_show, signed_in_traveler

bp = Blueprint("traveler_checkout", __name__)
bp.register_error_handler(ServiceError, refusal_page)

CHECKOUT_REFUSALS = {
    "hold_expired": (
        "Your seats were held for a limited time, and that time ran out before you finished. "
        "They have been released. Please choose seats again."
    ),
    "hold_not_active": "These seats are no longer held. Please choose seats again.",
    "checkout_in_progress": (
        "This booking is already being paid for. Wait a moment, then reload the page."
    ),
    "busy_try_again": "Many people are booking right now. Please try again in a moment.",
    "seat_taken": "A seat of this hold was taken meanwhile. Please choose seats again.",
}


@bp.get("/holds/<hold_id>")
def hold_page(hold_id: str) -> Response | str:
    """The hold with its countdown and the checkout form."""
    hold = hold_lifecycle.get_hold(db.session(), hold_id, utc_now())
    booked = _booked(hold)
    if booked is not None:
        return booked
    account = signed_in_traveler()
    return _hold_page(hold, CheckoutForm(email=account.email if account else ""), {}, None)


@bp.post("/holds/<hold_id>")
@limited(LimitGroup.RESERVATIONS)
def check_out(hold_id: str) -> Response | str:
    """Pay and book the hold; the form again with messages when something is wrong."""
    hold = hold_lifecycle.get_hold(db.session(), hold_id, utc_now())
    booked = _booked(hold)
    if booked is not None:
        return booked
    offered = offered_providers()
    form, errors = read_checkout(request.form, hold["party"], list(offered), _must_pay(hold))
    if errors or hold["status"] != "held":
        return _hold_page(hold, form, errors, None)
    account = signed_in_traveler()
    order = Checkout(
        hold_id,
        form.names,
        form.email,
        form.provider,
        account_id=account.account_id if account else None,
    )
    try:
        with booking_outcome("confirm", "booked"):
            reference = checkout.check_out(inventory(), offered, order, utc_now())
    except ServiceError as refusal:
        if refusal.code in ("hold_not_found", "passenger_count_mismatch"):
            raise
        message = CHECKOUT_REFUSALS.get(refusal.code, refusal.message)
        db.session().expire_all()  # the hold as the checkout left it
        hold = hold_lifecycle.get_hold(db.session(), hold_id, utc_now())
        return _hold_page(hold, form, {}, message)
    unlock_booking(reference)
    return redirect(url_for("traveler_bookings.booking_page", reference=reference), code=303)


@bp.post("/holds/<hold_id>/release")
@limited(LimitGroup.RESERVATIONS)
def release(hold_id: str) -> Response:
    """Let the hold's seats go and go back to the seat map."""
    hold = hold_lifecycle.get_hold(db.session(), hold_id, utc_now())
    if hold["status"] == "held":
        hold_lifecycle.release_hold(inventory(), hold_id, utc_now())
    if hold["status"] == "confirmed":
        return redirect(url_for("traveler_checkout.hold_page", hold_id=hold_id), code=303)
    return redirect(_seat_map_url(hold), code=303)


def _seat_map_url(hold: dict[str, Any]) -> str:
    return url_for(
        "traveler_seats.seat_map",
        trip_instance=hold["trip_instance"],
        **{"from": hold["from"], "to": hold["to"]},
    )


def _must_pay(hold: dict[str, Any]) -> bool:
    fare = hold["fare"]
    return fare is not None and fare["total"]["amount"] > 0


def _booked(hold: dict[str, Any]) -> Response | str | None:
    """For a hold already booked: its booking (this browser made it) or a page saying so."""
    if hold["status"] != "confirmed":
        return None
    booking = checkout.booking_of_hold(db.session(), hold["id"])
    if booking is not None and may_show(booking.reference):
        return redirect(
            url_for("traveler_bookings.booking_page", reference=booking.reference), code=303
        )
    summary = trip_summaries.summarize(
        db.session(), inventory(), hold["trip_instance"], hold["from"], hold["to"]
    )
    return render_template("traveler/hold.html", hold=hold, summary=summary, booked=True)


def _hold_page(
    hold: dict[str, Any], form: CheckoutForm, errors: dict[str, str], refusal: str | None
) -> str:
    now = utc_now()
    summary = trip_summaries.summarize(
        db.session(), inventory(), hold["trip_instance"], hold["from"], hold["to"]
    )
    expires = datetime.fromisoformat(hold["expires_at"])
    zone = summary.departure.tzinfo if summary.departure is not None else UTC
    return render_template(
        "traveler/hold.html",
        hold=hold,
        summary=summary,
        booked=False,
        live=hold["status"] == "held",
        expires_local=expires.astimezone(zone),
        seconds_left=max(0, int((expires - now).total_seconds())),
        form=form,
        errors=errors,
        refusal=refusal,
        providers=labels(offered_providers()),
        must_pay=_must_pay(hold),
        seat_map_url=_seat_map_url(hold),
        account=signed_in_traveler(),
        here=here(),
    )
