"""Fifty travelers on fifty connections race for the last seats: the database lets no seat-leg
be sold twice, and with its guard switched off the same race does oversell (so the test sees
an oversell when there is one)."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from backend.db import Database
from backend.errors import ServiceError
from backend.jobs import inventory_for
from backend.models import Hold
from backend.services import bookings, feeds, reservations
from backend.services.bookings import Passenger
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from backend.settings import Settings
from tests.harness.feeds import SAMPLE_FEED

CLIENTS = 50
# Each client takes a connection of its own, from one pool or the other (the one-statement
# writes have a pool of their own); few are kept open once returned, so that the two pools
# together never hold a connection per client each, near the server's max_connections.
POOL = 5
NOW = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
SEAT_MAP = """
default = true

[[rows]]
first = 1
last = 2
pattern = "AB_CD"

[unassigned]
standing = 5
"""
STANDING = 5
RACED = "CITY1@2008-06-02T06:30:00"
CONTROL = "CITY1@2008-06-02T07:00:00"
NO_OVERLAP = "ex_seat_claim_no_overlap"


@pytest.fixture
def race_inventory(
    database_url: str, tmp_path: Path, signing_keys_file: str
) -> Iterator[Inventory]:
    maps = tmp_path / "seatmaps"
    maps.mkdir()
    (maps / "minibus.toml").write_text(SEAT_MAP)
    settings = Settings(
        database_url=database_url,
        log_level="WARNING",
        seatmap_dir=str(maps),
        signing_keys_file=signing_keys_file,
    )
    database = Database(database_url, pool_size=POOL, max_overflow=CLIENTS)
    feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=NOW, today=date(2008, 6, 1), publish=True
    )
    yield inventory_for(settings, database)
    database.dispose()


def book_one(
    inventory: Inventory, request: HoldRequest, start: threading.Barrier | None = None
) -> str:
    """Hold what ``request`` asks for and confirm it; the outcome's code."""
    if start is not None:
        start.wait()
    try:
        held = reservations.create_hold(inventory, request, NOW)
        bookings.confirm(
            inventory,
            held.body["id"],
            passengers=[Passenger(f"Racer {n}") for n in range(held.body["party"])],
            email="racer@example.org",
            now=NOW,
        )
    except ServiceError as refusal:
        return f"{refusal.status} {refusal.code}"
    return "booked"


def race(inventory: Inventory, trip_instance: str) -> Counter[str]:
    """Leave three seats free on the raced legs, then let every client try for one at once."""
    for seat, (origin, destination) in {
        "1A": ("STAGECOACH", "EMSI"),
        "1B": ("NANAA", "NADAV"),
        "1C": ("STAGECOACH", "NANAA"),
        "1D": ("NANAA", "DADAN"),
        "2A": ("STAGECOACH", "NADAV"),
    }.items():
        early = HoldRequest(trip_instance, origin, destination, seats=(seat,))
        assert book_one(inventory, early) == "booked"
    return rush(inventory, HoldRequest(trip_instance, "STAGECOACH", "NADAV", party=1))


def rush(inventory: Inventory, request: HoldRequest) -> Counter[str]:
    """Every client asks for ``request`` at once; their outcomes by code."""
    start = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def client() -> None:
        try:
            outcomes.append(book_one(inventory, request, start))
        except BaseException as error:  # anything but a refusal is a failure of the test
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert len(outcomes) == CLIENTS, f"{CLIENTS - len(outcomes)} clients never answered"
    return Counter(outcomes)


def oversold(database: Database, trip_instance: str) -> int:
    """Pairs of live claims on one seat whose leg ranges overlap."""
    with database.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM seat_claim a JOIN seat_claim b "
                "ON a.trip_instance = b.trip_instance AND a.seat = b.seat AND a.id < b.id "
                "AND a.board < b.alight AND b.board < a.alight "
                "WHERE a.trip_instance = :trip"
            ),
            {"trip": trip_instance},
        ).scalar_one()


def test_exactly_the_free_seats_are_sold(race_inventory: Inventory) -> None:
    outcomes = race(race_inventory, RACED)
    assert outcomes["booked"] == 3, outcomes  # 2B, 2C and 2D
    refused = {code for code in outcomes if code != "booked"}
    assert refused <= {"409 sold_out", "409 seat_taken", "503 busy_try_again"}, outcomes
    assert outcomes["409 sold_out"] >= 1
    assert oversold(race_inventory.database, RACED) == 0


