"""The tap upload's wire form (``POST /api/v1/device/taps``), checked by pydantic.

An upload carries up to ``MAX_BATCH`` journal rows of format version 1
(``validator_agent.journal``), oldest first::

    {"taps": [{"v": 1, "seq": int >= 1, "nonce": 32 hex chars, "at": UTC epoch ms,
               "kind": "qr_text" | "ndef" | "credential" | "account",
               "fingerprint": 64 hex chars, "ticket_id": str <= 32 | null,
               "product_id": str <= 128 | null, "allowed": bool, "reason": str <= 40 | null,
               "bundle_version": int >= 0 | null,
               "trip_instance": str <= 160 | null (optional: a bus's trip)}, ...],
     "device_time": ISO 8601 with offset | null, "backlog": int >= 0 | null,
     "bundle_version": int >= 0 | null}

Integers are bounded by the columns that keep them: ``seq`` and bundle versions by BIGINT,
``backlog`` by INTEGER; a larger number is refused like any malformed field.

An upload is the one body that grows with a device's backlog, so it is checked straight from
the request bytes by pydantic's compiled validator (a few microseconds per tap) rather than
field by field in Python (``backend.services.json_bodies``). ``OPENAPI_SCHEMA`` is its JSON
schema as OpenAPI 3.0 has it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from backend.services.json_bodies import invalid_fields, openapi_schema

MAX_BATCH = 5000
LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MAX_BIGINT = 2**63 - 1
MAX_INTEGER = 2**31 - 1

BundleVersion = Annotated[int | None, Field(ge=0, le=MAX_BIGINT)]

MediaKind = Literal["qr_text", "ndef", "credential", "account"]


class UploadedTap(BaseModel):
    """One journaled tap, journal row format version 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1]
    seq: Annotated[int, Field(ge=1, le=MAX_BIGINT)]
    nonce: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    at: Annotated[int, Field(ge=0, le=LATEST_MS, description="UTC epoch milliseconds")]
    kind: MediaKind
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    ticket_id: Annotated[str | None, Field(max_length=32)] = None
    product_id: Annotated[str | None, Field(max_length=128)] = None
    allowed: bool
    reason: Annotated[str | None, Field(max_length=40)] = None
    bundle_version: BundleVersion = None
    trip_instance: Annotated[
        str | None,
        Field(min_length=1, max_length=160, description="a bus's trip (TRIP@YYYY-MM-DD)"),
    ] = None


class TapUpload(BaseModel):
    """A batch of taps, oldest first, with the device's clock, backlog and bundle version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    taps: Annotated[list[UploadedTap], Field(max_length=MAX_BATCH)]
    device_time: AwareDatetime | None = None
    backlog: Annotated[int | None, Field(ge=0, le=MAX_INTEGER)] = None
    bundle_version: BundleVersion = None


_UPLOAD = TypeAdapter(TapUpload)


def parse_upload(raw: bytes) -> TapUpload:
    """The upload in ``raw`` (JSON bytes); 422 ``validation_failed`` naming each bad field."""
    try:
        return _UPLOAD.validate_json(raw)
    except ValidationError as error:
        raise invalid_fields(error, "the upload is not a valid batch of taps") from error


OPENAPI_SCHEMA = openapi_schema(TapUpload)


def tapped_at(tap: UploadedTap) -> datetime:
    """When ``tap`` was made, as an aware UTC time."""
    return datetime.fromtimestamp(tap.at / 1000, UTC)
