"""Server settings: defaults, then a TOML file, then ``FAREGATE_*`` environment variables.

The file is the one named by ``FAREGATE_CONFIG``; without it, ``config/faregate.toml`` in the
working directory when present. Every key is documented in ``SETTINGS_HELP`` (shown by
``faregate config show``) and in ``config/faregate.toml``. An environment variable named
``FAREGATE_`` + the key in upper case overrides the file; unknown keys and values of the wrong
type are refused with a ``SettingsError`` rather than ignored.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

from backend.settings_help import SETTINGS_HELP

DEFAULT_CONFIG_PATH = Path("config/faregate.toml")
ENV_PREFIX = "FAREGATE_"


class SettingsError(Exception):
    """A configuration file or variable that cannot be used."""

    code = "invalid_settings"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Effective server settings; see ``SETTINGS_HELP`` for what each key means."""

    database_url: str = "sqlite:///var/faregate.db"
    bind: str = "127.0.0.1:8000"
    workers: int = 2
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_dir: str = ""
    metrics_token_file: str = ""
    jobs_metrics_bind: str = ""
    db_connect_timeout_s: int = 5
    feed_upload_max_mb: int = 200
    seatmap_dir: str = "config/seatmaps"
    hold_minutes: int = 10
    reaccommodation_earliest_minutes: int = 0
    reaccommodation_latest_minutes: int = 240
    reaccommodation_time_limit_s: int = 5
    lock_timeout_ms: int = 2000
    signing_keys_file: str = "var/signing-keys.json"
    period_passes_file: str = "config/period-passes.toml"
    caps_file: str = "config/caps.toml"
    account_fare_media_id: str = ""
    max_journey_minutes: int = 180
    max_fare_minor: int = 0
    reconcile_at: str = "05:00"
    realtime_trip_updates_url: str = ""
    realtime_poll_seconds: int = 60
    staff_session_idle_minutes: int = 30
    staff_session_hours: int = 12
    traveler_session_days: int = 30
    session_secret_file: str = "var/session-secret"  # noqa: S105 - a path, not a secret
    secure_cookies: bool = False
    counter_payments: bool = True
    test_payments: bool = True
    support_sla_hours: str = "urgent=2,high=8,normal=24,low=72"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "faregate@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password_file: str = ""
    smtp_timeout_s: int = 10
    request_body_max_kb: int = 64
    rate_limits_enabled: bool = True
    rate_limit_storage_url: str = "memory://"
    trusted_proxies: int = 0
    rate_limit_reservations: str = "60/minute"
    rate_limit_lookups: str = "30/minute"
    rate_limit_support: str = "10/minute;50/day"
    rate_limit_sign_in: str = "60/minute"

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied and checked."""
        return _checked(dataclasses.replace(self, **changes))


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
DEFAULT_SUPPORT_SLA_HOURS = {"urgent": 2, "high": 8, "normal": 24, "low": 72}


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings from ``path`` (or the default file) and the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_path = _config_path(path, env)
    if config_path is not None:
        values.update(_read_toml(config_path))
    values.update(_read_environment(env))
    return _checked(Settings(**values))


def _config_path(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"])
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise SettingsError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"configuration file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(SETTINGS_HELP))
    if unknown:
        raise SettingsError(f"unknown setting(s) in {path}: {', '.join(unknown)}")
    for key, value in data.items():
        expected = _field_type(key)
        if type(value) is not expected:
            raise SettingsError(
                f"{path}: {key} must be {expected.__name__}, not {type(value).__name__}"
            )
    return data


def _read_environment(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in SETTINGS_HELP:
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is None:
            continue
        if _field_type(key) is bool:
            if raw.lower() not in _BOOLEANS:
                raise SettingsError(f"{ENV_PREFIX}{key.upper()} must be true or false")
            values[key] = _BOOLEANS[raw.lower()]
        elif _field_type(key) is int:
            try:
                values[key] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"{ENV_PREFIX}{key.upper()} must be an integer") from exc
        else:
            values[key] = raw
    return values


def _field_type(key: str) -> type:
    default = getattr(Settings, key)
    return type(default)


def parse_time_of_day(text: str) -> time | None:
    """``HH:MM`` (24-hour clock) as a time, or None when it is not one."""
    match = _TIME_OF_DAY.fullmatch(text)
    return None if match is None else time(int(match[1]), int(match[2]))


def parse_sla_hours(text: str) -> dict[str, int] | None:
    """``urgent=2,high=8,normal=24,low=72`` as hours per support case priority; None unless
    every priority is given once with a whole number of hours from 1."""
    hours: dict[str, int] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in DEFAULT_SUPPORT_SLA_HOURS or name in hours or not value.strip().isdigit():
            return None
        hours[name] = int(value)
    if set(hours) != set(DEFAULT_SUPPORT_SLA_HOURS) or min(hours.values()) < 1:
        return None
    return hours


def _check_realtime(settings: Settings) -> None:
    url = settings.realtime_trip_updates_url
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"realtime_trip_updates_url {url!r} is not an http(s) URL")
    if settings.realtime_poll_seconds < 1:
        raise SettingsError("realtime_poll_seconds must be at least 1")


def _check_sessions(settings: Settings) -> None:
    for key in ("staff_session_idle_minutes", "staff_session_hours", "traveler_session_days"):
        if getattr(settings, key) < 1:
            raise SettingsError(f"{key} must be at least 1")


def _check_smtp(settings: Settings) -> None:
    if not 1 <= settings.smtp_port <= 65535:
        raise SettingsError("smtp_port must be from 1 to 65535")
    if settings.smtp_timeout_s < 1:
        raise SettingsError("smtp_timeout_s must be at least 1")
    if "@" not in settings.smtp_from or any(c in settings.smtp_from for c in "\r\n"):
        raise SettingsError(f"smtp_from {settings.smtp_from!r} is not an e-mail address")
    if settings.smtp_username and not settings.smtp_password_file:
        raise SettingsError("smtp_username needs smtp_password_file")


RATE_LIMIT_KEYS = (
    "rate_limit_reservations",
    "rate_limit_lookups",
    "rate_limit_support",
    "rate_limit_sign_in",
)
RATE_LIMIT_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel")


def _check_request_limits(settings: Settings) -> None:
    if settings.request_body_max_kb < 1:
        raise SettingsError("request_body_max_kb must be at least 1")
    if settings.trusted_proxies < 0:
        raise SettingsError("trusted_proxies must be 0 or more")
    scheme = urlsplit(settings.rate_limit_storage_url).scheme
    if scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        raise SettingsError(
            f"rate_limit_storage_url {settings.rate_limit_storage_url!r} must start with one "
            f"of {', '.join(s + '://' for s in RATE_LIMIT_STORAGE_SCHEMES)}"
        )
    for key in RATE_LIMIT_KEYS:
        value = getattr(settings, key)
        if value.strip():
            try:
                parse_many(value)
            except ValueError as exc:
                raise SettingsError(
                    f"{key} {value!r} is not a rate limit such as 60/minute or 10/minute;50/day"
                ) from exc


def _check_jobs_metrics_bind(settings: Settings) -> None:
    bind = settings.jobs_metrics_bind
    if bind and not re.fullmatch(r"[^\s:]*:\d{1,5}", bind):
        raise SettingsError(f"jobs_metrics_bind {bind!r} must be host:port or empty")


def _checked(settings: Settings) -> Settings:
    level = settings.log_level.upper()
    if level not in _LOG_LEVELS:
        raise SettingsError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")
    if settings.log_format not in _LOG_FORMATS:
        raise SettingsError(f"log_format must be one of {', '.join(_LOG_FORMATS)}")
    if settings.workers < 1:
        raise SettingsError("workers must be at least 1")
    if settings.feed_upload_max_mb < 1:
        raise SettingsError("feed_upload_max_mb must be at least 1")
    if settings.db_connect_timeout_s < 1:
        raise SettingsError("db_connect_timeout_s must be at least 1")
    if settings.hold_minutes < 1:
        raise SettingsError("hold_minutes must be at least 1")
    if settings.lock_timeout_ms < 1:
        raise SettingsError("lock_timeout_ms must be at least 1")
    if settings.max_journey_minutes < 1:
        raise SettingsError("max_journey_minutes must be at least 1")
    if settings.max_fare_minor < 0:
        raise SettingsError("max_fare_minor must be 0 or more")
    _check_sessions(settings)
    _check_realtime(settings)
    _check_smtp(settings)
    _check_request_limits(settings)
    _check_jobs_metrics_bind(settings)
    if parse_time_of_day(settings.reconcile_at) is None:
        raise SettingsError(f"reconcile_at {settings.reconcile_at!r} is not a time of day HH:MM")
    if parse_sla_hours(settings.support_sla_hours) is None:
        raise SettingsError(
            f"support_sla_hours {settings.support_sla_hours!r} must give hours for every "
            "priority, like urgent=2,high=8,normal=24,low=72"
        )
    if not settings.database_url:
        raise SettingsError("database_url must not be empty")
    return dataclasses.replace(settings, log_level=level)
