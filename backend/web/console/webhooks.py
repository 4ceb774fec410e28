"""Webhooks and the e-mail outbox: where events and mail go, and how their sending went.

Everyone on the staff reads both pages (support staff answer "did the e-mail go out?");
planners and admins add webhook endpoints and deactivate them. A new endpoint's signing secret
is shown once, in the answer to the form that made it, never in a URL.
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import outbox, webhook_endpoints, webhooks
from backend.services.webhook_events import EVENT_TYPES
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to

LOG_ROWS = 50


@bp.get("/webhooks", endpoint="webhooks")
@page()
def webhooks_page() -> str:
    """The endpoints and the latest deliveries (of one endpoint with ``?hook=<id>``)."""
    return _webhooks_page()


@bp.post("/webhooks", endpoint="add_webhook")
@page(Role.PLANNER)
def add_webhook() -> str | tuple[str, int]:
    """Subscribe a URL to event types and show its signing secret once."""
    form = {
        "url": request.form.get("url", "").strip(),
        "description": request.form.get("description", "").strip(),
    }
    chosen = [name for name in request.form.getlist("event_types") if name in EVENT_TYPES]
    try:
        endpoint, secret = webhook_endpoints.create_endpoint(
            db.session(),
            url=form["url"],
            event_types=chosen,
            description=form["description"],
            created_by=current_staff().user_id,
            now=utc_now(),
        )
    except ServiceError as refused:
        db.session().rollback()
        return _webhooks_page(form=form, chosen=chosen, error=refused), 422
    return render_template(
        "console/webhook_secret.html", title="Webhook added", endpoint=endpoint, secret=secret
    )


@bp.post("/webhooks/<id:endpoint_id>/deactivate", endpoint="deactivate_webhook")
@page(Role.PLANNER)
def deactivate_webhook(endpoint_id: int) -> Response:
    """Stop sending events to an endpoint; its delivery log stays."""
    endpoint = webhook_endpoints.deactivate_endpoint(db.session(), endpoint_id, utc_now())
    flash(f"{endpoint.url} is deactivated; it receives no more events.", "success")
    return redirect_to("console.webhooks")


@bp.get("/outbox", endpoint="outbox")
@page()
def outbox_page() -> str:
    """The latest e-mail in the outbox, with how its sending went."""
    session = db.session()
    return render_template(
        "console/outbox.html",
        title="Outbox",
        messages=outbox.recent_messages(session, limit=LOG_ROWS),
        counts=outbox.counts_by_status(session),
        max_attempts=outbox.MAX_ATTEMPTS,
        mail_server=current_app.config["FAREGATE_SETTINGS"].smtp_host,
    )


def _webhooks_page(
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    error: ServiceError | None = None,
) -> str:
    session = db.session()
    endpoints = webhook_endpoints.list_endpoints(session)
    shown = request.args.get("hook", type=int)
    if shown is not None and shown not in {endpoint.id for endpoint in endpoints}:
        shown = None
    return render_template(
        "console/webhooks.html",
        title="Webhooks",
        endpoints=endpoints,
        deliveries=webhook_endpoints.recent_deliveries(session, endpoint_id=shown, limit=LOG_ROWS),
        counts=webhook_endpoints.counts_by_status(session),
        shown=shown,
        event_types=EVENT_TYPES,
        max_attempts=webhooks.MAX_ATTEMPTS,
        form=form or {},
        chosen=chosen if chosen is not None else list(EVENT_TYPES),
        error=error,
    )
