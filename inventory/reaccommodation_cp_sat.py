"""Solve the placement model with CP-SAT, and its linear relaxation with GLOP for the bound.

Kept apart so that OR-Tools is imported only when re-accommodation runs the solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from inventory.cp_sat import deterministic_solver
from inventory.greedy_reaccommodation import Placed
from inventory.reaccommodation_input import FEASIBLE, OPTIMAL
from inventory.reaccommodation_model import Formulation
from inventory.reaccommodation_problem import Problem


@dataclass(frozen=True)
class Solved:
    """The options chosen (by booking index) and the travelers per group variable."""

    chosen: dict[int, int]
    values: list[int]
    status: str


def solve(
    problem: Problem,
    form: Formulation,
    hint: Placed,
    time_limit_s: float,
    work_limit: float | None = None,
) -> Solved | None:
    """CP-SAT's best answer within the limits, or None when it finds none."""
    model, variables = _cp_model(len(problem.options), form)
    for var, value in enumerate(hint_values(problem, form, hint)):
        model.add_hint(variables[var], value)
    solver = deterministic_solver(time_limit_s, work_limit=work_limit)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = [solver.value(var) for var in variables]
    chosen = {o.booking: o.index for o in problem.options if values[o.index]}
    return Solved(chosen, values, OPTIMAL if status == cp_model.OPTIMAL else FEASIBLE)


def _cp_model(options: int, form: Formulation) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """The formulation as a CP-SAT model: the first ``options`` variables are 0/1."""
    model = cp_model.CpModel()
    variables = [
        model.new_bool_var(f"y{i}") if i < options else model.new_int_var(0, u, f"v{i}")
        for i, u in enumerate(form.upper)
    ]
    for row in form.rows:
        expression = cp_model.LinearExpr.weighted_sum(
            [variables[var] for var, _ in row.terms], [c for _, c in row.terms]
        )
        if row.lower is not None:
            model.add(expression >= row.lower)
        if row.upper is not None:
            model.add(expression <= row.upper)
    model.maximize(
        cp_model.LinearExpr.weighted_sum(
            [variables[var] for var, _ in form.objective], [c for _, c in form.objective]
        )
    )
    return model, variables


def hint_values(problem: Problem, form: Formulation, placed: Placed) -> list[int]:
    """Every variable's value in the answer ``placed`` (a feasible one: the greedy's)."""
    values = [0] * len(form.upper)
    for seated in placed.values():
        option = seated.option
        values[option.index] = 1
        booking = problem.bookings[option.booking]
        for label in seated.seats:
            group = problem.group_of(option.alternative, label, option.legs)
            if booking.has_needs:
                values[form.need_var[(option.index, group)]] += 1
            else:
                values[form.slot_var[(group, option.legs)]] += 1
    return values


def relaxation(
    form: Formulation, time_limit_s: float | None = None
) -> tuple[float, list[float]] | None:
    """The linear relaxation's most travelers placed and every variable's value there, or None
    when GLOP (which is deterministic) does not finish within ``time_limit_s``.

    The model goes to GLOP as one request message, built with a call per variable and row
    rather than one per coefficient: on the re-accommodation benchmark that takes 0.06 s
    where the solver's own interface took about 0.3 s.
    """
    if not form.placed:
        return 0.0, [0.0] * len(form.upper)
    request = linear_solver_pb2.MPModelRequest(
        solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING,
        # A triangular crash basis: on the re-accommodation benchmark's relaxation it solves
        # in four fifths of the time the default basis takes, to the same optimum.
        solver_specific_parameters="initial_basis: TRIANGULAR",
    )
    if time_limit_s is not None:
        request.solver_time_limit_seconds = max(0.001, time_limit_s)
    model = request.model
    model.maximize = True
    objective = [0.0] * len(form.upper)
    for var, coefficient in form.placed:
        objective[var] += coefficient
    add_variable = model.variable.add
    for upper, weight in zip(form.upper, objective, strict=True):
        add_variable(lower_bound=0.0, upper_bound=float(upper), objective_coefficient=weight)
    add_row = model.constraint.add
    for row in form.rows:
        add_row(
            var_index=[var for var, _ in row.terms],
            coefficient=[float(coefficient) for _, coefficient in row.terms],
            lower_bound=-math.inf if row.lower is None else float(row.lower),
            upper_bound=math.inf if row.upper is None else float(row.upper),
        )
    response = linear_solver_pb2.MPSolutionResponse()
    pywraplp.Solver.SolveWithProto(request, response)
    if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
        return None
    return response.objective_value, list(response.variable_value)


def relaxation_bound(form: Formulation) -> int:
    """The most travelers the linear relaxation places, rounded down: no answer places more."""
    solved = relaxation(form)
    if solved is None:  # pragma: no cover - bounded, feasible (all zero) and not time-limited
        raise RuntimeError("the linear relaxation was not solved to optimality")
    return math.floor(solved[0] + 1e-6)
