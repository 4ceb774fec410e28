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

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from inventory.availability import seat_is_free, slack
from inventory.errors import (
    CLASS_MISMATCH,
    DUPLICATE_SEAT,
    INVALID_PARTY,
    SEAT_TAKEN,
    SOLD_OUT,
    InventoryError,
)
from inventory.legs import LegRange
from inventory.seatmaps import Seat, SeatMap
from inventory.single_seat import best_single_seat

MAX_PARTY = 9
POSITIONS = ("window", "aisle")
CP_SAT = "cp-sat"
GREEDY = "greedy"
DIRECT = "direct"


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
class Assignment:
    """The seats given to a party, in seat map order, and how they were chosen."""

    seats: tuple[str, ...]
    method: str
    together: bool


@dataclass(frozen=True)
class _Candidate:
    seat: Seat
    index: int
    slack: int
    mismatch: int
    special: int

    @property
    def rank(self) -> tuple[int, int, int, int]:
        return (self.mismatch, self.special, self.slack, self.index)


ChoiceCost = tuple[int, int, int, int, int, int, int, int, int, int]
"""The objective of a choice, compared item by item; see :func:`choice_cost`."""


@dataclass(frozen=True)
class _Problem:
    seat_map: SeatMap
    request: SeatRequest
    candidates: tuple[_Candidate, ...]
    with_both: int


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
    problem = _prepare(seat_map, taken, request, stop_count)
    greedy = _greedy(problem)
    if time_limit_s > 0:
        # OR-Tools is loaded on the first party that needs the solver, not with this module.
        from inventory.cp_sat import solve  # noqa: PLC0415

        solved = solve(problem, greedy, time_limit_s)
        if solved is not None:
            return _assignment(problem, solved, CP_SAT)
    return _assignment(problem, greedy, GREEDY)


def assign_greedy(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    *,
    stop_count: int,
) -> Assignment:
    """Choose seats for ``request`` with the greedy heuristic alone (the solver's fallback)."""
    problem = _prepare(seat_map, taken, request, stop_count)
    return _assignment(problem, _greedy(problem), GREEDY)


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
    candidates = {c.seat.label: c for c in _candidates(seat_map, taken, request, stop_count)}
    for label in labels:
        if label not in candidates:
            raise InventoryError(
                CLASS_MISMATCH, f"seat {label!r} is not a {request.seat_class!r} seat"
            )
    return _cost(seat_map, request, [candidates[label] for label in labels])


def _cost(seat_map: SeatMap, request: SeatRequest, chosen: Sequence[_Candidate]) -> ChoiceCost:
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


def _candidates(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    stop_count: int,
) -> list[_Candidate]:
    """The seats of the requested class free on the request's legs, with their costs."""
    legs = request.legs
    if request.seat_class is not None and request.seat_class not in seat_map.seat_classes():
        raise InventoryError(
            CLASS_MISMATCH,
            f"seat map {seat_map.name!r} has no reservable {request.seat_class!r} seats "
            f"(it has {', '.join(map(repr, seat_map.seat_classes())) or 'none'})",
        )
    candidates: list[_Candidate] = []
    for index, seat in enumerate(seat_map.seats):
        ranges = taken.get(seat.label, ())
        if request.seat_class not in (None, seat.seat_class) or not seat_is_free(ranges, legs):
            continue
        mismatch = int(request.position is not None and not seat.has(request.position))
        special = int(seat.has("accessible")) + int(seat.has("bike"))
        candidates.append(
            _Candidate(seat, index, slack(ranges, legs, stop_count - 1), mismatch, special)
        )
    return candidates


