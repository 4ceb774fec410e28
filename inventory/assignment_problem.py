"""The seat assignment problem: a party's request, the seats free for it with their costs,
and the objective a choice is ranked by (see ``inventory.assignment`` for the criteria).

Both ways of solving it use these: the greedy heuristic (``inventory.greedy_assignment``) and
CP-SAT (``inventory.cp_sat``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inventory.availability import seat_is_free, slack
from inventory.errors import CLASS_MISMATCH, INVALID_PARTY, SOLD_OUT, InventoryError
from inventory.legs import LegRange
from inventory.seatmaps import Seat, SeatMap

MAX_PARTY = 9
POSITIONS = ("window", "aisle")


@dataclass(frozen=True)
class SeatRequest:
    """A party of ``party`` travelling ``legs``, and what it needs and prefers."""

    party: int
    legs: LegRange
    seat_class: str | None = None
    together: bool = True
    position: str | None = None
    accessible: int = 0
    bikes: int = 0

    def validate(self) -> None:
        """Refuse a party outside 1 to 9 or needs that contradict it (``invalid_party``)."""
        if not 1 <= self.party <= MAX_PARTY:
            raise InventoryError(
                INVALID_PARTY, f"a party has 1 to {MAX_PARTY} travelers, not {self.party}"
            )
        for need, count in (("accessible", self.accessible), ("bike", self.bikes)):
            if not 0 <= count <= self.party:
                raise InventoryError(
                    INVALID_PARTY,
                    f"{count} {need} seats cannot be needed by a party of {self.party}",
                )
        if self.position is not None and self.position not in POSITIONS:
            raise InventoryError(
                INVALID_PARTY, f"position must be window or aisle, not {self.position!r}"
            )


@dataclass(frozen=True)
class Candidate:
    """A seat free for the request, with its place in the map and its costs."""

    seat: Seat
    index: int
    slack: int
    mismatch: int
    special: int

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """How the seat ranks alone: position miss, special seats, slack, seat order."""
        return (self.mismatch, self.special, self.slack, self.index)


ChoiceCost = tuple[int, int, int, int, int, int, int, int, int, int]
"""The objective of a choice, compared item by item; see :func:`choice_cost`."""


@dataclass(frozen=True)
class Problem:
    """A request and the candidates a best choice may take (``with_both``: the fewest seats
    with both special attributes a choice meeting the needs takes)."""

    seat_map: SeatMap
    request: SeatRequest
    candidates: tuple[Candidate, ...]
    with_both: int


def cost_of(seat_map: SeatMap, request: SeatRequest, chosen: Sequence[Candidate]) -> ChoiceCost:
    """The objective of a choice as a tuple, as :func:`choice_cost` describes it."""
    mismatch = sum(c.mismatch for c in chosen)
    special = sum(c.special for c in chosen)
    slack_sum = sum(c.slack for c in chosen)
    order = sum(c.index for c in chosen)
    if not request.together or len(chosen) < 2:
        return (0, 0, 0, 0, 0, 0, mismatch, special, slack_sum, order)
    seats = [c.seat for c in chosen]
    pairs = list(itertools.combinations(seats, 2))
    adjacent = sum(seat_map.adjacent(a, b) for a, b in pairs)
    links = sum(seat_map.row_neighbours(a, b) for a, b in pairs)
    rows = {(seat.deck, seat.row): seat for seat in seats}
    row_pairs = itertools.combinations(rows.values(), 2)
    consecutive = sum(seat_map.consecutive_rows(a, b) for a, b in row_pairs)
    behind = sum(seat_map.column_neighbours(a, b) for a, b in pairs)
    breaks = len(chosen) - links - len(rows)
    return (
        -adjacent,
        breaks,
        len(rows),
        -consecutive,
        -(links - adjacent),
        -behind,
        mismatch,
        special,
        slack_sum,
        order,
    )


def free_candidates(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    stop_count: int,
) -> list[Candidate]:
    """The seats of the requested class free on the request's legs, with their costs."""
    legs = request.legs
    if request.seat_class is not None and request.seat_class not in seat_map.seat_classes():
        raise InventoryError(
            CLASS_MISMATCH,
            f"seat map {seat_map.name!r} has no reservable {request.seat_class!r} seats "
            f"(it has {', '.join(map(repr, seat_map.seat_classes())) or 'none'})",
        )
    candidates: list[Candidate] = []
    for index, seat in enumerate(seat_map.seats):
        ranges = taken.get(seat.label, ())
        if request.seat_class not in (None, seat.seat_class) or not seat_is_free(ranges, legs):
            continue
        mismatch = int(request.position is not None and not seat.has(request.position))
        special = int(seat.has("accessible")) + int(seat.has("bike"))
        candidates.append(
            Candidate(seat, index, slack(ranges, legs, stop_count - 1), mismatch, special)
        )
    return candidates


