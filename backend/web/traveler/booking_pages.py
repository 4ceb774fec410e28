"""A booking and its tickets: shown to the browser that made it, to whoever gives its
reference and contact email, and to the traveler whose account it is in; cancelled after a
confirmation page.

The browser that books, or finds a booking with its email, remembers the reference in its
signed session cookie, so the ticket page can be reloaded without asking again; a traveler
signed in opens the bookings in their account (``signed_in.may_show``). Each
passenger's ticket is drawn as a QR code by the ticket API (``/api/v1/tickets/{id}/qr.svg``),
whose id is the secret a ticket holder has anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import NotFoundError, ServiceError
from backend.models import Booking, Payment
from backend.rate_limits import LimitGroup, limited
from backend.services import bookings, cancellation_views, checkout, tickets, trip_summaries
from backend.services.payments import Step, amount_text, next_step, provider_named
from backend.services.trip_summaries import LegSummary
from backend.web.traveler.context import (
    clock,
    inventory,
    refusal_page,
    short_date,
    unlock_booking,
)
from backend.web.traveler.forms import read_lookup
from backend.web.traveler.signed_in import may_show

bp = Blueprint("traveler_bookings", __name__)
bp.register_error_handler(ServiceError, refusal_page)


@bp.get("/bookings")
def find_form() -> str:
    """Find a booking by its reference and contact email."""
    reference = "".join(request.args.get("reference", "").split()).upper()[:12]
    return render_template("traveler/find.html", reference=reference, email="", errors={})


@bp.post("/bookings")
@limited(LimitGroup.LOOKUPS)
def find() -> Response | str:
    """Open the booking the reference and email name; the form again when none matches."""
    (reference, email), errors = read_lookup(request.form)
    if not errors:
        try:
            bookings.get_booking(db.session(), reference, email)
        except NotFoundError:
            errors["reference"] = (
                "No booking matches that reference and email address. Check both and try again."
            )
    if errors:
        return render_template(
            "traveler/find.html", reference=reference, email=email, errors=errors
        )
    unlock_booking(reference)
    return redirect(url_for("traveler_bookings.booking_page", reference=reference), code=303)


def _unlocked(reference: str) -> Booking | None:
    if not may_show(reference):
        return None
    booking = checkout.find_booking(db.session(), reference)
    payment = checkout.payment_of_booking(db.session(), booking)
    if payment is not None and next_step(booking.status, payment.status) is not Step.NONE:
        checkout.settle(inventory(), booking.reference, utc_now())  # finish what was left
        db.session().expire_all()
    return booking


def _ask_for_email(reference: str) -> Response:
    return redirect(url_for("traveler_bookings.find_form", reference=reference.upper()))


@bp.get("/bookings/<reference>")
def booking_page(reference: str) -> Response | str:
    """The booking, its payment, and each passenger's ticket with its QR code."""
    booking = _unlocked(reference)
    if booking is None:
        return _ask_for_email(reference)
    return render_template("traveler/booking.html", **_booking_view(booking))


@bp.get("/bookings/<reference>/cancel")
def cancel_form(reference: str) -> Response | str:
    """Ask before cancelling."""
    booking = _unlocked(reference)
    if booking is None:
        return _ask_for_email(reference)
    view = _booking_view(booking)
    if not view["cancellable"]:
        return redirect(url_for("traveler_bookings.booking_page", reference=booking.reference))
    return render_template("traveler/cancel.html", **view)


@bp.post("/bookings/<reference>/cancel")
@limited(LimitGroup.RESERVATIONS)
def cancel(reference: str) -> Response | str:
    """Cancel the booking: seats freed, tickets revoked, payment voided or refunded."""
    booking = _unlocked(reference)
    if booking is None:
        return _ask_for_email(reference)
    view = _booking_view(booking)
    if view["cancellable"]:
        checkout.cancel(inventory(), booking.reference, booking.contact_email, utc_now())
        flash(f"Booking {booking.reference} is cancelled.", "success")
    elif booking.status == "confirmed":
        flash("This trip has left, so the booking can no longer be cancelled.", "error")
    return redirect(
        url_for("traveler_bookings.booking_page", reference=booking.reference), code=303
    )


def _booking_view(booking: Booking) -> dict[str, Any]:
    session = db.session()
    now = utc_now()
    body = bookings.get_booking(session, booking.reference, booking.contact_email)
    summary = trip_summaries.summarize(
        session, inventory(), body["trip_instance"], body["from"], body["to"]
    )
    payment = checkout.payment_of_booking(session, booking)
    zone: tzinfo = (summary.departure.tzinfo if summary.departure else None) or UTC
    travelers = []
    for passenger in body["passengers"]:
        ticket = None
        if passenger["ticket_id"] is not None:
            row = tickets.find_ticket(session, passenger["ticket_id"])
            ticket = {
                "id": row.id,
                "status": tickets.ticket_status(row, now),
                "valid": validity(row.valid_from, row.valid_until, zone),
            }
        travelers.append({**passenger, "ticket": ticket})
    disruption = cancellation_views.disruption_of(session, booking.id)
    if disruption is not None and disruption.get("new_reference"):
        unlock_booking(str(disruption["new_reference"]))  # the same traveler's new booking
    return {
        "booking": body,
        "disruption": disruption,
        "summary": summary,
        "travelers": travelers,
        "payment": _payment_view(payment),
        "cancellable": body["status"] == "confirmed" and not _departed(summary, now),
    }


def validity(start: datetime, end: datetime, zone: tzinfo) -> str:
    """``07:00–10:10, Fri 27 Nov`` (both days named when they differ), in ``zone``."""
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        return f"{clock(start)}–{clock(end)}, {short_date(start)}"
    return f"{short_date(start)} {clock(start)} – {short_date(end)} {clock(end)}"


def _departed(summary: LegSummary, now: datetime) -> bool:
    return summary.departure is not None and summary.departure <= now


def _payment_view(payment: Payment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {
        "status": payment.status,
        "provider": payment.provider,
        "provider_label": provider_named(payment.provider).label,
        "amount": amount_text(payment.amount, payment.currency),
        "reference": payment.reference,
    }
