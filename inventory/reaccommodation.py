"""Re-accommodation: move the bookings of a cancelled trip instance to other trip instances.

Given the displaced bookings and the alternatives (``inventory.reaccommodation_input``), each
booking is either placed whole on one alternative, with seats (or unassigned places) free on
every leg it travels there, or left unplaced, to be refunded. The answer is best in this order:

1. most travelers placed;
2. fewest travelers upgraded (only when ``Rules.upgrades`` allows moving a class's bookings to
   a higher class; by default a booking keeps its class, because who pays for an upgrade is a
   commercial decision: the caller can run a second pass for the unplaced bookings with
   upgrades allowed);
3. fewest traveler-minutes away from the original arrival (an earlier arrival counts as much
   as a later one: the traveler has to set out earlier).

One weighted sum makes this strictly lexicographic: a tier's weight exceeds the most all
lower tiers together can differ between two answers.

**The model** (``inventory.reaccommodation_model``). A booking's *options* are the
(alternative, class) pairs inside the time window where it could fit; a 0/1 variable per
option chooses at most one per booking. Seats are the hard part: counting free seats per leg
and class is not exact, since a journey needs one seat free on *all* its legs, and seats free
on different stretches (one taken before a stop, another after it) add up per leg without
holding anyone. So the model works on *gaps*: a gap is a maximal run of legs on which a seat
is free of the claims already made, and a newcomer sits within one gap (a claim cuts a seat's
gaps apart). Gaps are grouped by the set of option ranges they can hold
(``inventory.reaccommodation_problem``). Two gaps of a group are free over every range that
could reach them, so for those journeys they are identical machines, and journeys (intervals
of legs) fit on ``k`` identical machines exactly when no leg carries more than ``k`` of them:
taken in order of boarding, each journey finds a machine free, because those still busy all
carry a journey on its boarding leg (interval graphs are perfect). The model therefore has,
per gap group and journey range, an integer count of places for travelers without needs (the
counts over the groups must cover the travelers of the options chosen for that journey), per
option of a party with needs its own counts per group (exactly the party, at least as many in
accessible and in bike groups as it needs; a group's gaps all have the same special
attributes when some party there has needs), and per group and leg a limit of its number of
gaps. Unassigned places are interchangeable, so for them a limit per class and leg of the
free places is exact. The model is exact both ways: any seating gives counts meeting the
limits (each traveler in the group of their gap), and any counts meeting them give a seating
(``inventory.reaccommodation_seating`` builds it: parties sharing a journey are
interchangeable for the counts, and each group is filled in order of boarding). The load
limits are written only at the legs where some range boards, since intervals that share a
leg all share the latest of their boarding legs.

**Solving.** Every run first makes the greedy first fit (``inventory.greedy_reaccommodation``):
the baseline, the fallback and the solver's hint. A model of up to
:data:`WHOLE_MODEL_OPTIONS` options is solved whole by CP-SAT: one worker, a fixed seed, the
greedy answer as a complete hint, the full linear relaxation in its search (which is what
lets it prove a few hundred bookings on a few alternatives optimal in under a second). When
not proven optimal, ``shorten_delays`` then lowers the delay where it can. A bigger model is
beyond CP-SAT in seconds on one worker and is solved by
``inventory.reaccommodation_decomposition``: the linear relaxation of the whole model guides
CP-SAT solves of one alternative at a time. Either way ``time_limit_s`` bounds the whole
call, near enough: the work after the solver (seating, placing the rest, shortening delays) is
linear in the input, and the solver stops early enough to leave it the time the greedy took,
one and a half times over. ``work_limit``, when given, bounds each CP-SAT solve in OR-Tools'
deterministic time as well, so that an answer cut short by it is the same on every machine.
When the limit is 0 or less, the solver finds no answer, or its answer ranks below the greedy
one, the greedy answer stands: the result never places fewer travelers than the greedy.
``upper_bound`` solves the linear relaxation of the same model: no answer places more
travelers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from inventory.greedy_reaccommodation import Placed, first_fit, shorten_delays
from inventory.reaccommodation_input import (
    FEASIBLE,
    GREEDY,
    OPTIMAL,
    Alternative,
    DisplacedBooking,
    Journey,
    Placement,
    Reaccommodation,
    Rules,
    StopCall,
)
from inventory.reaccommodation_model import formulate
from inventory.reaccommodation_problem import Problem, build_problem
from inventory.reaccommodation_seating import seat_answer

WHOLE_MODEL_OPTIONS = 3000
"""Above this many options the whole model is too big for CP-SAT in seconds on one worker,
and ``inventory.reaccommodation_decomposition`` solves it an alternative at a time. Measured
on parts of the benchmark with a 5 s limit: at 2,400 and 3,200 options the whole model placed
as many travelers or more (758 against 744, 930 against 919); at 4,700 it stayed at the
greedy answer while the decomposition placed 5 % more."""

TAIL_PER_GREEDY = 1.5
"""Time kept back for the work after the solver, per second the greedy first fit took: the
seating, placing the rest and shortening delays cost about what the greedy did."""

__all__ = [
    "FEASIBLE",
    "GREEDY",
    "OPTIMAL",
    "Alternative",
    "DisplacedBooking",
    "Journey",
    "Placement",
    "Reaccommodation",
    "Rules",
    "StopCall",
    "greedy_first_fit",
    "reaccommodate",
    "upper_bound",
]


def reaccommodate(
    bookings: Sequence[DisplacedBooking],
    alternatives: Sequence[Alternative],
    rules: Rules | None = None,
    *,
    time_limit_s: float = 5.0,
    work_limit: float | None = None,
    seat_time_limit_s: float = 0.0,
) -> Reaccommodation:
    """Place the displaced bookings on the alternatives (CP-SAT, else the greedy first fit).

    Among equally good answers the solver picks one, the same one every time for the same
    input; the greedy answer (the fallback) serves the bookings in the order given, so give
    them in the order they were made. ``seat_time_limit_s`` above 0 lets CP-SAT choose
    each party's seats among those the model leaves it, as ``inventory.assignment`` does;
    at 0 its greedy chooses them, which keeps the seating pass fast on big vehicles.
    """
    started = time.monotonic()
    problem = build_problem(bookings, alternatives, rules or Rules())
    greedy_started = time.monotonic()
    greedy = first_fit(problem)
    fallback = _result(problem, greedy, GREEDY)
    # What follows the solver (placing the rest, shortening delays, the answer) costs about
    # what the greedy took: that much is kept back, so that the whole call ends in time.
    finish_s = TAIL_PER_GREEDY * (time.monotonic() - greedy_started)
    if time_limit_s <= 0:
        return fallback
    if not problem.options:
        return _result(problem, greedy, OPTIMAL)
    # OR-Tools is loaded when the solver first runs, not with this module.
    from inventory.reaccommodation_cp_sat import solve  # noqa: PLC0415
    from inventory.reaccommodation_decomposition import lp_guided  # noqa: PLC0415

    form = formulate(problem)
    deadline = started + time_limit_s - finish_s
    if len(problem.options) > WHOLE_MODEL_OPTIONS:
        placed = lp_guided(problem, form, deadline, work_limit, seat_time_limit_s)
        result = None if placed is None else _result(problem, placed, FEASIBLE)
    else:
        left = max(deadline - time.monotonic(), 0.01)
        solved = solve(problem, form, greedy, left, work_limit)
        result = None
        if solved is not None:
            placed = seat_answer(problem, form, solved.chosen, solved.values, seat_time_limit_s)
            if solved.status != OPTIMAL:
                placed = shorten_delays(problem, placed)
            result = _result(problem, placed, solved.status)
    if result is None or result.objective() < fallback.objective():
        return fallback
    return result


def greedy_first_fit(
    bookings: Sequence[DisplacedBooking],
    alternatives: Sequence[Alternative],
    rules: Rules | None = None,
) -> Reaccommodation:
    """Each booking in turn to the earliest-arriving alternative with room (the baseline)."""
    problem = build_problem(bookings, alternatives, rules or Rules())
    return _result(problem, first_fit(problem), GREEDY)


def upper_bound(
    bookings: Sequence[DisplacedBooking],
    alternatives: Sequence[Alternative],
    rules: Rules | None = None,
) -> int:
    """At least as many travelers as any answer places: the model's linear relaxation."""
    from inventory.reaccommodation_cp_sat import relaxation_bound  # noqa: PLC0415

    return relaxation_bound(formulate(build_problem(bookings, alternatives, rules or Rules())))


def _result(problem: Problem, placed: Placed, status: str) -> Reaccommodation:
    placements: list[Placement] = []
    for index, booking in enumerate(problem.bookings):
        seated = placed.get(index)
        if seated is None:
            placements.append(Placement(booking.booking_id, booking.party))
            continue
        option = seated.option
        placements.append(
            Placement(
                booking.booking_id,
                booking.party,
                problem.alternatives[option.alternative].trip_instance,
                option.seat_class,
                option.legs,
                seated.seats,
                option.delay_min,
                option.upgraded,
            )
        )
    return Reaccommodation(tuple(placements), status)
