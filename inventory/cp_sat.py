"""The CP-SAT model behind ``inventory.assignment`` for parties of two or more.

Kept apart so that OR-Tools is imported only when a party needs the solver: a process that
only reads availability, or seats single travelers, never loads it. The objective and its
tiers are described in ``inventory.assignment``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ortools.sat.python import cp_model

from inventory.assignment_problem import Candidate, Problem
from inventory.seatmaps import Seat


def _tier_weights(ranges: Sequence[int]) -> list[int]:
    """Weights making a sum of tiers lexicographic: each outweighs all lower tiers together.

    ``ranges`` bounds, lowest tier first, how far each tier's value can differ between two
    solutions.
    """
    weights: list[int] = []
    below = 0
    for spread in ranges:
        weight = below + 1
        weights.append(weight)
        below += weight * spread
    return weights


Terms = list[tuple[cp_model.IntVar, int]]


class _Model:
    """The CP-SAT model of a problem, remembering how each helper variable is defined."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.chosen = [self.model.new_bool_var(f"seat_{c.index}") for c in problem.candidates]
        self._derived: list[tuple[cp_model.IntVar, bool, tuple[cp_model.IntVar, ...]]] = []

    def all_of(self, parts: Sequence[cp_model.IntVar], name: str) -> cp_model.IntVar:
        """A variable true exactly when every part is, as linear constraints."""
        var = self.model.new_bool_var(name)
        for part in parts:
            self.model.add(var <= part)
        self.model.add(var >= sum(parts) - (len(parts) - 1))
        self._derived.append((var, True, tuple(parts)))
        return var

    def any_of(self, parts: Sequence[cp_model.IntVar], name: str) -> cp_model.IntVar:
        """A variable true exactly when any part is, as linear constraints."""
        var = self.model.new_bool_var(name)
        for part in parts:
            self.model.add(part <= var)
        self.model.add(var <= sum(parts))
        self._derived.append((var, False, tuple(parts)))
        return var

    def hint(self, seats: Sequence[Candidate]) -> None:
        """Hint every variable with its value when exactly ``seats`` are chosen."""
        indexes = {c.index for c in seats}
        values: dict[int, bool] = {}
        for var, candidate in zip(self.chosen, self.problem.candidates, strict=True):
            values[var.index] = candidate.index in indexes
            self.model.add_hint(var, values[var.index])
        for var, every, parts in self._derived:
            found = [values[part.index] for part in parts]
            values[var.index] = all(found) if every else any(found)
            self.model.add_hint(var, values[var.index])


def solve(
    problem: Problem, hint: Sequence[Candidate], time_limit_s: float
) -> list[Candidate] | None:
    """The best choice CP-SAT finds within the time limit, or None when it finds none."""
    request = problem.request
    candidates = problem.candidates
    party = request.party
    built = _Model(problem)
    model, chosen = built.model, built.chosen
    model.add(sum(chosen) == party)
    for attribute, needed in (("accessible", request.accessible), ("bike", request.bikes)):
        if needed:
            model.add(
                sum(x for x, c in zip(chosen, candidates, strict=True) if c.seat.has(attribute))
                >= needed
            )

    def tier(values: Sequence[int]) -> tuple[Terms, int]:
        return list(zip(chosen, values, strict=True)), sum(sorted(values, reverse=True)[:party])

    # Lowest tier first: (terms to minimise, how far their sum can differ between choices).
    tiers = [
        tier([c.index for c in candidates]),
        tier([c.slack for c in candidates]),
        tier([c.special for c in candidates]),
        tier([c.mismatch for c in candidates]),
    ]
    if request.together and party > 1:
        tiers.extend(_together_tiers(built))
    variables: list[cp_model.IntVar] = []
    coefficients: list[int] = []
    for (terms, _), weight in zip(tiers, _tier_weights([s for _, s in tiers]), strict=True):
        for var, coefficient in terms:
            variables.append(var)
            coefficients.append(weight * coefficient)
    model.minimize(cp_model.LinearExpr.weighted_sum(variables, coefficients))
    built.hint(hint)
    solver = deterministic_solver(time_limit_s)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [c for x, c in zip(chosen, candidates, strict=True) if solver.boolean_value(x)]


def _together_tiers(built: _Model) -> list[tuple[Terms, int]]:
    """Vertical, across, consecutive rows, rows, breaks and adjacency tiers, lowest first."""
    model = built.model
    problem = built.problem
    seat_map = problem.seat_map
    party = problem.request.party
    var_of = {c.seat.label: x for x, c in zip(built.chosen, problem.candidates, strict=True)}
    adjacent: Terms = []
    across: Terms = []
    vertical: Terms = []
    rows: Terms = []
    consecutive: Terms = []
    row_used: dict[int, cp_model.IntVar] = {}
    below: dict[tuple[int, int], tuple[int, Seat]] = {}
    for number, row in enumerate(seat_map.rows):
        free = [var_of[seat.label] for seat in row if seat.label in var_of]
        if not free:
            below.update({(seat.deck, seat.column): (number, seat) for seat in row})
            continue
        used = built.any_of(free, f"row_{number}")
        rows.append((used, 1))
        row_used[number] = used
        previous = row_used.get(number - 1)
        both_rows = None
        if previous is not None and seat_map.consecutive_rows(seat_map.rows[number - 1][0], row[0]):
            both_rows = built.all_of([previous, used], f"rows_{number}")
            consecutive.append((both_rows, -1))
        for seat in row:
            above_number, above = below.get((seat.deck, seat.column), (-1, seat))
            if (
                both_rows is not None
                and above_number == number - 1
                and seat.label in var_of
                and above.label in var_of
                and seat_map.column_neighbours(above, seat)
            ):
                pair = built.all_of(
                    [var_of[above.label], var_of[seat.label], both_rows], f"behind_{seat.label}"
                )
                vertical.append((pair, -1))
        below.update({(seat.deck, seat.column): (number, seat) for seat in row})
        links: list[cp_model.IntVar] = []
        for left, right in itertools.pairwise(row):
            if left.label in var_of and right.label in var_of:
                pair = built.all_of(
                    [var_of[left.label], var_of[right.label]], f"pair_{right.label}"
                )
                (adjacent if seat_map.adjacent(left, right) else across).append((pair, -1))
                links.append(pair)
        if links:
            # k seats of one row have at most k - 1 links, so a row's runs are never negative.
            model.add(sum(links) <= sum(free) - used)
    if consecutive:
        model.add(sum(var for var, _ in consecutive) <= sum(var for var, _ in rows) - 1)
    # A row's breaks are its runs of party seats beyond the first; every chosen seat either
    # links to the seat before it in the row or starts a run, so over the whole party the
    # breaks are party - links - rows used, minimised by maximising links + rows.
    breaks = [(var, -1) for var, _ in adjacent + across] + [(var, -1) for var, _ in rows]
    return [
        (vertical, party),
        (across, party),
        (consecutive, party),
        (rows, party),
        (breaks, party),
        (adjacent, party),
    ]


def deterministic_solver(time_limit_s: float, *, work_limit: float | None = None) -> Any:
    """A CP-SAT solver that gives the same answer to the same model: one worker, a fixed seed,
    at most ``time_limit_s`` seconds (and ``work_limit`` deterministic seconds when given).

    It uses the fullest linear relaxation: the seat models define pair and row variables by
    implications, which only this level relaxes, and the re-accommodation model's bound stayed
    6 % above its best answer for ten seconds without it (half a second with it).
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    if work_limit is not None:
        solver.parameters.max_deterministic_time = work_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.linearization_level = 2
    return solver
