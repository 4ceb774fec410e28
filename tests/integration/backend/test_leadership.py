"""Job runner leadership through a PostgreSQL advisory lock, on real PostgreSQL."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy import Engine, text

from backend import leadership
from backend.cli import cli
from backend.db import Database
from backend.jobs import add_jobs, inventory_for
from backend.leadership import Leadership, leader
from backend.settings import Settings
from tests.harness.network import free_port

pytestmark = pytest.mark.postgres

HAND_OVERS = 100


def test_one_runner_leads_and_another_takes_over_when_it_goes(
    postgres_url: str, postgres_engine: Engine
) -> None:
    first, second = Leadership(postgres_url), Leadership(postgres_url)
    try:
        assert first.try_to_lead()
        assert not second.try_to_lead()
        with postgres_engine.connect() as connection:
            assert leader(connection).application_name == first.name  # type: ignore[union-attr]

        first.close()
        assert second.try_to_lead()
        with postgres_engine.connect() as connection:
            assert leader(connection).application_name == second.name  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()
    with postgres_engine.connect() as connection:
        assert leader(connection) is None


def test_a_runner_that_gives_leadership_up_hands_it_over_at_once(postgres_url: str) -> None:
    # Closing the lock's connection alone let the server end the session a moment later:
    # a runner trying for the lock just after the close sometimes found it still held.
    runners = [Leadership(postgres_url) for _ in range(HAND_OVERS + 1)]
    try:
        assert runners[0].try_to_lead()
        for leaving, arriving in itertools.pairwise(runners):
            assert not arriving.try_to_lead()  # connected, and waiting
            leaving.close()
            assert arriving.try_to_lead()
    finally:
        for runner in runners:
            runner.close()


def test_a_leader_whose_connection_is_cut_knows_it_and_a_waiting_runner_takes_over(
    postgres_url: str, postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leadership, "RETRY_S", 0.1)
    first, second = Leadership(postgres_url), Leadership(postgres_url)
    stop = threading.Event()
    took_over = threading.Event()

    def wait() -> None:
        if second.wait_to_lead(stop):
            took_over.set()

    try:
        assert first.try_to_lead()
        waiting = threading.Thread(target=wait)
        waiting.start()
        time.sleep(0.3)
        assert not took_over.is_set()
        with postgres_engine.connect() as connection:
            held_by = leader(connection)
            assert held_by is not None
            connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": held_by.backend_pid}
            )
            connection.commit()

        assert took_over.wait(10)
        assert not first.still_leading()
        assert second.still_leading()
        stop.set()
        waiting.join(5)
    finally:
        stop.set()
        first.close()
        second.close()


def test_a_stopped_candidate_stops_waiting(postgres_url: str) -> None:
    first, second = Leadership(postgres_url), Leadership(postgres_url)
    stop = threading.Event()
    try:
        assert first.try_to_lead()
        stop.set()
        assert second.wait_to_lead(stop) is False
    finally:
        first.close()
        second.close()


def test_sqlite_always_leads(sqlite_url: str) -> None:
    alone = Leadership(sqlite_url)
    assert alone.try_to_lead()
    assert alone.still_leading()
    alone.close()


def test_the_cli_names_the_leading_runner(postgres_url: str) -> None:
    runner = CliRunner()
    env = {"FAREGATE_DATABASE_URL": postgres_url, "FAREGATE_LOG_LEVEL": "WARNING"}

    nobody = runner.invoke(cli, ["jobs", "leader"], env=env)
    assert nobody.exit_code == 1
    assert "no job runner leads" in nobody.output

    running = Leadership(postgres_url)
    try:
        assert running.try_to_lead()
        named = runner.invoke(cli, ["jobs", "leader"], env=env)
        assert named.exit_code == 0, named.output
        assert named.output.startswith(running.name)
    finally:
        running.close()


def test_a_job_meeting_an_unreachable_database_logs_one_line_and_the_runner_goes_on(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/faregate"
    settings = Settings(
        database_url=url, db_connect_timeout_s=1, signing_keys_file=str(tmp_path / "keys.json")
    )
    database = Database(url, connect_timeout_s=1)
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, inventory_for(settings, database))
    sweep = scheduler.get_job("sweep_expired_holds")
    assert sweep is not None

    with caplog.at_level(logging.WARNING, logger="backend.jobs"):
        assert sweep.func(*sweep.args) is None
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "sweep_expired_holds not run"
    ]
    database.dispose()
