"""Tap ingestion benchmark: devices uploading journal batches to the server on PostgreSQL,
against a bare COPY of the same rows.

In one run it
  (a) makes a fresh PostgreSQL database with the sample feed, 20 provisioned gate devices,
      and serves the app under gunicorn (4 sync workers);
  (b) has the 20 devices upload 10,000 taps each (200,000 in all) in batches of BATCH, one
      client thread per device, oldest first, as the agent does (``POST /api/v1/device/taps``),
      then sends every device's first batch again, which must store nothing;
  (c) copies the same 200,000 rows with a bare ``COPY`` into an empty table made like ``tap``
      (same columns, keys and indexes): the floor;
  (d) checks that the server holds every tap exactly once.
The last line printed is one JSON object: ``taps_per_s``, ``copy_rows_per_s``, ``ratio``.

PostgreSQL: ``FAREGATE_BENCH_PG_URL`` (default: postgres on 127.0.0.1:5432); the benchmark
creates and drops its own database there. Loopback only; bounded in requests and time.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served_app import SAMPLE_FEED, fresh_database, libpq, post, served  # noqa: E402

from backend.cli.serve import GunicornServer  # noqa: E402
from backend.db import Database  # noqa: E402
from backend.schema import upgrade  # noqa: E402
from backend.services import devices, feeds  # noqa: E402
from backend.services.signing_keys import init_keyring  # noqa: E402
from backend.settings import Settings  # noqa: E402

DEVICES = 20
TAPS_PER_DEVICE = 10_000
BATCH = 1000
WORKERS = 4
START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
COLUMNS = (
    "device_id",
    "sequence",
    "nonce",
    "tapped_at",
    "received_at",
    "media_kind",
    "fingerprint",
    "ticket_id",
    "product_id",
    "allowed",
    "reason",
    "bundle_version",
)


def journal(device: int) -> list[dict[str, Any]]:
    """A device's journal rows as the agent uploads them."""
    return [
        {
            "v": 1,
            "seq": sequence,
            "nonce": secrets.token_hex(16),
            "at": int((START + timedelta(seconds=sequence * 3 + device)).timestamp() * 1000),
            "kind": "qr_text" if sequence % 3 else "account",
            "fingerprint": secrets.token_hex(32),
            "ticket_id": secrets.token_hex(8) if sequence % 3 else None,
            "product_id": "day_pass" if sequence % 3 else None,
            "allowed": sequence % 17 != 0,
            "reason": None if sequence % 17 else "passback",
            "bundle_version": 1,
        }
        for sequence in range(1, TAPS_PER_DEVICE + 1)
    ]


def provision(database: Database, now: datetime) -> list[str]:
    """Create and provision DEVICES gates; their device tokens."""
    tokens = []
    with database.sessions() as session:
        for number in range(DEVICES):
            _, one_time = devices.create_device(
                session,
                f"gate-{number:02d}",
                "gate_entry",
                stop_id="BEATTY_AIRPORT",
                vehicle_id=None,
                description="benchmark gate",
                now=now,
            )
            tokens.append(devices.provision(session, one_time, now)[1])
    return tokens


