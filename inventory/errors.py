"""The one error the inventory domain raises, with a stable machine-readable code.

Callers (the API above all) map ``code`` to a response without parsing text, so codes never
change meaning; ``message`` is for people and may be reworded. The codes:

``invalid_leg_range``
    a leg range outside the trip, empty or reversed, or stops that are missing or out of order;
``seat_taken``
    a seat chosen by the traveler is held or booked on part of the requested legs;
``sold_out``
    too few free seats (or accessible or bike seats) for the party on the requested legs;
``unknown_seat``
    a seat label the seat map does not have;
``duplicate_seat``
    the same seat chosen twice for one party;
``invalid_seat_map``
    a seat map file, or a set of seat maps, that breaks a rule of the format;
``invalid_party``
    a party size outside 1 to 9, or a seat request that contradicts itself;
``class_mismatch``
    a seat class the seat map has no reservable seats of;
``invalid_reaccommodation``
    a re-accommodation request that contradicts itself: an empty time window, a booking or
    alternative given twice.
"""

from __future__ import annotations

INVALID_LEG_RANGE = "invalid_leg_range"
SEAT_TAKEN = "seat_taken"
SOLD_OUT = "sold_out"
UNKNOWN_SEAT = "unknown_seat"
DUPLICATE_SEAT = "duplicate_seat"
INVALID_SEAT_MAP = "invalid_seat_map"
INVALID_PARTY = "invalid_party"
CLASS_MISMATCH = "class_mismatch"
INVALID_REACCOMMODATION = "invalid_reaccommodation"

CODES = frozenset(
    {
        INVALID_LEG_RANGE,
        SEAT_TAKEN,
        SOLD_OUT,
        UNKNOWN_SEAT,
        DUPLICATE_SEAT,
        INVALID_SEAT_MAP,
        INVALID_PARTY,
        CLASS_MISMATCH,
        INVALID_REACCOMMODATION,
    }
)


class InventoryError(Exception):
    """A request the inventory refuses: ``code`` is stable, ``message`` explains it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
