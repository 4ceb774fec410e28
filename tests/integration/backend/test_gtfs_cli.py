"""``faregate gtfs`` against real databases and the bundled feeds."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from backend.cli import cli
from backend.clock import utc_now
from tests.harness.feeds import SAMPLE_FEED, ZAKROCZYM_FEED, sample_feed_copy


def run(database_url: str, *args: str) -> Result:
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def broken_feed(folder: Path) -> Path:
    return sample_feed_copy(folder, calendar="service_id,monday\nFULLW,1\n")


def test_validate_prints_a_summary_and_exits_0_without_errors(database_url: str) -> None:
    result = run(database_url, "gtfs", "validate", str(ZAKROCZYM_FEED))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_validate_exits_1_on_errors_and_names_the_code(database_url: str, tmp_path: Path) -> None:
    result = run(database_url, "gtfs", "validate", str(broken_feed(tmp_path)))
    assert result.exit_code == 1
    assert "missing_required_column" in result.stdout


def test_validate_json_is_the_full_report(database_url: str, tmp_path: Path) -> None:
    result = run(database_url, "gtfs", "validate", "--json", str(broken_feed(tmp_path)))
    report = json.loads(result.stdout)
    assert report["errors"] >= 1
    assert any(n["code"] == "missing_required_column" for n in report["notices"])


def test_validate_refuses_a_missing_path(database_url: str, tmp_path: Path) -> None:
    result = run(database_url, "gtfs", "validate", str(tmp_path / "absent.zip"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_import_publish_list_and_refuse_a_draft(database_url: str, tmp_path: Path) -> None:
    loaded = run(database_url, "gtfs", "import", str(ZAKROCZYM_FEED))
    assert loaded.exit_code == 0, loaded.output
    assert "loaded (not published)" in loaded.stdout
    version_id = loaded.stdout.split()[2]

    draft = run(database_url, "gtfs", "import", "--publish", str(broken_feed(tmp_path)))
    assert draft.exit_code == 1
    assert "stored as a draft" in draft.stderr
    draft_id = draft.stderr.split("feed version ")[1].split()[0]

    refused = run(database_url, "gtfs", "publish", draft_id)
    assert refused.exit_code == 1
    assert "error [feed_has_errors]" in refused.stderr

    assert run(database_url, "gtfs", "publish", version_id).exit_code == 0
    listing = run(database_url, "gtfs", "list").stdout.splitlines()
    assert listing[0].split("\t")[:2] == [draft_id, "draft"]
    assert listing[1].split("\t")[:3] == [version_id, "loaded", "active"]


def test_load_sample_only_into_an_empty_database(database_url: str, client: FlaskClient) -> None:
    first = run(database_url, "gtfs", "load-sample")
    assert first.exit_code == 0, first.output
    assert "sample feed loaded and published" in first.stdout
    tomorrow = (utc_now() + timedelta(days=1)).date().isoformat()
    trips = client.get(f"/api/v1/trips/search?from=BEATTY_AIRPORT&to=BULLFROG&date={tomorrow}")
    assert [trip["trip_instance"] for trip in trips.json] == [f"AB1@{tomorrow}"]  # dated to run
    second = run(database_url, "gtfs", "load-sample")
    assert "not loaded" in second.stdout
    assert len(run(database_url, "gtfs", "list").stdout.splitlines()) == 1
    assert SAMPLE_FEED.is_dir()


def test_load_sample_with_its_original_dates(database_url: str, client: FlaskClient) -> None:
    loaded = run(database_url, "gtfs", "load-sample", "--original-dates")
    assert "with its own dates (2007 to 2010)" in loaded.stdout
    old_day = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=BULLFROG&date=2008-06-02")
    assert [trip["trip_instance"] for trip in old_day.json] == ["AB1@2008-06-02"]
