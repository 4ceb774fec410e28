"""GTFS import benchmark: a 1.3 M stop_times feed into PostgreSQL against a bare COPY floor.

Synthesizes a feed by replicating the trips of the bundled Zakroczym feed under new ids, then
in one run measures
  (a) a bare ``COPY`` of its stop_times.txt into an untyped PostgreSQL table (the floor),
  (b) the import of the whole feed (validate + load + commit) into a fresh PostgreSQL
      database, in a child process, with that process's peak resident memory,
  (c) direct-trip search latency through the API on the imported feed,
  (d) the import of the unreplicated feed into SQLite.
(a) and (b) run ROUNDS times, alternately, and the fastest of each is kept: this machine's
timings wander by a few tenths of a second from one run to the next, and the best of
several runs is the figure least disturbed by that. The last line printed is one JSON object
with the figures.

PostgreSQL: ``FAREGATE_BENCH_PG_URL`` (default: postgres on 127.0.0.1:5432); the benchmark
creates and drops its own databases there.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from backend.app import create_app
from backend.db import Database
from backend.services import feeds
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FEED = ROOT / "tests" / "data" / "gtfs" / "zakroczym-fares-v2" / "gtfs.zip"
TARGET_STOP_TIMES = 1_300_000
SEARCHES = 300
ROUNDS = 5


def synthesize(source: Path, target: Path, copies: int) -> int:
    """Write a feed holding ``copies`` of the network; return its stop_times rows.

    Each copy gets new stop and trip ids (``ID~n``), as if the same town were repeated
    ``copies`` times across a region, so searches between two stops see what a real feed of
    that size would show rather than thousands of identical trips.
    """
    replicated = {
        "stops.txt": ("stop_id",),
        "stop_areas.txt": ("stop_id",),
        "trips.txt": ("trip_id",),
        "stop_times.txt": ("trip_id", "stop_id"),
    }
    rows = 0
    with zipfile.ZipFile(source) as feed, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in feed.namelist():
            text = feed.read(name).decode("utf-8-sig")
            if name not in replicated:
                out.writestr(name, text)
                continue
            reader = csv.reader(io.StringIO(text))
            header = next(reader)
            body = [row for row in reader if row]
            columns = [header.index(column) for column in replicated[name]]
            with (
                out.open(name, "w") as member,
                io.TextIOWrapper(member, "utf-8", newline="") as handle,
            ):
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                for copy in range(copies):
                    for row in body:
                        replica = list(row)
                        for column in columns:
                            replica[column] = f"{row[column]}~{copy}"
                        writer.writerow(replica)
                if name == "stop_times.txt":
                    rows = copies * len(body)
    return rows


def admin(server: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE, CHECKPOINT)."""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)