def _prepare(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    request: SeatRequest,
    stop_count: int,
) -> _Problem:
    request.validate()
    legs = request.legs
    legs.validate(stop_count)
    candidates = _candidates(seat_map, taken, request, stop_count)
    kind = f"{request.seat_class} seats" if request.seat_class else "seats"
    if len(candidates) < request.party:
        free = len(candidates)
        raise InventoryError(
            SOLD_OUT,
            f"the party needs {request.party} {kind} but {free} "
            f"{'is' if free == 1 else 'are'} free for {legs}",
        )
    with_both = _seats_with_both(candidates, request)
    if with_both is None:
        accessible = sum(c.seat.has("accessible") for c in candidates)
        bikes = sum(c.seat.has("bike") for c in candidates)
        raise InventoryError(
            SOLD_OUT,
            f"the party needs {request.accessible} accessible and {request.bikes} bike "
            f"{kind}; {accessible} accessible and {bikes} bike {kind} are free for {legs}",
        )
    if request.party == 1:  # no model is built: nothing to shrink
        return _Problem(seat_map, request, tuple(candidates), with_both)
    kept = _without_far_repeats(seat_map, candidates, request.party)
    kept_with_both = _seats_with_both(kept, request)
    if kept_with_both is None:  # pragma: no cover - the reduction keeps a feasible choice
        return _Problem(seat_map, request, tuple(candidates), with_both)
    return _Problem(seat_map, request, kept, kept_with_both)


def _without_far_repeats(
    seat_map: SeatMap, candidates: Sequence[_Candidate], party: int
) -> tuple[_Candidate, ...]:
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


def _row_signature(row: Sequence[Seat], by_label: Mapping[str, _Candidate]) -> object:
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


def _seats_with_both(candidates: Sequence[_Candidate], request: SeatRequest) -> int | None:
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


def _assignment(problem: _Problem, chosen: Sequence[_Candidate], method: str) -> Assignment:
    ordered = sorted(chosen, key=lambda c: c.index)
    seats = [c.seat for c in ordered]
    return Assignment(
        tuple(seat.label for seat in seats), method, is_together(problem.seat_map, seats)
    )


def _greedy(problem: _Problem) -> list[_Candidate]:
    request = problem.request
    ranked = sorted(problem.candidates, key=lambda c: c.rank)
    needed = _needed(problem, ranked)
    rest = [c for c in ranked if c not in needed]
    if not request.together or request.party < 2:
        return needed + rest[: request.party - len(needed)]
    choices = []
    for anchor in needed[:1] or _anchors(problem.seat_map, ranked):
        near = sorted((c for c in rest if c != anchor), key=_nearness(anchor))
        chosen = needed or [anchor]
        choices.append(chosen + near[: request.party - len(chosen)])
    return min(choices, key=lambda chosen: _cost(problem.seat_map, request, chosen))


def _needed(problem: _Problem, ranked: Sequence[_Candidate]) -> list[_Candidate]:
    """The accessible and bike seats the party needs, best ranked first."""
    request = problem.request

    def pick(accessible: bool, bike: bool, count: int) -> list[_Candidate]:
        group = [
            c
            for c in ranked
            if c.seat.has("accessible") == accessible and c.seat.has("bike") == bike
        ]
        return group[: max(0, count)]

    with_both = problem.with_both
    return [
        *pick(True, True, with_both),
        *pick(True, False, request.accessible - with_both),
        *pick(False, True, request.bikes - with_both),
    ]


def _anchors(seat_map: SeatMap, ranked: Sequence[_Candidate]) -> list[_Candidate]:
    """One seat per row to gather a party around: the best with a free seat beside it, if any."""
    rows: dict[tuple[int, int], list[_Candidate]] = {}
    for candidate in ranked:
        rows.setdefault((candidate.seat.deck, candidate.seat.row), []).append(candidate)
    anchors = []
    for row in rows.values():
        paired = [c for c in row if any(seat_map.adjacent(c.seat, o.seat) for o in row)]
        anchors.append((paired or row)[0])
    return anchors


_Nearness = tuple[bool, int, int, tuple[int, int, int, int]]


def _nearness(anchor: _Candidate) -> Callable[[_Candidate], _Nearness]:
    def key(candidate: _Candidate) -> _Nearness:
        seat = candidate.seat
        return (
            seat.deck != anchor.seat.deck,
            abs(seat.row - anchor.seat.row),
            abs(seat.column - anchor.seat.column),
            candidate.rank,
        )

    return key
