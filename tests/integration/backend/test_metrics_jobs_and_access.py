"""``/metrics`` beyond requests: job runs, who may scrape, a database that cannot be read, and
prometheus-client kept out of the processes until the server has set its metrics folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask.testing import FlaskClient

from backend.app import create_app
from backend.jobs import add_jobs
from backend.metrics import timed_job
from backend.settings import Settings, SettingsError
from tests.conftest import empty_tables
from tests.harness.reservations import reservable_settings
from tests.harness.scraped_metrics import Scrape

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
scrape = Scrape.of_app


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    yield postgres_url
    empty_tables(postgres_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


def test_the_job_runner_counts_and_times_each_run(app: Flask, client: FlaskClient) -> None:
    before = scrape(client)
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, app.extensions["faregate.inventory"])
    scheduler.start()
    runs = "faregate_job_runs_total"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = scrape(client)
            done = [
                now.count(runs, job=job, outcome="ok") - before.count(runs, job=job, outcome="ok")
                for job in ("sweep_expired_holds", "purge_idempotency_records")
            ]
            if all(done):
                break
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    after = scrape(client)
    for job in ("sweep_expired_holds", "purge_idempotency_records"):
        assert (
            after.count(runs, job=job, outcome="ok") - before.count(runs, job=job, outcome="ok")
            == 1
        )
        timed = "faregate_job_duration_seconds_count"
        assert after.count(timed, job=job) - before.count(timed, job=job) == 1


def test_a_job_that_raises_is_counted_as_an_error(client: FlaskClient) -> None:
    def flaky_job(argument: int) -> int:
        if argument < 0:
            raise RuntimeError("broken")
        return argument * 2

    job = timed_job(flaky_job)
    before = scrape(client)
    assert job(21) == 42
    with pytest.raises(RuntimeError):
        job(-1)
    after = scrape(client)
    runs = "faregate_job_runs_total"
    for outcome in ("ok", "error"):
        assert (
            after.count(runs, job="flaky_job", outcome=outcome)
            - before.count(runs, job="flaky_job", outcome=outcome)
            == 1
        )
    assert job.__name__ == "flaky_job"  # the scheduler's job id stays the job's name


def test_a_metrics_token_guards_the_scrape(settings: Settings, tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text("a-scraper-token-of-some-length\n")
    app = create_app(settings.replace(metrics_token_file=str(token_file)))
    client = app.test_client()
    try:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.json["error"]["code"] == "metrics_unauthorized"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.json["error"]["code"] == "metrics_unauthorized"
        shown = scrape(client, Authorization="Bearer a-scraper-token-of-some-length")
        assert shown.value("faregate_live_holds") == 0
    finally:
        app.extensions["faregate.database"].dispose()


def test_a_missing_or_empty_token_file_stops_the_app_from_starting(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match="cannot be read"):
        create_app(settings.replace(metrics_token_file=str(tmp_path / "absent")))
    (tmp_path / "short").write_text("short\n")
    with pytest.raises(SettingsError, match="16 characters"):
        create_app(settings.replace(metrics_token_file=str(tmp_path / "short")))


def test_metrics_are_not_part_of_the_api_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    assert "/metrics" not in paths
    assert all("metrics" not in path for path in paths)


def test_an_unreadable_database_still_leaves_the_processes_series() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:9/faregate"
    app = create_app(Settings(database_url=url, log_level="CRITICAL", db_connect_timeout_s=1))
    shown = scrape(app.test_client())
    assert shown.value("faregate_metrics_database_up") == 0
    assert shown.value("faregate_live_holds") is None
    assert "faregate_http_request_duration_seconds" in shown.families()
    app.extensions["faregate.database"].dispose()


def test_the_cli_loads_no_prometheus_client_before_serve_sets_the_folder() -> None:
    # prometheus-client picks single- or multi-process mode when first imported: the gunicorn
    # master imports the app before it sets PROMETHEUS_MULTIPROC_DIR for its workers.
    probe = (
        "import sys, backend.cli, backend.app, backend.jobs, backend.metrics\n"
        "sys.exit(int('prometheus_client' in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=False, timeout=60)
    assert done.returncode == 0


def test_a_worker_makes_its_series_before_its_first_request(tmp_path: Path) -> None:
    # ``faregate serve``'s workers do so as they start, sparing their first request the
    # loading of prometheus-client (in multiprocess mode, from the folder the master set).
    probe = (
        "import sys, backend.metrics\n"
        "backend.metrics.start_recording()\n"
        "from prometheus_client import values\n"
        "loaded = 'backend.prometheus_series' in sys.modules\n"
        "shared = values.ValueClass.__name__ == 'MmapedValue'\n"
        "sys.exit(0 if loaded and shared else 1)\n"
    )
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, check=False, timeout=60
    )
    assert done.returncode == 0


def test_threads_recording_first_at_once_share_one_set_of_series(tmp_path: Path) -> None:
    # The job runner's first jobs start together on several threads; in a fresh process each
    # of them records before any series exists.
    probe = (
        "import logging, threading\n"
        "from datetime import datetime\n"
        "logging.basicConfig()\n"
        "from backend import metrics\n"
        "threads = [threading.Thread(target=metrics.count_booking, args=('hold', 'created'))"
        " for _ in range(16)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(metrics.exposition(None, datetime.now())[0].decode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
        check=False, timeout=60, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "metrics not recorded" not in done.stderr
    expected = 'faregate_booking_outcomes_total{operation="hold",outcome="created"} 16.0'
    assert expected in done.stdout
