"""Checks over one trip's stop times or one shape's points, taken in sequence order.

Each check gets the group's rows in file order and, for each row, whether it is *fixed*:
already handed to the sink by an earlier pass. A finding never lands on a fixed row: a pair
problem between a fixed row and a new one is reported on the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import compress, count, islice
from operator import ge, gt, le, lt, ne

from gtfs.layout import Row
from gtfs.values import format_time

# (position in the group, notice code, field, value, detail)
Finding = tuple[int, str, str, str, str]
GroupCheck = Callable[[Sequence[Row], Sequence[bool]], list[Finding]]
# Whether a whole batch (given as parsed columns, no bad row, and the index where each run of
# its groups begins) certainly has no finding.
QuickCheck = Callable[[list[Sequence[object] | None], list[int]], bool]

_TRIP, _ARRIVAL, _DEPARTURE, _STOP_SEQUENCE = 0, 1, 2, 4
_SHAPE, _POINT_SEQUENCE = 0, 3


def _increasing(numbers: list[int]) -> bool:
    return all(map(lt, numbers, numbers[1:]))


def _without_duplicates(
    rows: Sequence[Row], fixed: Sequence[bool], sequence: int, key_name: str
) -> tuple[list[int], list[Finding]]:
    """Positions in sequence order with repeated sequence numbers left out, and findings."""
    numbers = [row[sequence] for row in rows]
    order = sorted(range(len(rows)), key=lambda i: (numbers[i], i))
    kept: list[int] = []
    findings: list[Finding] = []
    for position in order:
        if kept and numbers[kept[-1]] == numbers[position]:
            earlier = kept[-1]
            later = earlier if fixed[position] else position
            if later == earlier:
                kept[-1] = position
            key = f"{rows[position][0]},{numbers[position]}"
            detail = f"Another row has the same {key_name}."
            findings.append((later, "duplicate_key", key_name, key, detail))
            continue
        kept.append(position)
    return kept, findings


def check_shape_points(rows: Sequence[Row], fixed: Sequence[bool]) -> list[Finding]:
    """Duplicate (shape_id, shape_pt_sequence) pairs."""
    if _increasing([row[_POINT_SEQUENCE] for row in rows]):  # type: ignore[misc]
        return []
    findings = _without_duplicates(rows, fixed, _POINT_SEQUENCE, "shape_id,shape_pt_sequence")[1]
    return [finding for finding in findings if not fixed[finding[0]]]


def check_trip_stop_times(rows: Sequence[Row], fixed: Sequence[bool]) -> list[Finding]:
    """Duplicate stop sequences, missing edge times, lone times and times going backwards."""
    arrivals = [row[_ARRIVAL] for row in rows]
    departures = [row[_DEPARTURE] for row in rows]
    if (
        None not in arrivals
        and None not in departures
        and _increasing([row[_STOP_SEQUENCE] for row in rows])  # type: ignore[misc]
        and all(map(le, arrivals, departures))  # type: ignore[arg-type]
        and all(map(le, departures, arrivals[1:]))  # type: ignore[arg-type]
    ):
        return []
    kept, findings = _without_duplicates(rows, fixed, _STOP_SEQUENCE, "trip_id,stop_sequence")
    findings.extend(_time_findings(rows, kept, fixed))
    return [finding for finding in findings if not fixed[finding[0]]]


def _time_findings(rows: Sequence[Row], kept: list[int], fixed: Sequence[bool]) -> list[Finding]:
    findings: list[Finding] = []
    for edge in {kept[0], kept[-1]} if kept else ():
        arrival, departure = rows[edge][_ARRIVAL], rows[edge][_DEPARTURE]
        if arrival is None or departure is None:
            name = "arrival_time" if arrival is None else "departure_time"
            detail = f"The first and last stop times of trip {rows[edge][_TRIP]!r} need {name}."
            findings.append((edge, "missing_trip_edge", name, "", detail))
    previous: int | None = None
    for position in kept:
        arrival, departure = rows[position][_ARRIVAL], rows[position][_DEPARTURE]
        if (arrival is None) != (departure is None):
            name = "arrival_time" if arrival is not None else "departure_time"
            shown = format_time(arrival if arrival is not None else departure)  # type: ignore[arg-type]
            detail = "A stop time needs both arrival_time and departure_time, or neither."
            code = "stop_time_with_only_arrival_or_departure_time"
            findings.append((position, code, name, shown, detail))
        if previous is not None and arrival is not None:
            before = rows[previous][_DEPARTURE]
            if arrival < before:  # type: ignore[operator]
                culprit = previous if fixed[position] else position
                detail = (
                    f"arrival_time is before the previous stop's departure {format_time(before)}."  # type: ignore[arg-type]
                )
                code = "stop_time_with_arrival_before_previous_departure_time"
                findings.append((culprit, code, "arrival_time", format_time(arrival), detail))  # type: ignore[arg-type]
        if departure is not None:
            previous = position
    return findings


def run_starts(groups: Sequence[object]) -> list[int]:
    """The index where each run of equal ``groups`` begins (0 first, for a non-empty column)."""
    if not groups:
        return []
    changes = map(ne, groups, islice(groups, 1, None))
    return [0, *compress(range(1, len(groups)), changes)]


def _breaks_only_at(starts: set[int], falls: Iterator[bool]) -> bool:
    """Whether every index ``i`` (from 1) where ``falls`` holds begins a run."""
    return starts.issuperset(compress(count(1), falls))


def shape_points_in_order(columns: list[Sequence[object] | None], starts: list[int]) -> bool:
    """Whether every shape's points come in increasing sequence (so none is repeated)."""
    shapes, sequence = columns[_SHAPE], columns[_POINT_SEQUENCE]
    if shapes is None or sequence is None:
        return False
    return _breaks_only_at(set(starts), map(ge, sequence, islice(sequence, 1, None)))  # type: ignore[arg-type]


def stop_times_in_order(columns: list[Sequence[object] | None], starts: list[int]) -> bool:
    """Whether every trip has both times on every row, in increasing sequence and time."""
    trips, arrivals = columns[_TRIP], columns[_ARRIVAL]
    departures, sequence = columns[_DEPARTURE], columns[_STOP_SEQUENCE]
    if trips is None or arrivals is None or departures is None or sequence is None:
        return False
    if None in arrivals or None in departures:
        return False
    boundaries = set(starts)
    return _breaks_only_at(
        boundaries,
        map(ge, sequence, islice(sequence, 1, None)),  # type: ignore[arg-type]
    ) and _breaks_only_at(
        boundaries,
        map(gt, departures, islice(arrivals, 1, None)),  # type: ignore[arg-type]
    )
