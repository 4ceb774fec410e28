"""Read-only consistency checks of the database: what the invariants say must always hold.

Each check is one function taking a connection and the time ``now`` and returning a
:class:`CheckResult`: ``ok``, ``warn`` (worth a look, nothing is wrong yet) or ``fail``, with
the findings that name what is wrong (at most ``MAX_FINDINGS`` listed; ``problems`` counts
them all). The checks are:

- inventory (``consistency_inventory``, ``consistency_bookings``): no two live seat claims
  overlap; each leg's used places match its place claims and stay within capacity; every
  confirmed booking's claims exist and match its hold, and nothing else claims; no live hold
  lingers past its expiry longer than the sweep should allow (a warning);
- journals (``consistency_journal``): each device's uploaded tap sequences run without gaps
  or duplicates, and the server holds every tap it acknowledged;
- deny list (``consistency_deny``): every revoked ticket, and every ticket of a cancelled
  booking or of a trip whose cancellation is done, is on the deny list that devices receive
  while it is valid, and no ticket that is still good is on it.

:func:`run_checks` runs them all in one read-only transaction, so that they see one
snapshot of the database (REPEATABLE READ on PostgreSQL; SQLite's read transaction), and
rolls it back: a check never writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, text

MAX_FINDINGS = 50
DEFAULT_SWEEP_GRACE = timedelta(minutes=10)


class Status(StrEnum):
    """How a check came out."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One thing found wrong: what it concerns (a device, a booking, a seat) and how."""

    subject: str
    detail: str

    def as_json(self) -> dict[str, str]:
        """The finding as a JSON object."""
        return {"subject": self.subject, "detail": self.detail}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    status: Status
    summary: str
    findings: tuple[Finding, ...] = ()
    problems: int = 0  # every finding, including those not listed

    @property
    def passed(self) -> bool:
        """Whether nothing failed (a warning passes)."""
        return self.status is not Status.FAIL

    def as_json(self) -> dict[str, Any]:
        """The result as a JSON object."""
        return {
            "name": self.name,
            "status": self.status.value,
            "summary": self.summary,
            "problems": self.problems,
            "findings": [finding.as_json() for finding in self.findings],
        }


@dataclass
class Findings:
    """Findings collected by a check, kept up to ``MAX_FINDINGS``, all counted."""

    listed: list[Finding] = field(default_factory=list)
    count: int = 0

    def add(self, subject: str, detail: str) -> None:
        """Record one finding."""
        self.count += 1
        if len(self.listed) < MAX_FINDINGS:
            self.listed.append(Finding(subject, detail))

    def result(
        self, name: str, *, ok: str, failed: str, status: Status = Status.FAIL
    ) -> CheckResult:
        """``ok`` when nothing was found, else ``status`` with ``failed`` as its summary."""
        if not self.count:
            return CheckResult(name, Status.OK, ok)
        return CheckResult(name, status, failed, tuple(self.listed), self.count)


@dataclass(frozen=True)
class CheckOptions:
    """What the checks are measured against."""

    now: datetime
    sweep_grace: timedelta = DEFAULT_SWEEP_GRACE


Check = Callable[[Connection, CheckOptions], CheckResult]


def all_checks() -> list[Check]:
    """Every check, in the order they are reported."""
    from backend.services import (  # noqa: PLC0415 - they import this module's types
        consistency_bookings,
        consistency_deny,
        consistency_inventory,
        consistency_journal,
    )

    return [
        consistency_inventory.check_seat_overlaps,
        consistency_inventory.check_leg_capacity,
        consistency_bookings.check_booking_claims,
        consistency_inventory.check_stale_holds,
        consistency_journal.check_tap_journals,
        consistency_deny.check_deny_list,
    ]


def run_checks(
    engine: Engine, options: CheckOptions, checks: Sequence[Check] | None = None
) -> list[CheckResult]:
    """Run ``checks`` (all by default) on one read-only snapshot of the database."""
    chosen = list(checks) if checks is not None else all_checks()
    postgres = engine.dialect.name == "postgresql"
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ") if postgres else engine
    with snapshot.connect() as connection, connection.begin() as transaction:
        if postgres:
            connection.execute(text("SET TRANSACTION READ ONLY"))
        results = [check(connection, options) for check in chosen]
        transaction.rollback()
    return results


def all_passed(results: Iterable[CheckResult]) -> bool:
    """Whether no check failed."""
    return all(result.passed for result in results)


def plural(count: int, noun: str) -> str:
    """``1 claim``, ``2 claims``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
