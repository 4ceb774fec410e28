"""The bodies of ``POST /api/v1/holds`` and ``POST /api/v1/bookings``, checked by pydantic.

Every booking sends both, so in a ticket rush they are the bodies the server reads most; they
are checked straight from the request bytes (``backend.services.json_bodies``) instead of by
webargs and marshmallow, with the same outcomes as the API's other bodies:

- a body that is no JSON text: 400 ``bad_request``;
- a bad, missing or unknown field: 422 ``validation_failed``, ``details.json`` naming each;
- a request that is not JSON (another content type) or has no body: as an empty object, so
  the missing fields are named.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import marshmallow as ma
from flask import request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from backend.errors import ServiceError
from backend.services.json_bodies import invalid_fields, not_json, openapi_schema
from inventory.assignment_problem import MAX_PARTY

Count = Annotated[int, Field(ge=0, le=MAX_PARTY)]


class HoldBody(BaseModel):
    """Seats to hold: chosen (``seats``) or assigned (``party`` and preferences)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trip_instance: Annotated[str, Field(max_length=160)]
    from_stop: Annotated[str, Field(alias="from")]
    to_stop: Annotated[str, Field(alias="to")]
    seats: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=40)], ...],
        Field(
            max_length=MAX_PARTY,
            description="seat labels the traveler picked; empty to have seats assigned",
        ),
    ] = ()
    party: Annotated[int | None, Field(ge=1, le=MAX_PARTY)] = None
    seat_class: str | None = None
    together: bool = True
    position: Literal["window", "aisle"] | None = None
    accessible: Count = 0
    bikes: Count = 0

    @field_validator("party")
    @classmethod
    def _party_matches_seats(cls, party: int | None, info: ValidationInfo) -> int | None:
        seats = info.data.get("seats") or ()
        if seats and party is not None and party != len(seats):
            raise PydanticCustomError("party_mismatch", "party must equal the number of seats")
        return party


_EMAIL = ma.validate.Email()


def _email(value: str) -> str:
    """``value`` if it is an e-mail address as the rest of the API judges one."""
    try:
        _EMAIL(value)
    except ma.ValidationError:
        raise PydanticCustomError("email", "not a valid email address") from None
    return value


class PassengerBody(BaseModel):
    """A traveler named on a booking."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]


class BookingBody(BaseModel):
    """Confirm a live hold with the travelers' names and a contact email."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hold_id: Annotated[str, Field(max_length=32)]
    contact_email: Annotated[
        str, Field(max_length=254, json_schema_extra={"format": "email"}), AfterValidator(_email)
    ]
    passengers: Annotated[list[PassengerBody], Field(min_length=1, max_length=MAX_PARTY)]


_HOLD = TypeAdapter(HoldBody)
_BOOKING = TypeAdapter(BookingBody)


def hold_body() -> HoldBody:
    """The request's hold body, or the refusal that says what is wrong with it."""
    return _parse(_HOLD)


def booking_body() -> BookingBody:
    """The request's booking body, or the refusal that says what is wrong with it."""
    return _parse(_BOOKING)


Body = TypeVar("Body", bound=BaseModel)


def _parse(adapter: TypeAdapter[Body]) -> Body:
    raw = request.get_data(cache=True) if request.is_json else b""
    try:
        return adapter.validate_json(raw or b"{}")
    except ValidationError as error:
        if not_json(error):
            raise ServiceError(
                "bad_request",
                "the request body is not valid JSON",
                status=400,
                details={"json": ["Invalid JSON body."]},
            ) from error
        raise invalid_fields(error, "the request body has invalid fields") from error


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": openapi_schema(model)}}}


HOLD_REQUEST_BODY = _request_body(HoldBody)
BOOKING_REQUEST_BODY = _request_body(BookingBody)
