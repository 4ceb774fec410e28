"""Booking rush benchmark: hold + confirm under gunicorn on PostgreSQL, against a floor.

In one run it
  (a) starts the app under gunicorn (``faregate serve``'s server, 4 sync workers) on a fresh
      PostgreSQL database holding the bundled sample feed plus 102 daily trips of 20 stops,
      each reserved on a 300-seat train, and one extra endpoint, the floor:
      ``POST /api/bench/floor`` does one trivial INSERT per request in the same stack;
  (b) warms the server up with WARM_UP bookings on a trip of their own, untimed: the figures
      are those of a server in service, not of workers loading the timetable, the fares and
      their statements for their first requests (a cold worker's first booking takes about
      0.1 s, which 32 waiting clients would all feel);
  (c) fires ATTEMPTS bookings (a hold with an assigned seat, then its confirmation) from
      CLIENTS concurrent clients, each for one leg, first all at one hot trip instance
      (``hot``), then spread over 100 trip instances (``spread``), each with throughput,
      latency of the pair and refusals by code. Each case runs in ROUNDS slices, with a slice
      of the floor before each and after the last, and a case's ``floor_rps`` counts those
      floor slices: the case and its floor thus share the same stretches of the run, and a
      machine whose speed drifts (a shared one does) skews no ratio;
  (d) counts, with SQL, seat-legs sold twice (``oversold``, which must be 0);
  (e) times ``inventory.assignment.assign_seats`` for a party of 4 on a 60-seat coach over 20
      stops with 70 % of seat-legs taken (median of 21 solves, ``assign_ms``).
The last line printed is one JSON object with the figures.

PostgreSQL: ``FAREGATE_BENCH_PG_URL`` (default: postgres on 127.0.0.1:5432); the benchmark
creates and drops its own database there. Loopback only; bounded in requests and time.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from flask import Blueprint, Flask
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served_app import SAMPLE_FEED, fresh_database, libpq, post, served  # noqa: E402

from backend import db  # noqa: E402
from backend.cli.serve import GunicornServer  # noqa: E402
from backend.db import Database  # noqa: E402
from backend.schema import upgrade  # noqa: E402
from backend.services import feeds  # noqa: E402
from backend.services.signing_keys import init_keyring  # noqa: E402
from backend.settings import Settings  # noqa: E402
from inventory.assignment import SeatRequest, assign_seats  # noqa: E402
from inventory.availability import free_seats  # noqa: E402
from inventory.legs import LegRange  # noqa: E402
from inventory.seatmap_files import parse_seat_map  # noqa: E402

CLIENTS = 32
ATTEMPTS = 5000
FLOOR_REQUESTS = 5000  # per case, over its ROUNDS + 1 floor slices
ROUNDS = 5
WORKERS = 4
TIMEOUT_S = 600
DAY = "2008-06-02"
STOPS = 20
TRIPS = 102  # RUSH000 is the hot trip, RUSH001 to RUSH100 the spread ones, RUSH101 the warm-up's
HOT_TRIP = f"RUSH000@{DAY}"
WARM_UP_TRIP = f"RUSH101@{DAY}"
WARM_UP = 400  # bookings, so that every worker has served some before anything is timed
# A 300-seat train (75 rows of 2+2) on every RUSH trip: 300 seats x 19 legs leaves room for
# 5,000 one-leg bookings at the hot trip.
TRAIN = """
description = "Benchmark train: 75 rows of 2+2"
default = true

