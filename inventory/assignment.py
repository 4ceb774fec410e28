"""Seat assignment: pick seats for a party on a leg range, with OR-Tools CP-SAT.

The candidates are the seats of the requested class (any class when none is asked for) free on
every requested leg. CP-SAT chooses exactly ``party`` of them; at least ``accessible`` chosen
seats must be accessible and at least ``bikes`` must be bike seats (a seat with both attributes
counts for both). Among the choices meeting those hard constraints it minimises one weighted
sum whose weights make it strictly lexicographic, most important first:

1. *together* (when requested, for two or more): most pairs of adjacent seats; then fewest
   breaks (a row whose party seats are split by a seat outside the party: each extra run of
   party seats in a row is one break); then fewest rows; then most pairs of consecutive rows
   used; then most pairs facing each other across the aisle; then most pairs sitting one
   directly behind the other. A party of four on a 2+2 coach therefore takes a whole row when
   one is free, and two pairs one behind the other when none is;
2. *position*: fewest seats without the preferred ``window`` or ``aisle`` attribute;
3. *spare special seats*: fewest accessible and bike seats beyond what the party needs, so
   they stay free for the travelers who need them;
4. *tight fit*: least slack, a seat's slack being the length of its free interval around the
   journey minus the journey's length, so a short journey takes a seat free only for its legs
   and leaves the seats free from end to end to longer journeys;
5. *seat order*: seats earlier in the map first.

The model is kept small: one boolean per free candidate, pair variables only for candidates
that are row or column neighbours, row variables only for rows with candidates, and of a long
run of identical free rows only the few rows a best choice can need (see
``_without_far_repeats``). Pair and row variables are bounded by linear implications with
cuts that keep the linear relaxation tight, so a coach solves in a few milliseconds.

The solver runs on one worker with a fixed seed, starting from the greedy answer below as a
complete hint, so the same inputs give the same answer and the answer is never worse than the
greedy one; ``time_limit_s`` bounds its wall-clock time. (A search cut short by that limit
keeps the best answer found so far, which on a slower machine may be another one.) When the
solver finds no answer in time, or the limit is zero or less, the greedy answer stands. It
meets the same hard constraints: it takes the needed accessible and bike seats first (as few
seats with both attributes as possible). For a party that wants to sit together it then
gathers the party around a seat, filling up with the nearest free seats (same deck first, then
fewest rows away, then fewest columns away), and tries this around the first needed seat, or,
with none, around one seat of every row (the best seat with a free seat beside it, if any),
keeping the gathering the objective above ranks best. Seats otherwise go by the position,
spare-seat, tight-fit and order criteria, in that order. For a party of one that order is the
whole objective: the best seat meeting the needs is found in one pass over the map
(``inventory.single_seat``) and the solver is not called (``method`` "direct").

An assignment is reported *together* when its seats form one group in which each seat is a row
neighbour (same row, nothing but an aisle between) or a column neighbour (same column,
consecutive rows) of another. The seats of an assignment are listed in seat map order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inventory.assignment_problem import (
    MAX_PARTY,
    Candidate,
    ChoiceCost,
    Problem,
    SeatRequest,
    cost_of,
    free_candidates,
    prepare,
)
from inventory.availability import seat_is_free
from inventory.errors import (
    CLASS_MISMATCH,
    DUPLICATE_SEAT,
    INVALID_PARTY,
    SEAT_TAKEN,
    InventoryError,
)
from inventory.greedy_assignment import greedy
from inventory.legs import LegRange
from inventory.seatmaps import Seat, SeatMap
from inventory.single_seat import best_single_seat

CP_SAT = "cp-sat"
GREEDY = "greedy"
DIRECT = "direct"

__all__ = [
    "CP_SAT",
    "DIRECT",
    "GREEDY",
    "MAX_PARTY",
    "Assignment",
    "ChoiceCost",
    "SeatRequest",
    "assign_greedy",
    "assign_seats",
    "choice_cost",
    "is_together",
    "validate_explicit",
]


@dataclass(frozen=True)
class Assignment:
    """The seats given to a party, in seat map order, and how they were chosen."""

    seats: tuple[str, ...]
    method: str
    together: bool


def assign_seats(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    *,
    stop_count: int,
    time_limit_s: float = 0.2,
) -> Assignment:
    """Choose seats for ``request`` on a trip of ``stop_count`` stops (CP-SAT, else greedy)."""
    if request.party == 1:
        # Nothing to seat together: the best-ranked seat meeting the needs is the optimum.
        request.validate()
        request.legs.validate(stop_count)
        label = best_single_seat(
            seat_map,
            taken,
            request.legs,
            last_leg_end=stop_count - 1,
            seat_class=request.seat_class,
            position=request.position,
            accessible=request.accessible > 0,
            bike=request.bikes > 0,
        )
        if label is not None:
            return Assignment((label,), DIRECT, together=True)
        # No seat qualifies: preparing the general problem raises the refusal that says why.
    problem = prepare(seat_map, taken, request, stop_count)
    fallback = greedy(problem)
    if time_limit_s > 0:
        # OR-Tools is loaded on the first party that needs the solver, not with this module.
        from inventory.cp_sat import solve  # noqa: PLC0415

        solved = solve(problem, fallback, time_limit_s)
        if solved is not None:
            return _assignment(problem, solved, CP_SAT)
    return _assignment(problem, fallback, GREEDY)


def assign_greedy(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    *,
    stop_count: int,
) -> Assignment:
    """Choose seats for ``request`` with the greedy heuristic alone (the solver's fallback)."""
    problem = prepare(seat_map, taken, request, stop_count)
    return _assignment(problem, greedy(problem), GREEDY)


def validate_explicit(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    labels: Sequence[str],
    legs: LegRange,
) -> None:
    """Check seats a traveler picked: known, each once, and free on every leg of ``legs``."""
    if not 1 <= len(labels) <= MAX_PARTY:
        raise InventoryError(
            INVALID_PARTY, f"a party has 1 to {MAX_PARTY} travelers, not {len(labels)}"
        )
    seen: set[str] = set()
    for label in labels:
        seat_map.seat(label)
        if label in seen:
            raise InventoryError(DUPLICATE_SEAT, f"seat {label!r} is chosen more than once")
        seen.add(label)
        if not seat_is_free(taken.get(label, ()), legs):
            raise InventoryError(SEAT_TAKEN, f"seat {label!r} is taken on part of {legs}")


def is_together(seat_map: SeatMap, seats: Sequence[Seat]) -> bool:
    """Whether ``seats`` form one group of row and column neighbours (see the module notes)."""
    if not seats:
        return False
    reached = {0}
    frontier = [0]
    while frontier:
        current = seats[frontier.pop()]
        for index, other in enumerate(seats):
            if index not in reached and (
                seat_map.row_neighbours(current, other)
                or seat_map.column_neighbours(current, other)
            ):
                reached.add(index)
                frontier.append(index)
    return len(reached) == len(seats)


def choice_cost(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    labels: Sequence[str],
    *,
    stop_count: int,
) -> ChoiceCost:
    """What the assignment objective makes of choosing ``labels``: smaller tuples are better.

    The items follow the module's criteria, most important first: adjacent pairs (negated),
    breaks, rows, consecutive row pairs (negated), pairs across the aisle (negated), pairs one
    behind the other (negated), position misses, special seats, slack and seat order. The six
    together items are 0 unless the request asks to sit together and the party has two or
    more. The labels must be free seats of the requested class, as many as the party.
    """
    request.validate()
    request.legs.validate(stop_count)
    validate_explicit(seat_map, taken, labels, request.legs)
    if len(labels) != request.party:
        raise InventoryError(
            INVALID_PARTY, f"{len(labels)} seats chosen for a party of {request.party}"
        )
    candidates = {c.seat.label: c for c in free_candidates(seat_map, taken, request, stop_count)}
    for label in labels:
        if label not in candidates:
            raise InventoryError(
                CLASS_MISMATCH, f"seat {label!r} is not a {request.seat_class!r} seat"
            )
    return cost_of(seat_map, request, [candidates[label] for label in labels])


def _assignment(problem: Problem, chosen: Sequence[Candidate], method: str) -> Assignment:
    ordered = sorted(chosen, key=lambda c: c.index)
    seats = [c.seat for c in ordered]
    return Assignment(
        tuple(seat.label for seat in seats), method, is_together(problem.seat_map, seats)
    )
