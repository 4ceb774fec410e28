"""Recording staff actions in the audit log as the web app answers them.

One ``after_request`` hook records every staff request that may change something (any method
but GET, HEAD and OPTIONS), so a new endpoint is audited without anyone remembering to: a
request is a staff request when the API's role guard admitted a token (``g.principal``, set
even when the role then falls short, so refusals are kept too) or the console's page guard
found a signed-in member (``g.console_staff``). Travelers' and devices' requests are not
staff actions and are not recorded; failed sign-ins are counted by ``login_throttle`` instead.

- **Action**: a readable name from ``ACTIONS`` by endpoint and method (``feed.publish``,
  ``support_case.assign``); an endpoint missing from the table is still recorded, named
  ``<endpoint>.<method>``. Console sign-ins and sign-outs, which no guard admits, name their
  actor and action themselves (``backend.web.console.audit``).
- **Target**: the ids in the URL, a few named form or JSON fields per endpoint
  (``PARAMETERS``: ids and choices, never free text), the ``id``/``reference`` of what a JSON
  answer made, and what a view adds with ``describe``. Request bodies are never stored.
- **Outcome**: the HTTP status answered; **request id**: ``g.request_id`` when set, else the
  one ``backend.request_ids`` gave the request.

The row is written after the answer is ready, in a transaction of its own (see
``backend.services.audit`` for why). Before writing, whatever the request left uncommitted is
rolled back, as it would have been at the end of the request, so that on SQLite the audit write
cannot queue behind the request's own write lock. Nothing here can fail the request: an audit
row that cannot be written is logged as an error.

A view may also ``describe`` its request (a clearer action name, more target ids, the actor
where no guard ran, or ``read``: record it although it is a GET, as exports of personal data
are), or write its row itself and say so with ``written_by_view`` (erasure does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from backend import db, request_ids
from backend.clock import utc_now
from backend.services import audit
from backend.services.audit import Actor, AuditEntry

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_VALUE = 200

# (endpoint, method) -> action name.
ACTIONS: dict[tuple[str, str], str] = {
    ("cancellations.Cancellations", "POST"): "trip.cancel",
    ("devices.Devices", "POST"): "device.provision",
    ("devices.DeviceProvisioningToken", "POST"): "device.token",
    ("devices.DeviceRevoke", "POST"): "device.revoke",
    ("feeds.Feeds", "POST"): "feed.upload",
    ("feeds.PublishFeed", "POST"): "feed.publish",
    ("payments.BookingPayment", "POST"): "payment.mark_paid",
    ("staff.Users", "POST"): "staff.create",
    ("staff.Tokens", "POST"): "api_token.create",
    ("staff.TokenById", "DELETE"): "api_token.revoke",
    ("support_cases.Queue", "POST"): "support_case.open",
    ("support_cases.Assign", "POST"): "support_case.assign",
    ("support_cases.Status", "POST"): "support_case.status",
    ("support_cases.Priority", "POST"): "support_case.priority",
    ("support_cases.StaffNotes", "POST"): "support_case.note",
    ("tickets.TicketCheck", "POST"): "ticket.check",
    ("travelers.TravelerExport", "GET"): "traveler.export",
    ("travelers.TravelerErasure", "POST"): "traveler.erase",
    ("vehicle_assignments.VehicleAssignment", "PUT"): "vehicle_assignment.set",
    ("vehicle_assignments.VehicleAssignment", "DELETE"): "vehicle_assignment.remove",
    ("webhooks.Webhooks", "POST"): "webhook.create",
    ("webhooks.Webhook", "DELETE"): "webhook.deactivate",
    ("console.new_recovery_codes", "POST"): "two_factor.recovery_codes",
    ("console.enrol_two_factor", "POST"): "two_factor.enrol",
    ("console.turn_off_two_factor", "POST"): "two_factor.turn_off",
    ("console.assign_case", "POST"): "support_case.assign",
    ("console.case_status", "POST"): "support_case.status",
    ("console.case_priority", "POST"): "support_case.priority",
    ("console.case_note", "POST"): "support_case.note",
    ("console.check_case_charges", "POST"): "support_case.check_charges",
    ("console.provision_device", "POST"): "device.provision",
    ("console.new_device_token", "POST"): "device.token",
    ("console.revoke_device", "POST"): "device.revoke",
    ("console.cancel_trip", "POST"): "trip.cancel",
    ("console.upload_feed", "POST"): "feed.upload",
    ("console.publish_feed", "POST"): "feed.publish",
    ("console.choose_seat_map", "POST"): "seat_map.assign",
    ("console.add_staff", "POST"): "staff.create",
    ("console.set_staff_active", "POST"): "staff.set_active",
    ("console.reset_staff_two_factor", "POST"): "staff.reset_two_factor",
    ("console.add_webhook", "POST"): "webhook.create",
    ("console.deactivate_webhook", "POST"): "webhook.deactivate",
    ("console.export_traveler", "POST"): "traveler.export",
    ("console.erase_traveler", "POST"): "traveler.erase",
}

# endpoint -> (field of the form or JSON body, name in the target): ids and choices only.
PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "cancellations.Cancellations": (("trip_instance", "trip_instance"),),
    "devices.Devices": (("id", "device_id"),),
    "staff.Users": (("email", "email"), ("role", "role")),
    "staff.Tokens": (("role", "role"),),
    "support_cases.Assign": (("assignee_id", "assignee_id"),),
    "support_cases.Status": (("status", "status"),),
    "support_cases.Priority": (("priority", "priority"),),
    "console.assign_case": (("assignee", "assignee"),),
    "console.case_status": (("status", "status"),),
    "console.case_priority": (("priority", "priority"),),
    "console.case_note": (("visibility", "visibility"),),
    "console.provision_device": (("id", "device_id"),),
    "console.cancel_trip": (("trip_instance", "trip_instance"),),
    "console.choose_seat_map": (
        ("scope", "scope"),
        ("target_id", "target_id"),
        ("seat_map", "seat_map"),
    ),
    "console.add_staff": (("email", "email"), ("role", "role")),
    "console.set_staff_active": (("active", "active"),),
}
ANSWER_KEYS = ("id", "reference")


def init_app(app: Flask) -> None:
    """Record the staff actions ``app`` answers."""
    app.after_request(_after)


def describe(
    action: str | None = None, *, actor: Actor | None = None, read: bool = False, **target: Any
) -> None:
    """Name this request's action (and its ``actor``), add ``target`` ids, and (``read``)
    record it even as a GET."""
    if action:
        g.audit_action = action
    if actor is not None:
        g.audit_actor = actor
    if read:
        g.audit_read = True
    g.audit_target = {**g.get("audit_target", {}), **target}


def written_by_view() -> None:
    """The view wrote this request's audit row itself: the hook writes none."""
    g.audit_written = True


