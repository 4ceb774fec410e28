"""Settings: defaults, the TOML file, environment overrides and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import SETTINGS_HELP, Settings, SettingsError, load_settings


def test_defaults_point_at_the_embedded_sqlite_database() -> None:
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///var/faregate.db"
    assert settings.bind == "127.0.0.1:8000"


def test_every_setting_is_documented() -> None:
    assert set(SETTINGS_HELP) == set(Settings.__dataclass_fields__)


def test_the_shipped_config_file_loads_and_documents_every_key() -> None:
    shipped = Path(__file__).parents[3] / "config" / "faregate.toml"
    text = shipped.read_text()
    assert load_settings(shipped, environ={}) == Settings()
    for key in SETTINGS_HELP:
        assert f"\n{key} = " in text


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "faregate.toml"
    config.write_text('log_format = "text"\nworkers = 3\n')
    settings = load_settings(
        config,
        environ={"FAREGATE_LOG_FORMAT": "json", "FAREGATE_DATABASE_URL": "postgresql://db/x"},
    )
    assert settings.log_format == "json"
    assert settings.workers == 3
    assert settings.database_url == "postgresql://db/x"


def test_faregate_config_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('bind = "0.0.0.0:9000"\n')
    assert load_settings(environ={"FAREGATE_CONFIG": str(config)}).bind == "0.0.0.0:9000"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("colour = 'blue'\n", "unknown setting"),
        ("workers = 'two'\n", "workers must be int"),
        ("workers = [\n", "not valid TOML"),
        ("log_format = 'xml'\n", "log_format must be one of"),
        ("workers = 0\n", "workers must be at least 1"),
        ("reconcile_at = '5:00'\n", "reconcile_at '5:00' is not a time of day"),
        ("reconcile_at = '24:00'\n", "reconcile_at '24:00' is not a time of day"),
        ("max_journey_minutes = 0\n", "max_journey_minutes must be at least 1"),
        ("max_fare_minor = -1\n", "max_fare_minor must be 0 or more"),
        ("rate_limit_lookups = 'often'\n", "rate_limit_lookups 'often' is not a rate limit"),
        ("rate_limit_storage_url = 'mysql://db'\n", "rate_limit_storage_url 'mysql://db' must"),
        ("trusted_proxies = -1\n", "trusted_proxies must be 0 or more"),
        ("request_body_max_kb = 0\n", "request_body_max_kb must be at least 1"),
    ],
)
def test_refuses_bad_files(tmp_path: Path, content: str, fragment: str) -> None:
    config = tmp_path / "faregate.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=fragment):
        load_settings(config, environ={})


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_refuses_a_non_integer_environment_value() -> None:
    with pytest.raises(SettingsError, match="FAREGATE_WORKERS must be an integer"):
        load_settings(environ={"FAREGATE_WORKERS": "many"})


def test_log_level_is_case_insensitive() -> None:
    assert load_settings(environ={"FAREGATE_LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_rate_limits_read_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "FAREGATE_RATE_LIMITS_ENABLED": "false",
            "FAREGATE_RATE_LIMIT_SUPPORT": "5/minute;20/day",
            "FAREGATE_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/2",
            "FAREGATE_TRUSTED_PROXIES": "2",
        }
    )
    assert settings.rate_limits_enabled is False
    assert settings.rate_limit_support == "5/minute;20/day"
    assert settings.rate_limit_storage_url == "redis://127.0.0.1:6379/2"
    assert settings.trusted_proxies == 2
    assert load_settings(environ={"FAREGATE_RATE_LIMIT_LOOKUPS": ""}).rate_limit_lookups == ""
