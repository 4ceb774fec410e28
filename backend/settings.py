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
    db_connect_timeout_s: int = 5
    feed_upload_max_mb: int = 200
    seatmap_dir: str = "config/seatmaps"
    hold_minutes: int = 10
    lock_timeout_ms: int = 2000
    signing_keys_file: str = "var/signing-keys.json"
    period_passes_file: str = "config/period-passes.toml"
    caps_file: str = "config/caps.toml"
    account_fare_media_id: str = ""
    max_journey_minutes: int = 180
    max_fare_minor: int = 0
    reconcile_at: str = "05:00"
    staff_session_idle_minutes: int = 30
    staff_session_hours: int = 12
    session_secret_file: str = "var/session-secret"  # noqa: S105 - a path, not a secret
    secure_cookies: bool = False
    counter_payments: bool = True
    test_payments: bool = True

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied and checked."""
        return _checked(dataclasses.replace(self, **changes))


SETTINGS_HELP: dict[str, str] = {
    "database_url": (
        "SQLAlchemy URL of the database. SQLite (sqlite:///path, relative to the working "
        "directory) is the embedded default; production uses PostgreSQL "
        "(postgresql+psycopg://user@host:5432/name; postgresql:// is accepted too)."
    ),
    "bind": "host:port that `faregate serve` listens on.",
    "workers": "Number of gunicorn worker processes started by `faregate serve`.",
    "log_level": "Lowest level logged: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    "log_format": "text (one readable line per record) or json (one JSON object per line).",
    "db_connect_timeout_s": "Seconds to wait for a PostgreSQL connection before giving up.",
    "feed_upload_max_mb": "Largest GTFS zip accepted by POST /api/v1/feeds, in MiB.",
    "seatmap_dir": (
        "Folder of seat map files (*.toml), each assigned to routes, trips or as the default; "
        "trips with no seat map cannot be reserved."
    ),
    "hold_minutes": "How long a hold keeps its seats before it expires, in minutes.",
    "signing_keys_file": (
        "The server's keyring: the Ed25519 keys that sign tickets and rule bundles "
        "(`faregate keys init` creates it, `faregate keys rotate` rotates it)."
    ),
    "period_passes_file": (
        "Which fare products are sold as day, week or month passes (see the example file)."
    ),
    "caps_file": (
        "Fare caps for account-based travel and the travel day's boundary (format in "
        "config/caps.example.toml). Without the file nothing is capped and travel days start "
        "at 04:00 in the active feed's agency timezone."
    ),
    "account_fare_media_id": (
        "The feed's fare_media_id that account-based media (card UIDs, tokens) are priced as "
        "and whose caps apply to them; empty: the cheapest media, and caps of fare_media_id ''."
    ),
    "max_journey_minutes": (
        "Longest time from a gate entry to its exit: an entry with no exit within it is an "
        "incomplete journey, charged the maximum fare."
    ),
    "max_fare_minor": (
        "The maximum fare, in minor units of the feed's currency, charged for an incomplete "
        "journey or one the fares cannot price; 0: the dearest product the active feed's "
        "fare leg rules sell (Fares v1: its dearest fare)."
    ),
    "reconcile_at": (
        "Local time of day (HH:MM, in the travel day's timezone) from which the job runner "
        "reconciles the travel day that ended before it."
    ),
    "staff_session_idle_minutes": (
        "Minutes without a request after which a staff member signed in to the web console "
        "is signed out."
    ),
    "staff_session_hours": (
        "Hours after signing in to the web console after which staff must sign in again, "
        "however active they were."
    ),
    "session_secret_file": (
        "The secret that signs web sessions (traveler and staff sign-in) and their CSRF "
        "tokens; made on first start when missing (mode 0600). Every server of one site must "
        "share it."
    ),
    "secure_cookies": (
        "true when the site is served over HTTPS (directly or behind a proxy that says so in "
        "X-Forwarded-Proto): session cookies are then sent over HTTPS only."
    ),
    "counter_payments": (
        "Offer travelers 'pay at the counter': the booking is made at once, awaiting payment, "
        "and its tickets are issued when staff record the payment."
    ),
    "test_payments": (
        "Offer the test payment provider, which takes no money and pays every booking at once "
        "(clearly labelled on the pages). On for development; set it to false in production."
    ),
    "lock_timeout_ms": (
        "Longest wait for a row lock while holding or booking seats, in milliseconds; past it "
        "the request fails with 503 busy_try_again instead of queueing."
    ),
}

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


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


def _check_staff_sessions(settings: Settings) -> None:
    for key in ("staff_session_idle_minutes", "staff_session_hours"):
        if getattr(settings, key) < 1:
            raise SettingsError(f"{key} must be at least 1")


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
    _check_staff_sessions(settings)
    if parse_time_of_day(settings.reconcile_at) is None:
        raise SettingsError(f"reconcile_at {settings.reconcile_at!r} is not a time of day HH:MM")
    if not settings.database_url:
        raise SettingsError("database_url must not be empty")
    return dataclasses.replace(settings, log_level=level)