def entry_for_request(action: str, status: int) -> AuditEntry | None:
    """This request's audit row as it stands, for a view that writes its own."""
    actor = current_actor()
    if actor is None:
        return None
    return AuditEntry(
        actor,
        action,
        status,
        utc_now(),
        target=dict(g.get("audit_target", {})),
        method=request.method,
        path=request.path,
        client_address=request.remote_addr,
        request_id=_request_id(),
    )


def current_actor() -> Actor | None:
    """The staff member acting in this request, and how; None for anyone else."""
    named: Actor | None = g.get("audit_actor")
    if named is not None:
        return named
    principal = g.get("principal")
    if principal is not None:
        return Actor(
            "api", principal.user_id, principal.email, principal.role.value, principal.token_id
        )
    staff = g.get("console_staff")
    if staff is not None:
        return Actor("console", staff.user_id, staff.email, staff.role.value)
    return None


def _after(response: Response) -> Response:
    try:
        entry = _entry(response)
        if entry is not None:
            _end_request_transaction()
            audit.record(db.database(), entry)
    except Exception:  # the audit log must never fail the request
        log.exception("audit event for %s %s not recorded", request.method, request.path)
    return response


def _entry(response: Response) -> AuditEntry | None:
    if g.get("audit_written"):
        return None
    if request.method in SAFE_METHODS and not g.get("audit_read"):
        return None
    actor = current_actor()
    if actor is None:
        return None
    action = g.get("audit_action") or _action_name()
    return AuditEntry(
        actor,
        action,
        response.status_code,
        utc_now(),
        target=_target(response),
        method=request.method,
        path=request.path,
        client_address=request.remote_addr,
        request_id=_request_id(),
    )


def _action_name() -> str:
    endpoint = request.endpoint or "unknown"
    return ACTIONS.get((endpoint, request.method), f"{endpoint}.{request.method.lower()}")


def _target(response: Response) -> dict[str, Any]:
    target: dict[str, Any] = {k: _plain(v) for k, v in (request.view_args or {}).items()}
    fields = PARAMETERS.get(request.endpoint or "", ())
    if fields:
        sent = _sent_fields()
        for field, name in fields:
            if sent.get(field) not in (None, ""):
                target[name] = _plain(sent[field])
    answer = _answer(response)
    for key in ANSWER_KEYS:
        if key in answer and key not in target and _plain(answer[key]) not in target.values():
            target[key] = _plain(answer[key])
    target.update(g.get("audit_target", {}))
    return target


def _sent_fields() -> Mapping[str, Any]:
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    return request.form


def _answer(response: Response) -> Mapping[str, Any]:
    """The JSON object a successful API answer carries (empty for anything else)."""
    if not (200 <= response.status_code < 300) or not response.is_json:
        return {}
    if response.is_streamed or response.direct_passthrough:
        return {}
    body = response.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    return str(value)[:MAX_VALUE]


def _request_id() -> str | None:
    found = g.get("request_id") or request_ids.request_id()
    return str(found) if found else None


def _end_request_transaction() -> None:
    current = g.get("db_session")
    if current is not None:
        current.rollback()
