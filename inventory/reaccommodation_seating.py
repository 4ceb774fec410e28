"""The second stage of re-accommodation: concrete seats for the travelers the model placed.

The model says how many travelers of each journey sit in each gap group of an alternative.
First the travelers without needs are shared out to the bookings of each journey: largest
party first, each whole in the group with the fewest spare places that holds it, else split
over the groups with the most. Then each group is filled like identical machines: its parts of
bookings are taken in order of boarding, and each gets seats among the group's gaps that are
free from its boarding stop. Every gap of a group is free over all the group's ranges, so a
gap whose last traveler has alighted is as good as any other for what comes after; and the
model's load limit on each leg guarantees that enough gaps are free (the travelers already
seated in the group and still aboard, plus this part, are all on the boarding leg). Which free
gaps a part gets is chosen as ``inventory.assignment`` would choose among them (its greedy,
or CP-SAT when ``seat_time_limit_s`` is above 0): the party together, then fewest spare
special seats, then least slack, then seat order. So this stage decides the seats' quality,
never whether the travelers fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inventory.assignment_problem import Candidate, SeatRequest, without_far_repeats
from inventory.assignment_problem import Problem as SeatProblem
from inventory.availability import slack
from inventory.greedy_assignment import greedy
from inventory.greedy_reaccommodation import Placed, Seated
from inventory.legs import LegRange
from inventory.reaccommodation_input import Alternative
from inventory.reaccommodation_model import Formulation
from inventory.reaccommodation_problem import GapGroup, Option, Problem

Part = tuple[LegRange, int, int]
"""(legs, booking index, travelers) of a booking seated in one group."""

Labels = tuple[str, ...]


def seat_answer(
    problem: Problem,
    form: Formulation,
    chosen: Mapping[int, int],
    values: Sequence[int],
    seat_time_limit_s: float,
) -> Placed:
    """Seats for every booking placed by ``chosen`` (booking -> option), the model's group
    variables having ``values``."""
    parts: dict[int, list[Part]] = {group.index: [] for group in problem.groups}
    for (option_index, group_index), var in form.need_var.items():
        option = problem.options[option_index]
        if chosen.get(option.booking) == option_index and values[var]:
            parts[group_index].append((option.legs, option.booking, values[var]))
    _share_out(problem, form, chosen, values, parts)
    orders = [
        {seat.label: i for i, seat in enumerate(alternative.seat_map.seats)}
        for alternative in problem.alternatives
    ]
    seats: dict[int, list[str]] = {}
    vehicles: dict[int, _Vehicle] = {}
    for group in problem.groups:
        if not parts[group.index]:
            continue
        vehicle = vehicles.get(group.alternative)
        if vehicle is None:
            alternative = problem.alternatives[group.alternative]
            claims = {label: list(ranges) for label, ranges in alternative.taken.items()}
            vehicle = vehicles[group.alternative] = _Vehicle(
                alternative, orders[group.alternative], claims, seat_time_limit_s
            )
        for booking, labels in _fill(vehicle, group, parts[group.index]):
            seats.setdefault(booking, []).extend(labels)
    placed: Placed = {}
    for booking, option_index in sorted(chosen.items()):
        option = problem.options[option_index]
        ordered = sorted(seats.get(booking, ()), key=orders[option.alternative].__getitem__)
        placed[booking] = Seated(option, tuple(ordered))
    return placed


def _share_out(
    problem: Problem,
    form: Formulation,
    chosen: Mapping[int, int],
    values: Sequence[int],
    parts: dict[int, list[Part]],
) -> None:
    """Give the travelers without needs of each journey's groups to its bookings."""
    journeys: dict[tuple[int, str, LegRange], list[Option]] = {}
    for option_index in chosen.values():
        option = problem.options[option_index]
        booking = problem.bookings[option.booking]
        if not booking.unassigned and not booking.has_needs:
            key = (option.alternative, option.seat_class, option.legs)
            journeys.setdefault(key, []).append(option)
    spare_of: dict[tuple[int, str, LegRange], dict[int, int]] = {}
    for (group, legs), var in form.slot_var.items():
        if values[var]:
            holder = problem.groups[group]
            key = (holder.alternative, holder.seat_class, legs)
            spare_of.setdefault(key, {})[group] = values[var]
    for key, options in sorted(journeys.items()):
        spare = spare_of.get(key, {})
        ordered = sorted(options, key=lambda o: (-problem.bookings[o.booking].party, o.booking))
        for option in ordered:
            party = problem.bookings[option.booking].party
            whole = [g for g, left in spare.items() if left >= party]
            if whole:
                picks = [min(whole, key=lambda g: (spare[g], g))]
            else:
                picks = sorted(spare, key=lambda g: (-spare[g], g))
            for group in picks:
                count = min(party, spare[group])
                if count:
                    parts[group].append((option.legs, option.booking, count))
                    spare[group] -= count
                    party -= count
            if party:  # pragma: no cover - the model links travelers and groups exactly
                raise RuntimeError(f"the model seated too few travelers of {key}")


@dataclass
class _Vehicle:
    """One alternative as the seating stage fills it: its seat order and claims so far."""

    alternative: Alternative
    order: Mapping[str, int]
    claims: dict[str, list[LegRange]]
    time_limit_s: float


def _fill(vehicle: _Vehicle, group: GapGroup, parts: list[Part]) -> list[tuple[int, Labels]]:
    """Seat the parts of one group, in order of boarding, on its gaps (see the module)."""
    free_from = {gap.label: gap.window.board for gap in group.gaps}
    seated: list[tuple[int, Labels]] = []
    for legs, booking, count in sorted(parts, key=lambda part: (part[0], part[1])):
        allowed = [label for label, start in free_from.items() if start <= legs.board]
        if len(allowed) < count:  # pragma: no cover - the model bounds every leg's load
            raise RuntimeError(f"the model overfilled a group on {legs}")
        chosen = _pick_seats(vehicle, allowed, SeatRequest(count, legs, group.seat_class))
        for label in chosen:
            free_from[label] = legs.alight
            vehicle.claims.setdefault(label, []).append(legs)
        seated.append((booking, chosen))
    return seated


def _pick_seats(vehicle: _Vehicle, allowed: Sequence[str], request: SeatRequest) -> Labels:
    """Seats for ``request`` among ``allowed`` (free for it), as ``inventory.assignment``
    ranks them: together, then fewest spare special seats, least slack, earliest in the map.
    Only the allowed seats are looked at, so a big vehicle costs no more than a small one."""
    seat_map = vehicle.alternative.seat_map
    last_leg_end = vehicle.alternative.stop_count - 1
    candidates = []
    for label in sorted(allowed, key=vehicle.order.__getitem__):
        seat = seat_map.seat(label)
        special = int(seat.has("accessible")) + int(seat.has("bike"))
        room = slack(vehicle.claims.get(label, ()), request.legs, last_leg_end)
        candidates.append(Candidate(seat, vehicle.order[label], room, 0, special))
    if request.party == 1:
        chosen = [min(candidates, key=lambda c: c.rank)]
    else:
        chosen = greedy(SeatProblem(seat_map, request, tuple(candidates), 0))
        if vehicle.time_limit_s > 0:
            kept = without_far_repeats(seat_map, candidates, request.party)
            # OR-Tools is already loaded: re-accommodation runs after the placement model.
            from inventory.cp_sat import solve  # noqa: PLC0415

            problem = SeatProblem(seat_map, request, kept, 0)
            chosen = solve(problem, chosen, vehicle.time_limit_s) or chosen
    return tuple(c.seat.label for c in sorted(chosen, key=lambda c: c.index))