[[rows]]
first = 1
last = 75
pattern = "AB_CD"
"""


def rush_feed(folder: Path) -> Path:
    """The sample feed plus TRIPS daily trips over STOPS new stops, written to ``folder``."""
    feed = folder / "feed"
    shutil.copytree(SAMPLE_FEED, feed)
    for name in ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt"):
        text_ = (feed / name).read_text()
        if not text_.endswith("\n"):
            (feed / name).write_text(text_ + "\n")
    stops = [f"R{number:02d}" for number in range(STOPS)]
    with (feed / "stops.txt").open("a") as handle:
        for number, stop in enumerate(stops):
            handle.write(f"{stop},Rush {number},,36.{number:02d},-116.5,,\n")
    with (feed / "routes.txt").open("a") as handle:
        handle.write("RUSH,DTA,99,Rush line,,2,,,\n")
    with (feed / "trips.txt").open("a") as handle:
        for trip in range(TRIPS):
            handle.write(f"RUSH,FULLW,RUSH{trip:03d},Rush,0,,\n")
    with (feed / "stop_times.txt").open("a") as handle:
        for trip in range(TRIPS):
            for number, stop in enumerate(stops):
                minutes = 6 * 60 + trip * 5 + number * 10
                time_ = f"{minutes // 60}:{minutes % 60:02d}:00"
                handle.write(f"RUSH{trip:03d},{time_},{time_},{stop},{number + 1},,,,\n")
    return feed


# --- the server ----------------------------------------------------------------------------


floor = Blueprint("bench_floor", __name__)


@floor.post("/api/bench/floor")  # under /api, as the booking endpoints are
def floor_insert() -> tuple[str, int]:
    """One trivial INSERT, through the same app, pool and session machinery."""
    session = db.session()
    session.execute(text("INSERT INTO bench_floor (at) VALUES (now())"))
    session.commit()
    return "", 204


class BenchServer(GunicornServer):
    """The production server with the floor endpoint added."""

    def load(self) -> Flask:
        """The app, as each worker of ``faregate serve`` builds it, plus the floor blueprint."""
        app = super().load()
        app.register_blueprint(floor)
        return app


def serve(url: str, folder: str, port: int) -> None:
    """Run the server in the foreground (in a child process of the benchmark)."""
    settings = Settings(
        database_url=url,
        bind=f"127.0.0.1:{port}",
        workers=WORKERS,
        log_level="WARNING",
        seatmap_dir=str(Path(folder) / "seatmaps"),
        signing_keys_file=str(Path(folder) / "signing-keys.json"),
        # The benchmark measures booking throughput, all of it from one client address: the
        # per-address rate limits would refuse it by design.
        rate_limits_enabled=False,
    )
    BenchServer(settings, jobs=False).run()


# --- the clients ---------------------------------------------------------------------------


def run_clients(
    work: list[Callable[[], tuple[str, float]]],
) -> tuple[float, list[float], Counter[str]]:
    """Run ``work`` items on CLIENTS threads; (seconds, latencies in ms, outcomes)."""
    pending = list(reversed(work))
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()

    def client() -> None:
        while True:
            with lock:
                if not pending:
                    return
                item = pending.pop()
            outcome, milliseconds = item()
            with lock:
                outcomes[outcome] += 1
                latencies.append(milliseconds)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT_S)
    return time.perf_counter() - started, latencies, outcomes


def floor_request(port: int) -> Callable[[], tuple[str, float]]:
    """One floor request, as a work item."""

    def call() -> tuple[str, float]:
        started = time.perf_counter()
        status, _ = post(port, "/api/bench/floor", None)
        return ("ok" if status == 204 else str(status)), (time.perf_counter() - started) * 1000

    return call


def run_case(
    port: int, work: list[Callable[[], tuple[str, float]]]
) -> tuple[tuple[float, list[float], Counter[str]], float]:
    """Run ``work`` in ROUNDS slices between slices of the floor: the case's (seconds,
    latencies, outcomes), and the floor's requests per second over its slices."""
    floor_slice = [floor_request(port)] * (FLOOR_REQUESTS // (ROUNDS + 1))
    size = -(-len(work) // ROUNDS)  # consecutive slices, each as varied as the whole
    floor_seconds, floor_ok = 0.0, 0
    seconds, latencies, outcomes = 0.0, [], Counter[str]()
    for round_ in range(ROUNDS + 1):
        spent, _, answered = run_clients(floor_slice)
        floor_seconds += spent
        floor_ok += answered.pop("ok", 0)
        if answered:
            print(f"floor refusals: {dict(answered)}", flush=True)
        if round_ < ROUNDS:
            spent, waited, got = run_clients(work[round_ * size : (round_ + 1) * size])
            seconds += spent
            latencies += waited
            outcomes += got
    rate = floor_ok / floor_seconds
    print(f"floor: {rate:.0f} requests/s over {floor_ok} requests", flush=True)
    return (seconds, latencies, outcomes), rate


def booking(
    port: int, trip_instance: str, legs: tuple[str, str]
) -> Callable[[], tuple[str, float]]:
    """One booking attempt (hold one assigned seat, confirm it), as a work item."""

    def call() -> tuple[str, float]:
        started = time.perf_counter()
        status, held = post(
            port,
            "/api/v1/holds",
            {"trip_instance": trip_instance, "from": legs[0], "to": legs[1], "party": 1},
        )
        if status != 201:
            return held.get("error", {}).get("code", str(status)), _since(started)
        status, booked = post(
            port,
            "/api/v1/bookings",
            {
                "hold_id": held["id"],
                "contact_email": "rush@example.org",
                "passengers": [{"name": "Rush"}],
            },
        )
        if status != 201:
            return booked.get("error", {}).get("code", str(status)), _since(started)
        return "booked", _since(started)

    return call


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def one_leg(index: int) -> tuple[str, str]:
    """The ``index``-th one-leg journey of a RUSH trip, round robin over its legs."""
    leg = index % (STOPS - 1)
    return f"R{leg:02d}", f"R{leg + 1:02d}"


def figures(
    seconds: float, latencies: list[float], outcomes: Counter[str], floor_rps: float
) -> dict[str, Any]:
    """One case's figures."""
    ordered = sorted(latencies)
    booked = outcomes.pop("booked", 0)
    rate = booked / seconds
    return {
        "bookings": booked,
        "bookings_per_s": round(rate, 1),
        "floor_rps": round(floor_rps, 1),
        "ratio": round(rate / floor_rps, 3),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
        "errors": dict(outcomes),
    }


def oversold(url: str) -> int:
    """Seat-legs claimed twice (pairs of overlapping claims on one seat)."""
    with psycopg.connect(libpq(url)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM seat_claim a JOIN seat_claim b "
            "ON a.trip_instance = b.trip_instance AND a.seat = b.seat AND a.id < b.id "
            "AND int4range(a.board, a.alight) && int4range(b.board, b.alight)"
        ).fetchone()
    return int(row[0]) if row else -1


def assign_ms() -> float:
    """Median ms to seat a party of 4 on a 60-seat coach, 20 stops, 70 % of seat-legs taken."""
    coach = parse_seat_map(
        "coach-60",
        'default = true\n[[rows]]\nfirst = 1\nlast = 15\npattern = "AB_CD"\n',
    )
    stops, legs = 20, LegRange(8, 12)
    rng = random.Random(7)  # noqa: S311 - a repeatable scenario, not a secret
    timings: list[float] = []
    while len(timings) < 21:
        taken: dict[str, list[LegRange]] = {}
        target = int(0.7 * len(coach.seats) * (stops - 1))
        occupied = 0
        while occupied < target:
            seat = rng.choice(coach.seats).label
            board = rng.randrange(stops - 1)
            new = LegRange(board, rng.randrange(board + 1, min(stops - 1, board + 8) + 1))
            if any(new.overlaps(old) for old in taken.get(seat, [])):
                continue
            taken.setdefault(seat, []).append(new)
            occupied += len(new)
        if len(free_seats(coach, taken, legs)) < 4:
            continue  # this draw left no four seats on these legs; draw another
        started = time.perf_counter()
        assign_seats(coach, taken, SeatRequest(party=4, legs=legs), stop_count=stops)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def main() -> None:
    """Run the benchmark and print its figures."""
    with (
        fresh_database("faregate_rush") as url,
        tempfile.TemporaryDirectory(prefix="faregate-rush-") as folder,
    ):
        maps = Path(folder) / "seatmaps"
        maps.mkdir()
        (maps / "train.toml").write_text(TRAIN)
        init_keyring(Path(folder) / "signing-keys.json", datetime.now(UTC))
        database = Database(url)
        upgrade(database.engine)
        loaded = feeds.import_feed(
            database,
            rush_feed(Path(folder)),
            filename="rush",
            now=datetime.now(UTC),
            today=date(2008, 6, 1),
            publish=True,
        )
        if not loaded.published:
            raise SystemExit(f"the benchmark feed has errors: {loaded.report.summary()}")
        with database.engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz)")
            )
        database.dispose()
        trips = [f"RUSH{trip:03d}@{DAY}" for trip in range(1, TRIPS - 1)]
        with served(__file__, url, folder) as port:
            print(f"server on port {port}, {WORKERS} workers; {CLIENTS} clients", flush=True)
            run_clients([booking(port, WARM_UP_TRIP, one_leg(i)) for i in range(WARM_UP)])
            hot_run, hot_floor = run_case(
                port, [booking(port, HOT_TRIP, one_leg(i)) for i in range(ATTEMPTS)]
            )
            hot = figures(*hot_run, hot_floor)
            print(f"hot: {hot}", flush=True)
            spread_run, spread_floor = run_case(
                port,
                [
                    booking(port, trips[i % len(trips)], one_leg(i // len(trips)))
                    for i in range(ATTEMPTS)
                ],
            )
            spread = figures(*spread_run, spread_floor)
            print(f"spread: {spread}", flush=True)
            hot["oversold"] = spread["oversold"] = oversold(url)
    result = {"hot": hot, "spread": spread, "assign_ms": assign_ms()}
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
