"""Request and response bodies of the device API."""

from __future__ import annotations

import marshmallow as ma

from backend.models.devices import DEVICE_ROLES


class DeviceCreateSchema(ma.Schema):
    """A device to create: a gate names its stop, a bus its vehicle."""

    id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(DEVICE_ROLES))
    stop_id = ma.fields.String(load_default=None)
    vehicle_id = ma.fields.String(load_default=None)
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
    clock_skew_ms = ma.fields.Integer(allow_none=True)
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


class TapSchema(ma.Schema):
    """One journaled tap in the agent's upload form, journal row format version 1
    (``validator_agent.journal``): ``at`` is UTC epoch milliseconds; ``trip_instance`` is
    optional (absent or null: none)."""

    v = ma.fields.Integer(required=True, validate=ma.validate.Equal(1))
    sequence = ma.fields.Integer(required=True, data_key="seq", validate=ma.validate.Range(min=1))
    nonce = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9a-f]{32}$"))
    at = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=253402300799999))
    media_kind = ma.fields.String(
        required=True,
        data_key="kind",
        validate=ma.validate.OneOf(["qr_text", "ndef", "credential", "account"]),
    )
    fingerprint = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9a-f]{64}$"))
    ticket_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))
    product_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=128))
    allowed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(max=40))
    bundle_version = ma.fields.Integer(load_default=None)
    trip_instance = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=160),
        metadata={"description": "a bus's trip instance (TRIP@YYYY-MM-DD); optional"},
    )


class TapUploadSchema(ma.Schema):
    """A batch of taps, oldest first, with the device's clock, backlog and bundle version."""

    taps = ma.fields.List(
        ma.fields.Nested(TapSchema), required=True, validate=ma.validate.Length(max=5000)
    )
    device_time = ma.fields.AwareDateTime(load_default=None)
    backlog = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=0))
    bundle_version = ma.fields.Integer(load_default=None)


class TapAckSchema(ma.Schema):
    """The answer to an upload: every tap up to ``acked_sequence`` is on the server."""

    acked_sequence = ma.fields.Integer(required=True)
    stored = ma.fields.Integer(required=True, metadata={"description": "new taps in this batch"})
    server_time = ma.fields.String(required=True)
