"""Leg ranges: the part of a trip instance a seat is held or booked for.

A trip instance's stops are numbered 0..n-1 in stop_sequence order and leg ``i`` runs from
stop ``i`` to stop ``i + 1``, so a trip with ``n`` stops has ``n - 1`` legs. A journey
boarding at stop ``board`` and alighting at stop ``alight`` uses the half-open range of legs
``[board, alight)``: two journeys conflict on a seat exactly when their ranges overlap, and one
alighting where the next boards does not. Stops are counted by position, not by stop id, because
a loop trip may call at the same stop twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory.errors import INVALID_LEG_RANGE, InventoryError


@dataclass(frozen=True, order=True)
class LegRange:
    """Legs ``[board, alight)``: board at stop index ``board``, alight at stop index ``alight``."""

    board: int
    alight: int

    def __str__(self) -> str:
        return f"stops {self.board} to {self.alight}"

    def __len__(self) -> int:
        return max(0, self.alight - self.board)

    @property
    def legs(self) -> range:
        """The leg numbers the range covers."""
        return range(self.board, self.alight)

    def validate(self, stop_count: int) -> None:
        """Refuse a range that is empty, reversed or outside a trip of ``stop_count`` stops."""
        if not 0 <= self.board < self.alight <= stop_count - 1:
            raise InventoryError(
                INVALID_LEG_RANGE,
                f"boarding at stop {self.board} and alighting at stop {self.alight} is not a "
                f"journey on a trip with {stop_count} stops (stops are numbered from 0 and the "
                "alighting stop must come after the boarding stop)",
            )

    def overlaps(self, other: LegRange) -> bool:
        """Whether the two ranges share at least one leg."""
        return self.board < other.alight and other.board < self.alight

    def covers(self, other: LegRange) -> bool:
        """Whether every leg of ``other`` is also a leg of this range."""
        return self.board <= other.board and other.alight <= self.alight


def leg_range_between(stop_ids: Sequence[str], board_stop: str, alight_stop: str) -> LegRange:
    """The legs from the first call at ``board_stop`` to the next call at ``alight_stop``."""
    try:
        board = stop_ids.index(board_stop)
    except ValueError:
        raise InventoryError(
            INVALID_LEG_RANGE, f"the trip does not call at boarding stop {board_stop!r}"
        ) from None
    for alight in range(board + 1, len(stop_ids)):
        if stop_ids[alight] == alight_stop:
            return LegRange(board, alight)
    if alight_stop in stop_ids:
        raise InventoryError(
            INVALID_LEG_RANGE,
            f"the trip does not call at {alight_stop!r} after {board_stop!r}",
        )
    raise InventoryError(
        INVALID_LEG_RANGE, f"the trip does not call at alighting stop {alight_stop!r}"
    )
