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


SETTINGS_HELP: dict[str, str] = {
    "reaccommodation_earliest_minutes": (
        "When a trip is cancelled, its travelers may be moved to a trip arriving up to this "
        "many minutes earlier than the one they booked (0: never earlier, as a traveler told "
        "of a change may not reach the stop in time for an earlier departure)."
    ),
    "reaccommodation_latest_minutes": (
        "... or up to this many minutes later; a booking no trip in that window has room for "
        "is refunded."
    ),
    "reaccommodation_time_limit_s": (
        "Seconds the re-accommodation solver may search for the best placement of a cancelled "
        "trip's travelers before it settles for the best found."
    ),
    "database_url": (
        "SQLAlchemy URL of the database. SQLite (sqlite:///path, relative to the working "
        "directory) is the embedded default; production uses PostgreSQL "
        "(postgresql+psycopg://user@host:5432/name; postgresql:// is accepted too)."
    ),
    "bind": "host:port that `faregate serve` listens on.",
    "workers": "Number of gunicorn worker processes started by `faregate serve`.",
    "log_level": "Lowest level logged: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    "log_format": "text (one readable line per record) or json (one JSON object per line).",
    "metrics_dir": (
        "Folder where the processes of `faregate serve` (workers, job runner) keep the values "
        "GET /metrics adds up; emptied when the server starts. Empty: a new private folder "
        "under the system's temporary folder for each run."
    ),
    "metrics_token_file": (
        "File holding the token (its first line, 16 characters or more) a scraper must send "
        "to GET /metrics as Authorization: Bearer <token>. Empty: /metrics needs no token; "
        "do not let a public reverse proxy forward it then."
    ),
    "jobs_metrics_bind": (
        "host:port where a job runner started on its own (`faregate jobs`, not by `faregate "
        "serve`) serves its metrics (GET /metrics) for the scraper. Empty: not served."
    ),
    "db_connect_timeout_s": "Seconds to wait for a PostgreSQL connection before giving up.",
    "feed_upload_max_mb": (
        "Largest GTFS zip accepted by POST /api/v1/feeds and the console's upload form, in MiB."
    ),
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
    "realtime_trip_updates_url": (
        "http(s) URL of a GTFS-Realtime TripUpdates feed the job runner reads: every trip it "
        "cancels is cancelled here (bookings re-accommodated or refunded). Empty: not read."
    ),
    "realtime_poll_seconds": "Seconds between two reads of realtime_trip_updates_url.",
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
    "support_sla_hours": (
        "Hours within which a support case of each priority is due, as "
        "urgent=H,high=H,normal=H,low=H (every priority, each a whole number of hours >= 1)."
    ),
    "lock_timeout_ms": (
        "Longest wait for a row lock while holding or booking seats, in milliseconds; past it "
        "the request fails with 503 busy_try_again instead of queueing."
    ),
    "smtp_host": (
        "Mail server the job runner sends the e-mail outbox through; empty: no mail server, "
        "messages stay queued until one is configured."
    ),
    "smtp_port": "Port of the mail server (25, or 587 for submission with smtp_starttls).",
    "smtp_from": "The From address of the e-mail the server sends, e.g. Faregate <noreply@x>.",
    "smtp_starttls": "Switch the mail server connection to TLS (STARTTLS) before sending.",
    "smtp_username": "User name to log in to the mail server with; empty: no login.",
    "smtp_password_file": (
        "File holding the mail server password (its first line); needed with smtp_username."
    ),
    "smtp_timeout_s": "Seconds to wait for the mail server before trying again later.",
    "request_body_max_kb": (
        "Largest request body accepted, in KiB, by every API call and form except GTFS feed "
        "uploads (feed_upload_max_mb) and validators' tap batches (sized for the largest "
        "batch); a larger one is refused with 413 payload_too_large before it is read."
    ),
    "rate_limits_enabled": (
        "Limit how often one client address may call the public endpoints and forms that "
        "write or look things up (the rate_limit_* settings); false switches every such "
        "limit off. Devices and staff API tokens are never limited by them."
    ),
    "rate_limit_storage_url": (
        "Where the rate limit counters are kept: memory:// counts in each server process "
        "(each gunicorn worker counts alone, so a client may get up to workers x the limit); "
        "redis://host:6379 (or rediss://, redis+unix://) shares exact counts between every "
        "worker and server instance. Needs the redis extra: pip install faregate[redis]."
    ),
    "trusted_proxies": (
        "Number of reverse proxies in front of the server that add X-Forwarded-For, "
        "X-Forwarded-Proto and X-Forwarded-Host; the client address (which rate limits and "
        "sign-in limits count) is then taken from X-Forwarded-For. 0: the headers are "
        "ignored and the address is the connecting peer's."
    ),
    "rate_limit_reservations": (
        "Holds, bookings, passes, cancellations and hold releases (API and traveler pages), "
        "per client address and endpoint, as Flask-Limiter limit strings "
        "(e.g. 60/minute or 60/minute;600/hour); empty: not limited."
    ),
    "rate_limit_lookups": (
        "Finding a booking or support case by reference and e-mail, and a card's journeys "
        "by its UID (API and pages), per client address and endpoint."
    ),
    "rate_limit_support": (
        "Opening support cases and travelers' replies to them (API and help pages), per "
        "client address and endpoint."
    ),
    "rate_limit_sign_in": (
        "Console sign-in and second-factor forms, and validators' provisioning, per client "
        "address and endpoint (on top of the per-account and per-address sign-in locks)."
    ),
}

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


def _check_staff_sessions(settings: Settings) -> None:
    for key in ("staff_session_idle_minutes", "staff_session_hours"):
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
    _check_staff_sessions(settings)
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
