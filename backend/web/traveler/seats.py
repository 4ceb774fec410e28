"""The seat map of a trip for the traveler's legs, and holding the seats picked on it (or
seats assigned for a party).

Seats are checkboxes in the map's rows and columns; taken seats are disabled and say so. A
hold refused because another traveler took a seat first is answered with the map again,
fresh, naming the seat; nothing is held.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import NotFoundError, ServiceError
from backend.metrics import booking_outcome
from backend.rate_limits import LimitGroup, limited
from backend.services import claim_reads, reservations, trip_summaries
from backend.services.trip_summaries import LegSummary
from backend.web.traveler.context import inventory, refusal_page
from backend.web.traveler.forms import MAX_PARTY, read_seat_choice
from backend.web.traveler.seat_layout import class_title, layout

bp = Blueprint("traveler_seats", __name__)
bp.register_error_handler(ServiceError, refusal_page)

# What a traveler is told when a hold is refused; other codes show the service's message.
REFUSALS = {
    "sold_out": "There are not enough free seats left on this trip for your party.",
    "busy_try_again": "Many people are booking right now. Please try again in a moment.",
    "not_reservable": "Seats on this trip cannot be reserved online.",
    "class_mismatch": "All the seats you pick must be in the same class.",
    "unknown_seat": "One of those seats is not on this vehicle. Choose seats on the map.",
    "invalid_leg_range": "This trip does not go from there to there.",
}
# Refusals that say nothing can be booked on this trip at all.
PAGE_REFUSALS = ("trip_not_found", "trip_not_running", "invalid_trip_instance", "stop_not_found")


def _stops() -> tuple[str, str]:
    board = (request.values.get("from") or "").strip()[:128]
    alight = (request.values.get("to") or "").strip()[:128]
    if not board or not alight:
        raise NotFoundError("stop_not_found", "the seat map needs a from and a to stop")
    return board, alight


@bp.get("/trips/<trip_instance>/seats")
def seat_map(trip_instance: str) -> str:
    """The seat map with what is free between the two stops."""
    board, alight = _stops()
    return _seat_page(trip_instance, board, alight, errors={}, picked=())


@bp.post("/trips/<trip_instance>/seats")
@limited(LimitGroup.RESERVATIONS)
def hold_seats(trip_instance: str) -> Response | str:
    """Hold the seats picked, or seats for a party; the map again with a message if refused."""
    board, alight = _stops()
    hold, errors = read_seat_choice(request.form, trip_instance, board, alight)
    picked = tuple(request.form.getlist("seat"))
    if hold is None:
        return _seat_page(trip_instance, board, alight, errors=errors, picked=picked)
    summary = trip_summaries.summarize(db.session(), inventory(), trip_instance, board, alight)
    if _departed(summary):
        return _seat_page(trip_instance, board, alight, errors={}, picked=())
    now = utc_now()
    try:
        with booking_outcome("hold", "created"):
            outcome = reservations.create_hold(inventory(), hold, now)
    except ServiceError as refusal:
        if refusal.code in PAGE_REFUSALS:
            raise
        message = _refusal_message(refusal, trip_instance, board, alight, picked)
        field = "party" if request.form.get("mode") == "assign" else "seat"
        return _seat_page(trip_instance, board, alight, errors={field: message}, picked=picked)
    return redirect(url_for("traveler_checkout.hold_page", hold_id=outcome.body["id"]), code=303)


def _refusal_message(
    refusal: ServiceError, trip_instance: str, board: str, alight: str, picked: tuple[str, ...]
) -> str:
    if refusal.code != "seat_taken":
        return REFUSALS.get(refusal.code, refusal.message[:1].upper() + refusal.message[1:] + ".")
    free = _availability(trip_instance, board, alight)
    taken = [s["label"] for s in free["seats"] if s["label"] in picked and not s["free"]]
    others = any(s["free"] for s in free["seats"])
    then = "Choose another." if others else "No other seat is free on this trip now."
    if len(taken) == 1:
        return f"Sorry, seat {taken[0]} has just been taken by another traveler. {then}"
    if taken:
        return f"Sorry, seats {', '.join(taken)} have just been taken by other travelers. {then}"
    return f"Sorry, a seat you chose has just been taken by another traveler. {then}"


def _availability(trip_instance: str, board: str, alight: str) -> dict[str, Any]:
    return claim_reads.availability(
        db.session(), inventory(), trip_instance, from_stop=board, to_stop=alight, now=utc_now()
    )


def _departed(summary: LegSummary) -> bool:
    return summary.departure is not None and summary.departure <= utc_now()


def _seat_page(
    trip_instance: str,
    board: str,
    alight: str,
    *,
    errors: dict[str, str],
    picked: tuple[str, ...],
) -> str:
    session = db.session()
    summary = trip_summaries.summarize(session, inventory(), trip_instance, board, alight)
    try:
        free = _availability(trip_instance, board, alight)
    except ServiceError as refusal:
        if refusal.code in PAGE_REFUSALS:
            raise
        return render_template(
            "traveler/seats.html",
            summary=summary,
            unavailable=REFUSALS.get(refusal.code, refusal.message),
            departed=False,
        )
    still_free = {s["label"] for s in free["seats"] if s["free"]}
    classes = [
        {"value": c["seat_class"], "title": class_title(c["seat_class"]), "free": c["free"]}
        for c in free["classes"]
    ]
    return render_template(
        "traveler/seats.html",
        summary=summary,
        departed=_departed(summary),
        unavailable=None,
        decks=layout(free["seats"]),
        classes=classes,
        free_total=sum(c["free"] for c in free["classes"]),
        free_seats=len(still_free),
        free_places=sum(c["places"] for c in free["classes"]),
        picked={label for label in picked if label in still_free},
        errors=errors,
        form=request.form,
        max_party=MAX_PARTY,
        board=board,
        alight=alight,
    )
