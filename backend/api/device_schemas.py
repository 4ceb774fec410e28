"""Request and response bodies of the device API."""

from __future__ import annotations

import marshmallow as ma

from backend.models.devices import DEVICE_ROLES


class DeviceCreateSchema(ma.Schema):
    """A device to create: a gate names its stop, a bus its vehicle."""

    id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(DEVICE_ROLES))
    stop_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=128))
    vehicle_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=128))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))


class DeviceSchema(ma.Schema):
    """A device and its last reported state."""

    id = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    stop_id = ma.fields.String(allow_none=True)
    vehicle_id = ma.fields.String(allow_none=True)
    description = ma.fields.String(required=True)
    state = ma.fields.String(required=True, metadata={"enum": ["new", "active", "revoked"]})
    created_at = ma.fields.String(required=True)
    last_sync_at = ma.fields.String(allow_none=True)
    clock_skew_ms = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "how far ahead of the server the device's clock was at its last "
            "upload, held to ±2147483647 (about 24.8 days)"
        },
    )
    backlog = ma.fields.Integer(allow_none=True)
    bundle_version = ma.fields.Integer(allow_none=True)
    acked_sequence = ma.fields.Integer(required=True)


class CreatedDeviceSchema(DeviceSchema):
    """A new device with the one-time token to enter on it."""

    provisioning_token = ma.fields.String(required=True)


class ProvisionSchema(ma.Schema):
    """A one-time provisioning token."""

    token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


class ProvisionedSchema(ma.Schema):
    """What a device learns when provisioned, with its own token (shown once)."""

    device_id = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    stop_id = ma.fields.String(allow_none=True)
    vehicle_id = ma.fields.String(allow_none=True)
    token = ma.fields.String(required=True)


class BundleArgsSchema(ma.Schema):
    """What a device downloading the rule bundle holds already."""

    deny_version = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=0, max=2**63 - 1),
        metadata={
            "description": "the version of the deny list the device holds (its bundle's): "
            "the answer may then carry only the deny-list changes since (a delta)"
        },
    )


BUNDLE_HEADERS = {
    "ETag": {"description": "the entity tag of the bytes sent", "schema": {"type": "string"}},
    "X-Bundle-Version": {"description": "the bundle's version", "schema": {"type": "integer"}},
    "X-Deny-Delta-From": {
        "description": "present when the bundle carries a deny-list delta: the deny-list "
        "version it applies to",
        "schema": {"type": "integer"},
    },
}


class TapAckSchema(ma.Schema):
    """The answer to an upload: every tap up to ``acked_sequence`` is on the server."""

    acked_sequence = ma.fields.Integer(required=True)
    stored = ma.fields.Integer(required=True, metadata={"description": "new taps in this batch"})
    server_time = ma.fields.String(required=True)