def prepare(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    stop_count: int,
) -> Problem:
    """The problem of ``request``; ``sold_out`` when too few seats, or too few of the
    accessible and bike seats it needs, are free."""
    request.validate()
    legs = request.legs
    legs.validate(stop_count)
    candidates = free_candidates(seat_map, taken, request, stop_count)
    kind = f"{request.seat_class} seats" if request.seat_class else "seats"
    if len(candidates) < request.party:
        free = len(candidates)
        raise InventoryError(
            SOLD_OUT,
            f"the party needs {request.party} {kind} but {free} "
            f"{'is' if free == 1 else 'are'} free for {legs}",
        )
    with_both = seats_with_both(candidates, request)
    if with_both is None:
        accessible = sum(c.seat.has("accessible") for c in candidates)
        bikes = sum(c.seat.has("bike") for c in candidates)
        raise InventoryError(
            SOLD_OUT,
            f"the party needs {request.accessible} accessible and {request.bikes} bike "
            f"{kind}; {accessible} accessible and {bikes} bike {kind} are free for {legs}",
        )
    if request.party == 1:  # no model is built: nothing to shrink
        return Problem(seat_map, request, tuple(candidates), with_both)
    kept = without_far_repeats(seat_map, candidates, request.party)
    kept_with_both = seats_with_both(kept, request)
    if kept_with_both is None:  # pragma: no cover - the reduction keeps a feasible choice
        return Problem(seat_map, request, tuple(candidates), with_both)
    return Problem(seat_map, request, kept, kept_with_both)


def without_far_repeats(
    seat_map: SeatMap, candidates: Sequence[Candidate], party: int
) -> tuple[Candidate, ...]:
    """Candidates without the middle of long runs of identical rows, which no best choice needs.

    Rows are identical when they sit in consecutive rows of a deck and their seats agree in
    column, freedom, costs and attributes. Take any choice and move its rows in such a run,
    except a group touching the run's end and the row after it, to the front of the run,
    packed together in their order: every seat keeps its costs and its neighbours in the row,
    rows only gain neighbours and seats only move earlier, so the choice is never worse. So
    the first ``party`` rows of a run, and its last ``party`` when a row follows it, hold a
    best choice, and a vehicle with many free rows gives a model no bigger than a few rows.
    """
    by_label = {c.seat.label: c for c in candidates}
    order = {seat.label: index for index, seat in enumerate(seat_map.seats)}
    runs: list[list[tuple[Seat, ...]]] = []
    last_signature: object = None
    for row in seat_map.rows:
        signature = _row_signature(row, by_label)
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and signature == last_signature
            and seat_map.consecutive_rows(previous[0], row[0])
            and max(order[seat.label] for seat in previous) < min(order[seat.label] for seat in row)
        ):
            runs[-1].append(row)
        else:
            runs.append([row])
        last_signature = signature
    dropped: set[str] = set()
    for number, run in enumerate(runs):
        followed = number + 1 < len(runs) and seat_map.consecutive_rows(
            run[-1][0], runs[number + 1][0][0]
        )
        tail = party if followed else 0
        for row in run[party : len(run) - tail]:
            dropped.update(seat.label for seat in row)
    return tuple(c for c in candidates if c.seat.label not in dropped)


def _row_signature(row: Sequence[Seat], by_label: Mapping[str, Candidate]) -> object:
    """What the model sees of a row: each seat's column and, when free, its costs and needs."""
    signature: list[tuple[int, ...]] = []
    for seat in row:
        candidate = by_label.get(seat.label)
        if candidate is None:
            signature.append((seat.column,))
        else:
            signature.append(
                (
                    seat.column,
                    candidate.mismatch,
                    candidate.special,
                    candidate.slack,
                    seat.has("accessible"),
                    seat.has("bike"),
                )
            )
    return tuple(signature)


def seats_with_both(candidates: Sequence[Candidate], request: SeatRequest) -> int | None:
    """The fewest seats with both attributes a choice meeting the needs takes, or None."""
    both = sum(c.seat.has("accessible") and c.seat.has("bike") for c in candidates)
    accessible_only = sum(c.seat.has("accessible") for c in candidates) - both
    bikes_only = sum(c.seat.has("bike") for c in candidates) - both
    for with_both in range(min(both, request.party) + 1):
        accessible = max(0, request.accessible - with_both)
        bikes = max(0, request.bikes - with_both)
        if (
            accessible <= accessible_only
            and bikes <= bikes_only
            and with_both + accessible + bikes <= request.party
        ):
            return with_both
    return None
