"""The greedy seat assignment: the solver's starting point and fallback (see
``inventory.assignment`` for how it gathers a party)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inventory.assignment_problem import Candidate, Problem, cost_of
from inventory.seatmaps import SeatMap


def greedy(problem: Problem) -> list[Candidate]:
    """A choice meeting the needs: the needed special seats first, then, for a party sitting
    together, the nearest seats around the anchor that gives the best choice."""
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
    return min(choices, key=lambda chosen: cost_of(problem.seat_map, request, chosen))


def _needed(problem: Problem, ranked: Sequence[Candidate]) -> list[Candidate]:
    """The accessible and bike seats the party needs, best ranked first."""
    request = problem.request

    def pick(accessible: bool, bike: bool, count: int) -> list[Candidate]:
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


def _anchors(seat_map: SeatMap, ranked: Sequence[Candidate]) -> list[Candidate]:
    """One seat per row to gather a party around: the best with a free seat beside it, if any."""
    rows: dict[tuple[int, int], list[Candidate]] = {}
    for candidate in ranked:
        rows.setdefault((candidate.seat.deck, candidate.seat.row), []).append(candidate)
    anchors = []
    for row in rows.values():
        paired = [c for c in row if any(seat_map.adjacent(c.seat, o.seat) for o in row)]
        anchors.append((paired or row)[0])
    return anchors


_Nearness = tuple[bool, int, int, tuple[int, int, int, int]]


def _nearness(anchor: Candidate) -> Callable[[Candidate], _Nearness]:
    def key(candidate: Candidate) -> _Nearness:
        seat = candidate.seat
        return (
            seat.deck != anchor.seat.deck,
            abs(seat.row - anchor.seat.row),
            abs(seat.column - anchor.seat.column),
            candidate.rank,
        )

    return key
