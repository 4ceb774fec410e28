"""LP-guided packing, one alternative at a time: how a large re-accommodation is solved.

On one worker CP-SAT proves a re-accommodation onto a few alternatives optimal within a
second, but the whole model of a big disruption (thousands of bookings onto tens of
alternatives: tens of thousands of variables) is beyond it: measured on 2,000 bookings and
20 alternatives, it did not improve on its greedy hint in ten seconds. The model's linear
relaxation, though, solves in a second or two with GLOP and is tight (within a few percent of
the best answers known), and the model of one alternative alone solves in a fraction of a
second. So a large problem is solved in three steps:

1. the linear relaxation of the whole model says which share ``y*`` of each booking each
   alternative should take;
2. the alternatives are packed one after the other, each by CP-SAT on the exact model of
   that alternative alone (its claims now including the travelers placed so far), over the
   bookings not yet placed that have an option there, except those the relaxation places
   wholly on alternatives still to come. Above the usual tiers sits one more: follow the
   relaxation, each option weighing its travelers times its ``y*`` in hundredths; bookings
   it placed elsewhere, partly or not at all, fill the places it leaves. (Offering every
   booking placed 0.2 to 0.4 % more travelers on the benchmark but took 40 % longer.) The
   latest-arriving alternative goes first: on the benchmark's scenarios that placed 0.6 to
   1.1 % more travelers than going earliest first (the packing does not look ahead, and
   which order suits it is an empirical matter);
3. the bookings still unplaced go through the greedy first fit on the places left;
4. with the time left, each alternative is packed again, in the same order, for the most
   travelers alone: the bookings it holds and those still unplaced that could go there, the
   answer so far as the hint; a packing placing more travelers replaces it (on the
   benchmark, given the time, this places about 9 travelers more);
5. each alternative's packing weighs delay only among its own candidates, so at the end
   ``inventory.greedy_reaccommodation.shorten_delays`` moves bookings to alternatives closer
   to their original arrival where there is room (on the benchmark it takes back about 40 %
   of the traveler-minutes, in a fraction of a second).

Each alternative's packing is exact (its seats come from ``inventory.reaccommodation_seating``)
so the answer is feasible; it is not proven best. One alternative's solve may take twice its
even share of the time left, and at most half of it (most finish, proven best for that
alternative, well within it), so a hard one still leaves time for the others, and on a slow
machine every alternative still gets its turn; when time runs out the rest go to step 3.
``inventory.reaccommodation`` keeps the greedy answer when it is better.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from inventory.availability import PlaceClaim
from inventory.greedy_reaccommodation import Placed, Seated, first_fit, shorten_delays
from inventory.legs import LegRange
from inventory.reaccommodation_cp_sat import relaxation, solve
from inventory.reaccommodation_input import Alternative
from inventory.reaccommodation_model import Formulation, formulate
from inventory.reaccommodation_problem import Problem, build_problem
from inventory.reaccommodation_seating import seat_answer

SHARES = 100
"""``y*`` is counted in hundredths of a booking."""

EPSILON = 1e-6
"""Shares closer than this to 0 or 1 are taken as 0 or 1."""


class _Claims:
    """The claims on each alternative: those given, plus the travelers placed so far."""

    def __init__(self, alternatives: Sequence[Alternative]) -> None:
        self._alternatives = alternatives
        self._seats: dict[int, dict[str, list[LegRange]]] = {}
        self._places: dict[int, dict[str, list[PlaceClaim]]] = {}

    def alternative(self, number: int) -> Alternative:
        """Alternative ``number`` with every claim made on it so far."""
        original = self._alternatives[number]
        if number not in self._seats:
            return original
        return dataclasses.replace(
            original, taken=self._seats[number], unassigned_claims=self._places[number]
        )

    def add(self, number: int, seated: Seated, party: int) -> None:
        """Claim the seats (or the unassigned places) of a placed booking."""
        original = self._alternatives[number]
        seats = self._seats.setdefault(
            number, {label: list(r) for label, r in original.taken.items()}
        )
        places = self._places.setdefault(
            number, {c: list(claims) for c, claims in original.unassigned_claims.items()}
        )
        option = seated.option
        for label in seated.seats:
            seats.setdefault(label, []).append(option.legs)
        if not seated.seats:
            places.setdefault(option.seat_class, []).append((option.legs, party))


def lp_guided(
    problem: Problem,
    form: Formulation,
    deadline: float,
    work_limit: float | None = None,
    seat_time_limit_s: float = 0.0,
) -> Placed | None:
    """Place the bookings as the module describes, or None when the relaxation does not
    finish before ``deadline`` (a ``time.monotonic()`` value)."""
    relaxed = relaxation(form, deadline - time.monotonic())
    if relaxed is None:
        return None
    shares = relaxed[1]
    claims = _Claims(problem.alternatives)
    placed: Placed = {}
    here: list[dict[int, float]] = [{} for _ in problem.alternatives]
    pending = [0.0] * len(problem.bookings)
    for option in problem.options:
        share = max(0.0, shares[option.index])
        planned = here[option.alternative]
        planned[option.booking] = planned.get(option.booking, 0.0) + share
        pending[option.booking] += share
    order = _latest_first(problem.alternatives)
    for step, number in enumerate(order):
        for index, share in here[number].items():
            pending[index] -= share
        left = deadline - time.monotonic()
        if left <= 0:
            break
        candidates = [
            index
            for index, share in sorted(here[number].items())
            if index not in placed and (share > EPSILON or pending[index] < 1 - EPSILON)
        ]
        if not candidates:
            continue
        packed = _pack(
            problem,
            claims,
            number,
            candidates,
            shares=shares,
            time_limits=(_share(left, len(order) - step), seat_time_limit_s),
            work_limit=work_limit,
        )
        for index, seated in packed:
            placed[index] = seated
            claims.add(number, seated, problem.bookings[index].party)
    _place_the_rest(problem, claims, placed)
    _polish(
        problem,
        placed,
        order,
        deadline=deadline,
        work_limit=work_limit,
        seat_time_limit_s=seat_time_limit_s,
    )
    return shorten_delays(problem, placed)


def _share(left: float, remaining: int) -> float:
    """The time one alternative's packing may take: twice its even share of what is left
    (most finish well within it, leaving more to the others), at most half of it, and all of
    it for the last."""
    return left if remaining <= 1 else min(left / 2, 2 * left / remaining)


def _latest_first(alternatives: Sequence[Alternative]) -> list[int]:
    """Alternatives by arrival at their last stop, latest first; ties in the order given."""
    return sorted(
        range(len(alternatives)),
        key=lambda n: (alternatives[n].calls[-1].arrival, -n),
        reverse=True,
    )


def _pack(
    problem: Problem,
    claims: _Claims,
    number: int,
    candidates: list[int],
    *,
    shares: Sequence[float],
    time_limits: tuple[float, float],
    work_limit: float | None,
) -> list[tuple[int, Seated]]:
    """The candidates CP-SAT places on alternative ``number``, with their seats (the greedy's
    when CP-SAT finds nothing better in time). ``time_limits`` are the placement's and each
    party's seat choice's."""
    sub = build_problem(
        [problem.bookings[index] for index in candidates],
        [claims.alternative(number)],
        problem.rules,
    )
    priority = []
    for option in sub.options:
        whole = problem.option(candidates[option.booking], number, option.seat_class)
        share = round(SHARES * shares[whole.index])
        priority.append(sub.bookings[option.booking].party * max(0, share))
    sub_form = formulate(sub, priority)
    hint = first_fit(sub)
    solved = solve(sub, sub_form, hint, time_limits[0], work_limit)
    chosen = hint
    worth = dict(sub_form.objective)
    if solved is not None and sum(worth[o] for o in solved.chosen.values()) >= sum(
        worth[seated.option.index] for seated in hint.values()
    ):
        chosen = seat_answer(sub, sub_form, solved.chosen, solved.values, time_limits[1])
    return [
        (
            candidates[index],
            Seated(
                problem.option(candidates[index], number, seated.option.seat_class), seated.seats
            ),
        )
        for index, seated in sorted(chosen.items())
    ]


def _polish(
    problem: Problem,
    placed: Placed,
    order: Sequence[int],
    *,
    deadline: float,
    work_limit: float | None,
    seat_time_limit_s: float,
) -> None:
    """With the time left, pack each alternative again (in the same order) for the most
    travelers alone: the bookings it holds and those still unplaced that could go there,
    the answer so far as CP-SAT's hint. A packing that places more travelers replaces it."""
    for step, number in enumerate(order):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        held = [index for index, seated in placed.items() if seated.option.alternative == number]
        waiting = [
            index
            for index in range(len(problem.bookings))
            if index not in placed
            and any(o.alternative == number for o in problem.by_booking[index])
        ]
        if not waiting:
            continue
        candidates = sorted(held + waiting)
        sub = build_problem(
            [problem.bookings[index] for index in candidates],
            [problem.alternatives[number]],
            problem.rules,
        )
        hint: Placed = {}
        for position, index in enumerate(candidates):
            seated = placed.get(index)
            if seated is not None:
                option = sub.option(position, 0, seated.option.seat_class)
                hint[position] = Seated(option, seated.seats)
        sub_form = formulate(sub)
        solved = solve(sub, sub_form, hint, _share(left, len(order) - step), work_limit)
        if solved is None:
            continue
        travelers = sum(sub.bookings[b].party for b in solved.chosen)
        if travelers <= sum(problem.bookings[index].party for index in held):
            continue
        seated_now = seat_answer(sub, sub_form, solved.chosen, solved.values, seat_time_limit_s)
        for index in held:
            del placed[index]
        for position, seated in seated_now.items():
            index = candidates[position]
            whole = problem.option(index, number, seated.option.seat_class)
            placed[index] = Seated(whole, seated.seats)


def _place_the_rest(problem: Problem, claims: _Claims, placed: Placed) -> None:
    """The greedy first fit for the bookings still unplaced, on the places left."""
    rest = [index for index in range(len(problem.bookings)) if index not in placed]
    if not rest:
        return
    alternatives = [claims.alternative(n) for n in range(len(problem.alternatives))]
    sub = build_problem([problem.bookings[i] for i in rest], alternatives, problem.rules)
    for index, seated in first_fit(sub).items():
        option = seated.option
        whole = problem.option(rest[index], option.alternative, option.seat_class)
        placed[rest[index]] = Seated(whole, seated.seats)
