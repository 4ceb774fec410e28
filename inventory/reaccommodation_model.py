"""The placement model of re-accommodation, as plain data both solvers read.

CP-SAT solves it in integers (``inventory.reaccommodation_cp_sat``) and GLOP solves its linear
relaxation for the upper bound, so the bound is the relaxation of exactly the model solved.
``inventory.reaccommodation`` states the model and why it is exact; here it is written down:

* ``y[o]`` (0/1), one per option: the booking is placed whole by option ``o``;
* ``w[g, r]`` (integer), per gap group ``g`` and range ``r`` it holds: places in the group's
  gaps for travelers without needs travelling ``r``. Together they must cover the travelers
  of the options chosen for ``r`` (``>=``, not ``=``: a place left over is simply not used,
  and the inequality lets the solver fix options and places in either order);
* ``z[o, g]`` (integer), per option of a party with needs and group holding its range: the
  party's travelers seated in the group's gaps (exactly the party, so that the needs count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inventory.legs import LegRange
from inventory.reaccommodation_problem import Option, Problem

Terms = list[tuple[int, int]]


@dataclass(frozen=True)
class Row:
    """``lower <= sum(coefficient * variable) <= upper`` (None: unbounded on that side)."""

    terms: Terms
    lower: int | None
    upper: int | None


@dataclass
class Formulation:
    """Variables 0..n-1 with bounds ``[0, upper[i]]``; the first ``len(options)`` are ``y``."""

    upper: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    slot_var: dict[tuple[int, LegRange], int] = field(default_factory=dict)
    need_var: dict[tuple[int, int], int] = field(default_factory=dict)
    objective: Terms = field(default_factory=list)
    placed: Terms = field(default_factory=list)

    def new_var(self, upper: int) -> int:
        """A new variable in ``[0, upper]``."""
        self.upper.append(upper)
        return len(self.upper) - 1


def tier_weights(spreads: list[int]) -> list[int]:
    """Weights making a sum of tiers lexicographic, lowest tier first: each outweighs all lower
    tiers together, ``spreads`` bounding how far each tier can differ between two answers."""
    weights: list[int] = []
    below = 0
    for spread in spreads:
        weight = below + 1
        weights.append(weight)
        below += weight * spread
    return weights


def formulate(problem: Problem, priority: Sequence[int] | None = None) -> Formulation:
    """The model of ``problem``: constraints and the lexicographic objective (maximised).

    ``priority``, one whole number 0 or more per option, adds a tier above all others: the
    sum of the chosen options' priorities (``inventory.reaccommodation_decomposition``).
    """
    form = Formulation()
    for _ in problem.options:
        form.new_var(1)
    for options in problem.by_booking:
        if len(options) > 1:
            form.rows.append(Row([(o.index, 1) for o in options], None, 1))
    _seat_rows(problem, form)
    _place_rows(problem, form)
    _objective(problem, form, priority)
    return form


Load = dict[int, list[tuple[LegRange, int]]]
"""Per group, the (range, variable) pairs of the travelers it seats."""


def _seat_rows(problem: Problem, form: Formulation) -> None:
    """Link the options to the groups' travelers and bound each group's load per leg."""
    groups_of: dict[tuple[int, str], list[int]] = {}
    for group in problem.groups:
        groups_of.setdefault((group.alternative, group.seat_class), []).append(group.index)
    load: Load = {g.index: [] for g in problem.groups}
    by_range: dict[tuple[int, str, LegRange], list[Option]] = {}
    for option in problem.options:
        booking = problem.bookings[option.booking]
        key = (option.alternative, option.seat_class)
        if booking.unassigned:
            continue
        if booking.has_needs:
            _need_rows(problem, form, option, groups_of[key], load)
        else:
            by_range.setdefault((*key, option.legs), []).append(option)
    for (alternative, seat_class, legs), options in sorted(by_range.items()):
        travelers = sum(problem.bookings[o.booking].party for o in options)
        link = [(o.index, -problem.bookings[o.booking].party) for o in options]
        for g in groups_of[(alternative, seat_class)]:
            group = problem.groups[g]
            if legs in group.ranges:
                var = form.new_var(min(travelers, group.capacity))
                form.slot_var[(g, legs)] = var
                load[g].append((legs, var))
                link.append((var, 1))
        form.rows.append(Row(link, 0, None))
    for g, carried in load.items():
        _group_rows(form, problem.groups[g].capacity, carried)


def _need_rows(
    problem: Problem, form: Formulation, option: Option, groups: list[int], load: Load
) -> None:
    """A party with needs: its own travelers per group, enough of them in special groups."""
    booking = problem.bookings[option.booking]
    link: Terms = [(option.index, -booking.party)]
    accessible: Terms = [(option.index, -booking.accessible)]
    bikes: Terms = [(option.index, -booking.bikes)]
    for g in groups:
        group = problem.groups[g]
        if option.legs not in group.ranges:
            continue
        var = form.new_var(min(booking.party, group.capacity))
        form.need_var[(option.index, g)] = var
        load[g].append((option.legs, var))
        link.append((var, 1))
        if group.accessible:
            accessible.append((var, 1))
        if group.bike:
            bikes.append((var, 1))
    form.rows.append(Row(link, 0, 0))
    for terms, needed in ((accessible, booking.accessible), (bikes, booking.bikes)):
        if needed:
            form.rows.append(Row(terms, 0, None))


def _group_rows(form: Formulation, capacity: int, carried: list[tuple[LegRange, int]]) -> None:
    """At most ``capacity`` travelers on each leg. Ranges sharing a leg all cover the latest
    boarding among them, so checking the legs where some range boards is enough."""
    for leg in sorted({legs.board for legs, _ in carried}):
        terms = [(var, 1) for legs, var in carried if leg in legs.legs]
        if sum(form.upper[var] for var, _ in terms) > capacity:
            form.rows.append(Row(terms, None, capacity))


def _place_rows(problem: Problem, form: Formulation) -> None:
    """Unassigned places: at most the free places of the class on each leg."""
    by_class: dict[tuple[int, str], list[Option]] = {}
    for option in problem.options:
        if problem.bookings[option.booking].unassigned:
            by_class.setdefault((option.alternative, option.seat_class), []).append(option)
    for key, options in sorted(by_class.items()):
        free = problem.place_free[key]
        for leg, places in enumerate(free):
            terms = [
                (o.index, problem.bookings[o.booking].party) for o in options if leg in o.legs.legs
            ]
            if sum(party for _, party in terms) > places:
                form.rows.append(Row(terms, None, places))


def _objective(problem: Problem, form: Formulation, priority: Sequence[int] | None) -> None:
    """Most travelers placed; then fewest upgraded; then fewest traveler-minutes of delay."""
    delay_spread = upgrade_spread = placed_spread = priority_spread = 0
    for booking, options in zip(problem.bookings, problem.by_booking, strict=True):
        if options:
            delay_spread += booking.party * max(abs(o.delay_min) for o in options)
            upgrade_spread += booking.party * any(o.upgraded for o in options)
            placed_spread += booking.party
            if priority is not None:
                priority_spread += max(priority[o.index] for o in options)
    per_minute, per_upgrade, per_traveler, per_priority = tier_weights(
        [delay_spread, upgrade_spread, placed_spread, priority_spread]
    )
    for option in problem.options:
        party = problem.bookings[option.booking].party
        value = per_traveler - per_upgrade * option.upgraded - per_minute * abs(option.delay_min)
        first = 0 if priority is None else per_priority * priority[option.index]
        form.objective.append((option.index, first + party * value))
        form.placed.append((option.index, party))