def upload_all(port: int, tokens: list[str], journals: list[list[dict[str, Any]]]) -> float:
    """Every device uploads its journal in batches; seconds taken."""
    failures: list[str] = []

    def device(token: str, rows: list[dict[str, Any]]) -> None:
        headers = {"Authorization": f"Device {token}"}
        for start in range(0, len(rows), BATCH):
            status, answer = post(
                port, "/api/v1/device/taps", {"taps": rows[start : start + BATCH]}, headers
            )
            if (
                status != 200
                or answer["acked_sequence"] != rows[min(start + BATCH, len(rows)) - 1]["seq"]
            ):
                failures.append(f"{status} {answer}")
                return

    threads = [
        threading.Thread(target=device, args=pair) for pair in zip(tokens, journals, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if failures:
        raise SystemExit(f"uploads failed: {failures[:3]}")
    return time.perf_counter() - started


def resend_first_batches(port: int, tokens: list[str], journals: list[list[dict[str, Any]]]) -> int:
    """Send each device's first batch again; how many taps the server stored anew (0)."""
    stored = 0
    for token, rows in zip(tokens, journals, strict=True):
        _, answer = post(
            port,
            "/api/v1/device/taps",
            {"taps": rows[:BATCH]},
            {"Authorization": f"Device {token}"},
        )
        stored += int(answer["stored"])
    return stored


def copy_floor(url: str, journals: list[list[dict[str, Any]]]) -> float:
    """Seconds for a bare COPY of the same rows into an empty table made like ``tap``."""
    received = datetime.now(UTC)
    with psycopg.connect(libpq(url)) as connection:
        connection.execute("CREATE TABLE tap_floor (LIKE tap INCLUDING ALL)")
        connection.commit()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY tap_floor ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for number, rows in enumerate(journals):
                for row in rows:
                    tapped = datetime.fromtimestamp(row["at"] / 1000, UTC)
                    copy.write_row(
                        [f"gate-{number:02d}", row["seq"], row["nonce"], tapped, received,
                         row["kind"], row["fingerprint"], row["ticket_id"], row["product_id"],
                         row["allowed"], row["reason"], row["bundle_version"]]
                    )  # fmt: skip
        connection.commit()
        return time.perf_counter() - started


def stored_once(url: str) -> tuple[int, int]:
    """(taps on the server, distinct (device, nonce) among them)."""
    with psycopg.connect(libpq(url)) as connection:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT (device_id, nonce)) FROM tap"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def serve(url: str, folder: str, port: int) -> None:
    """Run the server in the foreground (a child process of the benchmark)."""
    settings = Settings(
        database_url=url,
        bind=f"127.0.0.1:{port}",
        workers=WORKERS,
        log_level="WARNING",
        signing_keys_file=str(Path(folder) / "signing-keys.json"),
    )
    GunicornServer(settings, jobs=False).run()


def main() -> None:
    """Run the benchmark and print its figures."""
    total = DEVICES * TAPS_PER_DEVICE
    with (
        fresh_database("faregate_taps") as url,
        tempfile.TemporaryDirectory(prefix="faregate-taps-") as folder,
    ):
        init_keyring(Path(folder) / "signing-keys.json", datetime.now(UTC))
        database = Database(url)
        upgrade(database.engine)
        feeds.import_feed(
            database,
            SAMPLE_FEED,
            filename="sample",
            now=datetime.now(UTC),
            today=date(2008, 6, 1),
            publish=True,
        )
        tokens = provision(database, datetime.now(UTC))
        database.dispose()
        journals = [journal(number) for number in range(DEVICES)]
        with served(__file__, url, folder) as port:
            print(
                f"server on port {port}, {WORKERS} workers; {DEVICES} devices x "
                f"{TAPS_PER_DEVICE} taps, batches of {BATCH}",
                flush=True,
            )
            seconds = upload_all(port, tokens, journals)
            print(f"uploaded {total} taps in {seconds:.1f} s", flush=True)
            again = resend_first_batches(port, tokens, journals)
        count, distinct = stored_once(url)
        print(
            f"resent first batches stored {again} new taps; server holds {count} taps, "
            f"{distinct} distinct",
            flush=True,
        )
        if (again, count, distinct) != (0, total, total):
            raise SystemExit("taps were lost or stored twice")
        floor = copy_floor(url, journals)
        print(f"bare COPY of the same rows: {floor:.2f} s", flush=True)
    taps_per_s, copy_per_s = total / seconds, total / floor
    figures = {
        "taps_per_s": round(taps_per_s),
        "copy_rows_per_s": round(copy_per_s),
        "ratio": round(taps_per_s / copy_per_s, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
