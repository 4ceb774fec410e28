"""``faregate check``: the database's consistency checks, one line each, for people or cron.

Exit status 0 when every check passed (warnings pass), 1 when one failed, so that a systemd
timer or a monitoring probe can alert on it; ``--json`` prints one JSON document instead.
"""

from __future__ import annotations

import json
from datetime import timedelta

import click
from sqlalchemy.exc import OperationalError

from backend import schema
from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services.consistency import (
    DEFAULT_SWEEP_GRACE,
    CheckOptions,
    CheckResult,
    all_passed,
    run_checks,
)

_LABELS = {"ok": "OK", "warn": "WARN", "fail": "FAIL"}


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document.")
@click.option(
    "--sweep-grace-minutes",
    type=click.IntRange(min=0),
    default=int(DEFAULT_SWEEP_GRACE.total_seconds() // 60),
    show_default=True,
    help="Minutes past its expiry after which a hold still held is reported.",
)
@pass_context
def check(ctx: CliContext, as_json: bool, sweep_grace_minutes: int) -> None:
    """Check the database's invariants (read-only); exit 1 when one does not hold."""
    now = utc_now()
    options = CheckOptions(now=now, sweep_grace=timedelta(minutes=sweep_grace_minutes))
    engine = ctx.database.engine
    try:
        _require_current_schema(schema.current_revisions(engine))
        results = run_checks(engine, options)
    except OperationalError as exc:
        raise ServiceError(
            "database_unreachable", f"cannot reach the database: {exc.orig}"
        ) from exc
    passed = all_passed(results)
    if as_json:
        document = {
            "ok": passed,
            "checked_at": now.isoformat(),
            "checks": [result.as_json() for result in results],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        for result in results:
            _print(result)
    if not passed:
        raise click.exceptions.Exit(1)


def _require_current_schema(revisions: tuple[str, ...]) -> None:
    """The checks read the tables as the code's migrations leave them."""
    if not revisions:
        raise ServiceError(
            "database_not_migrated", "the database has no Faregate schema: nothing to check"
        )
    if revisions != schema.head_revisions():
        raise ServiceError(
            "database_not_current",
            f"the database is at revision {', '.join(revisions)}, not this version's "
            f"{', '.join(schema.head_revisions())}: run `faregate db upgrade` first",
        )


def _print(result: CheckResult) -> None:
    click.echo(f"{_LABELS[result.status.value]:<5} {result.name}: {result.summary}")
    for finding in result.findings:
        click.echo(f"      {finding.subject}: {finding.detail}")
    unlisted = result.problems - len(result.findings)
    if unlisted > 0:
        click.echo(f"      ... and {unlisted} more")
