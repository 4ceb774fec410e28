"""Only one server reconciles: the advisory lock on PostgreSQL, and the ``faregate reconcile``
command that operators and the job runner share."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.cli import cli
from backend.db import Database
from backend.models import Journey, ReconciliationRun
from backend.services.reconciliation import (
    DayReport,
    Outcome,
    Reconciler,
    reconcile_day,
    reconcile_due,
    take_leader_lock,
)
from backend.settings import Settings
from tests.integration.reconciliation.world import (
    TUESDAY,
    Validators,
    card,
    local,
    provision,
    publish,
)

A = card("04aa0001")
# The lock is PostgreSQL's: these tests run on it alone (SQLite serializes writers anyway).
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)  # 06:00 on Wednesday in Warsaw


@pytest.fixture
def validators(
    client: FlaskClient, database: Database, tmp_path: Path, staff_token: Callable[..., str]
) -> Validators:
    publish(database, tmp_path)
    taps = provision(client, {"Authorization": f"Bearer {staff_token('planner')}"})
    taps.tap("cen-in", local(TUESDAY, "08:00"), A)
    taps.tap("park-out", local(TUESDAY, "08:12"), A)
    return taps


def runs_and_journeys(database: Database) -> tuple[int, int]:
    with database.sessions() as session:
        runs = session.scalar(select(func.count()).select_from(ReconciliationRun))
        journeys = session.scalar(select(func.count()).select_from(Journey))
    return runs or 0, journeys or 0


@pytest.mark.postgres
@ON_POSTGRES
@pytest.mark.usefixtures("validators")
def test_a_runner_skips_while_another_holds_the_lock(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    reconciler = Reconciler.from_settings(settings, database)
    caplog.set_level(logging.INFO, logger="backend.services.reconciliation")
    with database.sessions() as leader:
        assert take_leader_lock(leader)  # another server, reconciling
        skipped = reconcile_due(reconciler, NOW)
        assert runs_and_journeys(database) == (0, 0)
        leader.rollback()  # its transaction ends, and the lock with it

    done = reconcile_day(reconciler, TUESDAY, NOW)

    assert skipped == [DayReport(skipped[0].travel_day, Outcome.SKIPPED_LOCKED)]
    assert "skipped: another server is reconciling" in caplog.text
    assert done.outcome is Outcome.RECONCILED
    assert runs_and_journeys(database) == (1, 1)


@pytest.mark.postgres
@ON_POSTGRES
@pytest.mark.usefixtures("validators")
def test_two_servers_running_the_job_at_once_reconcile_each_day_once(settings: Settings) -> None:
    servers = [Database(settings.database_url) for _ in range(2)]
    reconcilers = [Reconciler.from_settings(settings, server) for server in servers]
    start = threading.Barrier(2)
    reports: list[list[DayReport]] = [[], []]

    def run(index: int) -> None:
        start.wait()
        reports[index] = reconcile_due(reconcilers[index], NOW)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = reconcile_due(reconcilers[0], NOW)
    counts = runs_and_journeys(servers[0])
    for server in servers:
        server.dispose()

    reconciled = [r.travel_day for both in reports for r in both if r.outcome is Outcome.RECONCILED]
    assert sorted(reconciled) == [report.travel_day for report in after]  # each day once
    assert {report.outcome for report in after} == {Outcome.UP_TO_DATE}
    assert counts == (8, 1)


def run_cli(settings: Settings, *args: str) -> Result:
    env = {
        "FAREGATE_DATABASE_URL": settings.database_url,
        "FAREGATE_LOG_LEVEL": "WARNING",
        "FAREGATE_CAPS_FILE": settings.caps_file,
        "FAREGATE_ACCOUNT_FARE_MEDIA_ID": settings.account_fare_media_id,
    }
    return CliRunner().invoke(cli, ["reconcile", *args], env=env, catch_exceptions=False)


@pytest.mark.usefixtures("validators")
def test_operators_reconcile_a_day_from_the_command_line(
    settings: Settings, database: Database
) -> None:
    first = run_cli(settings, "--day", "2026-06-02")
    again = run_cli(settings, "--day", "2026-06-02")
    bad = run_cli(settings, "--day", "02.06.2026")

    line = "2026-06-02 reconciled: 2 taps, 1 journeys (0 incomplete), 0 passback flags"
    assert (first.exit_code, first.output.strip()) == (0, line)
    assert (again.exit_code, again.output.strip()) == (0, line)
    assert bad.exit_code == 2
    assert runs_and_journeys(database) == (1, 1)


@pytest.mark.postgres
@ON_POSTGRES
@pytest.mark.usefixtures("validators")
def test_the_command_says_so_when_another_server_is_reconciling(
    settings: Settings, database: Database
) -> None:
    with database.sessions() as leader:
        assert take_leader_lock(leader)
        busy = run_cli(settings, "--day", "2026-06-02")
        leader.rollback()

    assert busy.exit_code == 1
    assert "2026-06-02 skipped_locked" in busy.output
    assert "error [reconciliation_busy]" in busy.output
