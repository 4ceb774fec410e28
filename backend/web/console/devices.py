"""Validator devices: the fleet's state, provisioning, new tokens and revoking.

Everyone on the staff sees the list (support staff answer travelers about gates); planners
and admins provision, issue tokens and revoke. A one-time provisioning token is shown once,
as a QR code and as text, in the answer to the form that made it, never in a URL.
"""

from __future__ import annotations

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.models import Device
from backend.models.devices import DEVICE_ROLES
from backend.services import device_health, devices
from backend.services.devices import PROVISIONING_TTL
from backend.web.console.blueprint import bp
from backend.web.console.guard import page, redirect_to
from backend.web.console.qr import qr_data_uri

ROLE_LABELS = {"gate_entry": "Gate (entry)", "gate_exit": "Gate (exit)", "bus": "Bus"}


@bp.get("/devices", endpoint="devices")
@page()
def devices_page() -> str:
    """Every device with its state, last sync, backlog, clock skew and bundle version."""
    return _devices_page()


@bp.post("/devices")
@page(Role.PLANNER)
def provision_device() -> str | tuple[str, int]:
    """Create a device and show its one-time provisioning token."""
    fields = ("id", "role", "stop_id", "vehicle_id", "description")
    form = {key: request.form.get(key, "").strip() for key in fields}
    try:
        device, token = devices.create_device(
            db.session(),
            form["id"],
            form["role"],
            stop_id=form["stop_id"] or None,
            vehicle_id=form["vehicle_id"] or None,
            description=form["description"][:200],
            now=utc_now(),
        )
    except ServiceError as refused:
        db.session().rollback()
        return _devices_page(form=form, error=refused)
    return _token_page(device, token, created=True)


@bp.post("/devices/<device_id>/token")
@page(Role.PLANNER)
def new_device_token(device_id: str) -> str:
    """A new one-time provisioning token for a device (e.g. a replaced unit)."""
    token = devices.reissue_provisioning_token(db.session(), device_id, utc_now())
    return _token_page(devices.find_device(db.session(), device_id), token, created=False)


@bp.route("/devices/<device_id>/revoke", methods=["GET", "POST"])
@page(Role.PLANNER)
def revoke_device(device_id: str) -> str | Response:
    """Ask to confirm, then revoke: the device's token stops working at once."""
    device = devices.find_device(db.session(), device_id)
    if request.method == "GET":
        return render_template("console/device_revoke.html", title="Revoke device", device=device)
    devices.revoke_device(db.session(), device_id, utc_now())
    flash(f"Device {device_id} is revoked; its token no longer works.", "success")
    return redirect_to("console.devices")


def _devices_page(form: dict[str, str] | None = None, error: ServiceError | None = None) -> str:
    session = db.session()
    now = utc_now()
    newest = device_health.newest_bundle_version(session)
    fleet = [
        (device, device_health.health_of(device, newest_bundle=newest, now=now))
        for device in devices.list_devices(session)
    ]
    return render_template(
        "console/devices.html",
        title="Devices",
        fleet=fleet,
        newest_bundle=newest,
        roles=[(role, ROLE_LABELS[role]) for role in DEVICE_ROLES],
        role_labels=ROLE_LABELS,
        form=form or {},
        error=error,
        attention=sum(1 for _, health in fleet if health.needs_attention),
    )


def _token_page(device: Device, token: str, *, created: bool) -> str:
    return render_template(
        "console/device_token.html",
        title=f"Provision {device.id}",
        device=device,
        token=token,
        qr=qr_data_uri(token, scale=6),
        valid_hours=int(PROVISIONING_TTL.total_seconds() // 3600),
        created=created,
        server=request.host_url.rstrip("/"),
        role_labels=ROLE_LABELS,
    )
