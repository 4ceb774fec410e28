"""Device API: operators create, list and revoke validators; a validator provisions itself,
downloads its rule bundle and uploads its taps (``Authorization: Device <token>``)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db, metrics
from backend.api.device_schemas import (
    BUNDLE_HEADERS,
    BundleArgsSchema,
    CreatedDeviceSchema,
    DeviceCreateSchema,
    DeviceSchema,
    ProvisionedSchema,
    ProvisionSchema,
    TapAckSchema,
)
from backend.api.guard import require_role
from backend.api.idempotency import inventory
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import AuthenticationError
from backend.models import Device
from backend.rate_limits import RATE_LIMITED, LimitGroup, limited
from backend.services import deny_deltas, devices, tap_ingest, tap_upload

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="Validator devices")


def _device() -> Device:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Device" or not token:
        raise AuthenticationError("device_unauthorized", "send Authorization: Device <token>")
    return devices.authenticate_device(db.session(), token.strip())


@blp.route("/devices")
class Devices(MethodView):
    """Validator devices."""

    @require_role()
    @blp.response(200, DeviceSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List devices with their last sync, clock skew, backlog and bundle version."""
        return [devices.device_json(d) for d in devices.list_devices(db.session())]

    @require_role(Role.PLANNER)
    @blp.arguments(DeviceCreateSchema())
    @blp.response(201, CreatedDeviceSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a device; the answer carries its one-time provisioning token."""
        device, token = devices.create_device(
            db.session(),
            body["id"],
            body["role"],
            stop_id=body["stop_id"],
            vehicle_id=body["vehicle_id"],
            description=body["description"],
            now=utc_now(),
        )
        return {**devices.device_json(device), "provisioning_token": token}


@blp.route("/devices/<device_id>/revoke")
class DeviceRevoke(MethodView):
    """Revoking a device."""

    @require_role(Role.PLANNER)
    @blp.response(200, DeviceSchema)
    def post(self, device_id: str) -> dict[str, Any]:
        """Revoke a device: its token stops working at once."""
        return devices.device_json(devices.revoke_device(db.session(), device_id, utc_now()))


@blp.route("/devices/<device_id>/provisioning-token")
class DeviceProvisioningToken(MethodView):
    """A new one-time token for a device, e.g. for a unit replaced in the field."""

    @require_role(Role.PLANNER)
    @blp.response(201, ProvisionSchema)
    def post(self, device_id: str) -> dict[str, Any]:
        """Issue a new one-time provisioning token for the device (valid 24 hours)."""
        token = devices.reissue_provisioning_token(db.session(), device_id, utc_now())
        return {"token": token}


@blp.route("/devices/provision")
class DeviceProvision(MethodView):
    """A device trading its one-time token for its own."""

    @limited(LimitGroup.SIGN_IN)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(ProvisionSchema())
    @blp.response(200, ProvisionedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Provision a device with a one-time token from an operator."""
        device, token = devices.provision(db.session(), body["token"], utc_now())
        return {
            "device_id": device.id,
            "role": device.role,
            "stop_id": device.stop_id,
            "vehicle_id": device.vehicle_id,
            "token": token,
        }


@blp.route("/device/bundle")
class DeviceBundle(MethodView):
    """The signed rule bundle for validators."""

    @blp.arguments(BundleArgsSchema(), location="query")
    @blp.response(
        200,
        content_type="application/cbor",
        description="the current bundle, in full or with a deny-list delta from "
        "`deny_version` (then `X-Deny-Delta-From` names it) when that is smaller",
        headers=BUNDLE_HEADERS,
    )
    @blp.alt_response(
        304,
        description="the device holds the current bundle: If-None-Match names it, or "
        "`deny_version` is its version",
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, args: dict[str, Any]) -> Response:
        """Download the current rule bundle, in full or with a deny-list delta.

        304 when the device holds it (If-None-Match names it, or `deny_version` is its
        version). With `deny_version` naming the deny list the device holds, the bundle may
        carry only the deny-list changes since, when that is smaller.
        """
        _device()
        sent = deny_deltas.download(
            db.session(),
            inventory(),
            utc_now(),
            deny_version=args["deny_version"],
            if_none_match=request.headers.get("If-None-Match", ""),
        )
        metrics.count_bundle_download(sent.kind, len(sent.blob or b""))
        headers = {"ETag": sent.etag, "X-Bundle-Version": str(sent.version)}
        if sent.blob is None:
            return Response(status=304, headers=headers)
        if sent.delta_from is not None:
            headers["X-Deny-Delta-From"] = str(sent.delta_from)
        return Response(sent.blob, mimetype="application/cbor", headers=headers)


@blp.route("/device/taps")
class DeviceTaps(MethodView):
    """Taps uploaded by a validator."""

    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": tap_upload.OPENAPI_SCHEMA}},
        }
    )
    @blp.response(200, TapAckSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self) -> dict[str, Any]:
        """Upload a batch of journaled taps; each (device, nonce) is stored once."""
        device = _device()
        upload = tap_upload.parse_upload(request.get_data(cache=False))
        answer = tap_ingest.ingest(db.session(), device, tap_ingest.Upload.of(upload), utc_now())
        metrics.count_taps(stored=answer["stored"], received=len(upload.taps))
        return answer
