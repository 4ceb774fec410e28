"""Disruptions: cancelled trip instances and what became of their bookings; planners cancel a
trip instance here (``backend.services.cancellations`` does the work)."""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import NotFoundError, ServiceError
from backend.models import TripCancellation
from backend.services import cancellation_views, cancellations
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to


@bp.get("/disruptions", endpoint="disruptions")
@page()
def disruptions_page() -> str:
    """Cancelled trip instances from yesterday on, and the form to cancel one."""
    return _list_page()


@bp.post("/disruptions")
@page(Role.PLANNER)
def cancel_trip() -> str | Response:
    """Cancel a trip instance and re-accommodate its bookings at once."""
    form = {key: request.form.get(key, "").strip() for key in ("trip_instance", "reason")}
    settings = current_app.config["FAREGATE_SETTINGS"]
    try:
        report = cancellations.cancel(
            current_app.extensions["faregate.inventory"],
            form["trip_instance"],
            source="operator",
            reason=form["reason"],
            now=utc_now(),
            policy=cancellations.policy_for(settings),
            staff_id=current_staff().user_id,
        )
    except ServiceError as refused:
        return _list_page(form=form, error=refused)
    flash(
        f"{report.trip_instance} is cancelled: {report.rebooked} booking(s) rebooked, "
        f"{report.refunded} refunded"
        + (f", {report.left} still to do (the job runner finishes them)." if report.left else ".")
        if report.recorded
        else f"{report.trip_instance} was cancelled already; nothing else changed.",
        "success",
    )
    return redirect_to("console.disruption", trip_instance=report.trip_instance)


@bp.get("/disruptions/<trip_instance>", endpoint="disruption")
@page()
def disruption_page(trip_instance: str) -> str:
    """One cancelled trip instance and each booking's outcome."""
    session = db.session()
    cancellation = session.get(TripCancellation, trip_instance)
    if cancellation is None:
        raise NotFoundError("cancellation_not_found", f"{trip_instance} is not cancelled")
    return render_template(
        "console/disruption.html",
        title=f"Cancelled {trip_instance}",
        cancellation=cancellation,
        outcomes=cancellation_views.outcomes_of(session, trip_instance),
    )


def _list_page(form: dict[str, str] | None = None, error: ServiceError | None = None) -> str:
    since = cancellation_views.looking_back_from(utc_now())
    return render_template(
        "console/disruptions.html",
        title="Disruptions",
        cancelled=cancellation_views.list_cancellations(db.session(), since),
        since=since,
        form=form or {"trip_instance": request.args.get("trip_instance", "")},
        error=error,
    )
