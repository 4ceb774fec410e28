"""What each server setting means: shown by ``faregate config show``, and the list of keys a
settings file or the environment may set (``backend.settings`` refuses any other)."""

from __future__ import annotations

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
    "traveler_session_days": (
        "Days after signing in to their account on the traveler pages after which a traveler "
        "must sign in again (closing the browser signs them out sooner)."
    ),
    "session_secret_file": (
        "The secret that signs web sessions (traveler and staff sign-in) and their CSRF "
        "tokens; made on first start when missing (mode 0600). Every server of one site must "
        "share it."
    ),
    "secure_cookies": (
        "true when the site is served over HTTPS only: every session cookie is then marked "
        "Secure. Without it, a session cookie is Secure when its request came over HTTPS "
        "(directly, or through a trusted proxy's X-Forwarded-Proto)."
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