def most_standing(database: Database, trip_instance: str) -> int:
    """The most standing places claimed on any one leg, counted from the claims themselves."""
    with database.engine.connect() as connection:
        claims = connection.execute(
            text(
                "SELECT board, alight, places FROM place_claim "
                "WHERE trip_instance = :trip AND seat_class = 'standing'"
            ),
            {"trip": trip_instance},
        ).all()
    taken: Counter[int] = Counter()
    for board, alight, places in claims:
        for leg in range(board, alight):
            taken[leg] += places
    return max(taken.values(), default=0)


def test_exactly_the_free_standing_places_are_sold(race_inventory: Inventory) -> None:
    # One place is taken from STAGECOACH to NANAA and one from NANAA to NADAV, so four of the
    # five are free on each raced leg: two parties of two fit, and no more.
    for origin, destination in (("STAGECOACH", "NANAA"), ("NANAA", "NADAV")):
        early = HoldRequest(RACED, origin, destination, seat_class="standing", party=1)
        assert book_one(race_inventory, early) == "booked"
    outcomes = rush(
        race_inventory, HoldRequest(RACED, "STAGECOACH", "NADAV", seat_class="standing", party=2)
    )
    assert outcomes["booked"] == 2, outcomes
    refused = {code for code in outcomes if code != "booked"}
    assert refused <= {"409 sold_out", "503 busy_try_again"}, outcomes
    assert outcomes["409 sold_out"] >= 1
    assert most_standing(race_inventory.database, RACED) == STANDING


@contextmanager
def legs_locked_elsewhere(database: Database, trip_instance: str) -> Iterator[None]:
    """Another connection holds the locks a standing hold on ``trip_instance`` needs: the
    trip's leg rows on PostgreSQL, the database's write lock on SQLite."""
    url = database.engine.url
    other: sqlite3.Connection | psycopg.Connection[tuple[object, ...]]
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(str(url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        other.execute(
            "SELECT 1 FROM leg_capacity WHERE trip_instance = %s FOR UPDATE", (trip_instance,)
        )
    try:
        yield
    finally:
        other.rollback()
        other.close()


def test_a_hold_that_cannot_get_its_locks_in_time_is_told_to_try_again(
    race_inventory: Inventory,
) -> None:
    early = HoldRequest(RACED, "STAGECOACH", "NANAA", seat_class="standing", party=1)
    assert book_one(race_inventory, early) == "booked"  # the trip's leg rows now exist
    hurried = dataclasses.replace(race_inventory, lock_timeout_ms=300)
    wanted = HoldRequest(RACED, "STAGECOACH", "NADAV", seat_class="standing", party=2)
    with race_inventory.database.sessions() as session:
        holds_before = session.scalar(select(func.count()).select_from(Hold))
    with (
        legs_locked_elsewhere(race_inventory.database, RACED),
        pytest.raises(ServiceError) as refused,
    ):
        reservations.create_hold(hurried, wanted, NOW)
    assert (refused.value.status, refused.value.code) == (503, "busy_try_again")
    with race_inventory.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Hold)) == holds_before
    assert most_standing(race_inventory.database, RACED) == 1
    # Once the locks are free, the same request goes through.
    assert book_one(hurried, wanted) == "booked"
    assert most_standing(race_inventory.database, RACED) == 3


@pytest.mark.postgres
def test_without_the_guard_the_same_race_oversells(
    postgres_url: str, tmp_path: Path, request: pytest.FixtureRequest, signing_keys_file: str
) -> None:
    request.getfixturevalue("postgres_database")  # a clean, migrated database
    maps = tmp_path / "seatmaps"
    maps.mkdir()
    (maps / "minibus.toml").write_text(SEAT_MAP)
    settings = Settings(
        database_url=postgres_url,
        log_level="WARNING",
        seatmap_dir=str(maps),
        signing_keys_file=signing_keys_file,
    )
    database = Database(postgres_url, pool_size=POOL, max_overflow=CLIENTS)
    feeds.import_feed(
        database, SAMPLE_FEED, filename="sample", now=NOW, today=date(2008, 6, 1), publish=True
    )
    with database.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE seat_claim DROP CONSTRAINT {NO_OVERLAP}"))
    try:
        outcomes = race(inventory_for(settings, database), CONTROL)
        assert outcomes["booked"] > 3, outcomes
        assert oversold(database, CONTROL) > 0
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM seat_claim"))
            connection.execute(
                text(
                    f"ALTER TABLE seat_claim ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist "
                    "(trip_instance WITH =, seat WITH =, int4range(board, alight) WITH &&)"
                )
            )
        database.dispose()
