"""Consistency check of the tap journals devices uploaded (``backend.models.devices``).

A validator numbers its taps 1, 2, 3... (its journal's sequence, never reused) and deletes
them only once the server's acknowledgement covers them, so the server should hold, per
device, every sequence from the first to the highest with none twice:

- a *gap* is a tap that never arrived although later ones did;
- a *duplicate* sequence (two taps, two nonces) means a journal that restarted its numbering,
  such as a validator whose store was wiped and which kept its device identity;
- an acknowledgement (``device.acked_sequence``) above the highest sequence stored means the
  device was told to delete taps the server does not have;
- a journal starting above 1 (the first taps never arrived) is a warning: the device may have
  been provisioned with a journal that already held taps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from backend.models import Device, Tap
from backend.services.consistency import CheckOptions, CheckResult, Findings, Status, plural

MAX_RANGES = 10  # missing ranges listed per device


def check_tap_journals(connection: Connection, options: CheckOptions) -> CheckResult:  # noqa: ARG001
    """Each device's taps run from its first sequence to its last without gaps or twins."""
    missing = _gaps(connection)
    twins = _duplicates(connection)
    extents = {
        device: (first, last, count)
        for device, first, last, count in connection.execute(
            select(
                Tap.device_id, func.min(Tap.sequence), func.max(Tap.sequence), func.count()
            ).group_by(Tap.device_id)
        )
    }
    found, late_start = Findings(), Findings()
    for device in sorted({*missing, *twins}):
        problems = []
        if device in missing:
            problems.append(f"missing {_ranges(missing[device])}")
        if device in twins:
            listed = ", ".join(f"{seq} ({count} taps)" for seq, count in twins[device][:MAX_RANGES])
            problems.append(f"duplicated {listed}")
        found.add(f"device {device}", "; ".join(problems))
    acked = connection.execute(select(Device.id, Device.acked_sequence).order_by(Device.id))
    for device, acknowledged in acked:
        highest = extents.get(device, (0, 0, 0))[1]
        if acknowledged > highest:
            found.add(
                f"device {device}",
                f"acknowledged up to sequence {acknowledged}, but taps are stored only up to "
                f"{highest}: the device deleted taps the server does not have",
            )
    for device, (first, _last, _count) in sorted(extents.items()):
        if first > 1:
            late_start.add(f"device {device}", f"journal starts at sequence {first}, not 1")
    taps = sum(count for _first, _last, count in extents.values())
    scope = f"{plural(taps, 'tap')} from {plural(len(extents), 'device')}"
    if found.count:
        return found.result(
            "tap_journals", ok="", failed=f"{plural(found.count, 'journal problem')} in {scope}"
        )
    return late_start.result(
        "tap_journals",
        ok=f"{scope}, each journal contiguous without duplicates",
        failed=f"{plural(late_start.count, 'journal')} do not start at sequence 1",
        status=Status.WARN,
    )


def _gaps(connection: Connection) -> dict[str, list[tuple[int, int]]]:
    """Per device, the missing ranges [from, to] between stored sequences."""
    previous = func.lag(Tap.sequence).over(partition_by=Tap.device_id, order_by=Tap.sequence)
    ordered = select(
        Tap.device_id.label("device_id"),
        Tap.sequence.label("sequence"),
        previous.label("previous"),
    ).subquery()
    rows = connection.execute(
        select(ordered.c.device_id, ordered.c.previous, ordered.c.sequence)
        .where(ordered.c.sequence - ordered.c.previous > 1)
        .order_by(ordered.c.device_id, ordered.c.sequence)
    )
    missing: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for device, before, after in rows:
        missing[device].append((before + 1, after - 1))
    return missing


def _duplicates(connection: Connection) -> dict[str, list[tuple[int, int]]]:
    """Per device, the sequences stored more than once and how many times."""
    rows = connection.execute(
        select(Tap.device_id, Tap.sequence, func.count())
        .group_by(Tap.device_id, Tap.sequence)
        .having(func.count() > 1)
        .order_by(Tap.device_id, Tap.sequence)
    )
    twins: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for device, sequence, count in rows:
        twins[device].append((sequence, count))
    return twins


def _ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """``4-7, 12`` (at most ``MAX_RANGES``, then how many more)."""
    listed = list(ranges)
    shown = [f"{low}-{high}" if high > low else str(low) for low, high in listed[:MAX_RANGES]]
    more = len(listed) - MAX_RANGES
    return ", ".join(shown) + (f" and {more} more ranges" if more > 0 else "")