def libpq(url: str) -> str:
    """``url`` in the form psycopg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bare_copy(database: str, feed: Path, table: str) -> float:
    """Seconds to COPY stop_times.txt into a new all-text ``table`` (the floor)."""
    with zipfile.ZipFile(feed) as archive, psycopg.connect(database) as connection:
        with archive.open("stop_times.txt") as member:
            header = member.readline().decode("utf-8-sig")
        columns = ", ".join(f'"{name.strip()}" text' for name in header.split(","))
        connection.execute(f"CREATE TABLE {table} ({columns})")
        statement = f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
        started = time.perf_counter()
        with (
            archive.open("stop_times.txt") as member,
            connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for chunk in iter(lambda: member.read(1 << 20), b""):
                copy.write(chunk)
        connection.commit()
        return time.perf_counter() - started


def timed_import(url: str, feed: Path, workdir: Path) -> tuple[float, float]:
    """Migrate, then import ``feed`` in a fresh child process; (seconds, peak RSS MiB).

    The child times ``import_feed`` itself (validate + load + commit), not interpreter
    start-up; its peak RSS covers the whole child process.
    """
    env = {**os.environ, "FAREGATE_DATABASE_URL": url, "FAREGATE_LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "backend", "db", "upgrade"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    child = subprocess.run(
        [sys.executable, __file__, "--import-child", url, str(feed)],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["peak_rss_mb"]


def import_child(url: str, feed: Path) -> None:
    """Import ``feed`` into ``url`` and print the elapsed seconds and peak RSS as JSON."""
    database = Database(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    result = feeds.import_feed(
        database, feed, filename=feed.name, now=now, today=now.date(), publish=True
    )
    seconds = time.perf_counter() - started
    if result.version.status != "loaded":
        raise SystemExit(f"the benchmark feed has {result.report.error_count} error(s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))


def search_latency(url: str) -> float:
    """p99 milliseconds of direct-trip searches through the API on the imported feed."""
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    client = app.test_client()
    with psycopg.connect(libpq(url)) as connection:
        pairs = connection.execute(
            "SELECT a.stop_id, b.stop_id FROM gtfs_stop_times a JOIN gtfs_stop_times b "
            "ON a.trip_id = b.trip_id AND b.stop_sequence > a.stop_sequence "
            "WHERE a.trip_id LIKE '%~7' AND a.stop_id <> b.stop_id"
        ).fetchall()
    random.seed(7)
    timings = []
    for origin, destination in random.sample(pairs, min(SEARCHES, len(pairs))):
        started = time.perf_counter()
        response = client.get(
            f"/api/v1/trips/search?from={origin}&to={destination}&date=2026-03-03"
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.json
    timings.sort()
    return timings[int(len(timings) * 0.99) - 1]


def main() -> None:
    """Run the benchmark and print its figures."""
    server = os.environ.get(
        "FAREGATE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    with tempfile.TemporaryDirectory(prefix="faregate-bench-") as folder:
        workdir = Path(folder)
        with zipfile.ZipFile(SOURCE_FEED) as feed:
            text = feed.read("stop_times.txt").decode("utf-8-sig")
            base_rows = sum(1 for line in text.splitlines() if line.strip()) - 1
        copies = -(-TARGET_STOP_TIMES // base_rows)
        big = workdir / "replicated.zip"
        rows = synthesize(SOURCE_FEED, big, copies)
        print(f"synthesized {rows:,} stop_times ({copies} copies of {base_rows} rows)", flush=True)

        name = f"faregate_bench_{uuid.uuid4().hex[:8]}"
        admin(libpq(server), f'CREATE DATABASE "{name}"')
        database = make_url(libpq(server)).set(database=name)
        url = database.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        try:
            copies_s, imports_s, peaks = [], [], []
            for round_number in range(1, ROUNDS + 1):
                # Each measurement starts after a checkpoint, so none pays for flushing what
                # the one before it wrote.
                admin(libpq(url), "CHECKPOINT")
                copies_s.append(bare_copy(libpq(url), big, f"bare_stop_times_{round_number}"))
                admin(libpq(url), "CHECKPOINT")
                seconds, peak = timed_import(url, big, workdir)
                imports_s.append(seconds)
                peaks.append(peak)
                print(
                    f"round {round_number}: bare COPY {copies_s[-1]:.2f} s, "
                    f"validate + import {seconds:.2f} s, peak RSS {peak:.0f} MiB",
                    flush=True,
                )
            copy_s, import_s, peak_rss_mb = min(copies_s), min(imports_s), max(peaks)
            search_p99_ms = search_latency(url)
        finally:
            admin(libpq(server), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        sqlite_import_s, _ = timed_import(f"sqlite:///{workdir / 'bench.db'}", SOURCE_FEED, workdir)
    figures = {
        "stop_times": rows,
        "copy_s": round(copy_s, 3),
        "import_s": round(import_s, 3),
        "ratio": round(import_s / copy_s, 2),
        "rows_per_s": round(rows / import_s),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "search_p99_ms": round(search_p99_ms, 2),
        "sqlite_import_s": round(sqlite_import_s, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--import-child"]:
        import_child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
