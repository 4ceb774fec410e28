"""``faregate check`` and its checks (``backend.services.consistency*``) on real databases:
a database filled through the app passes, and each invariant broken by SQL written around the
app (with the database's own guard dropped where it has one) fails, naming what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from backend.cli import cli
from backend.db import make_engine
from backend.services.consistency import (
    CheckOptions,
    CheckResult,
    Status,
    all_passed,
    run_checks,
)
from tests.harness import postgres
from tests.harness.filled_database import (
    DEVICE,
    SEATED_TRIP,
    STANDING_TRIP,
    Filled,
    clone,
    execute,
    fill,
    query,
)

CHECKS = (
    "seat_overlaps",
    "leg_capacity",
    "booking_claims",
    "stale_holds",
    "tap_journals",
    "deny_list",
)


def run(database_url: str, *args: str) -> Result:
    """The ``faregate`` command on ``database_url``."""
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def sqlite_filled(
    tmp_path_factory: pytest.TempPathFactory, signing_keys_file: str
) -> tuple[str, Filled]:
    """An SQLite database filled through the app, cloned by each test."""
    folder = tmp_path_factory.mktemp("sqlite-filled")
    url = f"sqlite:///{folder / 'faregate.db'}"
    return url, fill(url, folder / "app", signing_keys_file)


@pytest.fixture(scope="module")
def postgres_filled(
    postgres_server: URL, tmp_path_factory: pytest.TempPathFactory, signing_keys_file: str
) -> Iterator[tuple[str, Filled]]:
    """A PostgreSQL database filled through the app, the template of each test's."""
    url = postgres.create_database(postgres_server, prefix="faregate_checks")
    folder = tmp_path_factory.mktemp("postgres-filled")
    database = url.render_as_string(hide_password=False)
    try:
        yield database, fill(database, folder / "app", signing_keys_file)
    finally:
        postgres.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Filled]]:
    """A copy of the filled database of each backend, for this test to break."""
    url, filled = request.getfixturevalue(f"{request.param}_filled")
    copy = clone(url, tmp_path)
    yield copy, filled
    if request.param == "postgres":
        postgres.drop_database(make_url(copy))


@pytest.fixture
def at(world: tuple[str, Filled]) -> datetime:
    """A time at which the filled database's tickets are all still valid."""
    url, _ = world
    ((until,),) = query(url, "SELECT min(valid_until) FROM ticket")
    return utc(until) - timedelta(minutes=30)


def utc(value: datetime | str) -> datetime:
    """A time read with plain SQL (SQLite gives text without an offset) as aware UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def checked(url: str, at: datetime, **options: timedelta) -> dict[str, CheckResult]:
    """Every check's result at ``at``, by name."""
    engine = make_engine(url)
    try:
        results = run_checks(engine, CheckOptions(now=at, **options))
    finally:
        engine.dispose()
    assert [result.name for result in results] == list(CHECKS)
    return {result.name: result for result in results}


def subjects(result: CheckResult) -> set[str]:
    """What a result's findings are about."""
    return {finding.subject for finding in result.findings}


def details(result: CheckResult) -> str:
    """A result's findings as one text."""
    return "\n".join(f"{f.subject}: {f.detail}" for f in result.findings)


def test_a_database_filled_through_the_app_passes_every_check(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, _ = world
    results = checked(url, at)
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(
        CHECKS, Status.OK
    )
    assert "3 live seat claims" in results["seat_overlaps"].summary
    assert "2 confirmed bookings" in results["booking_claims"].summary
    assert "6 taps from 1 device" in results["tap_journals"].summary
    assert "1 denied ticket" in results["deny_list"].summary

    result = run(url, "check")
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.output.splitlines()] == [
        ["OK", f"{name}:"] for name in CHECKS
    ]
    document = json.loads(run(url, "check", "--json").output)
    assert document["ok"] is True
    assert [check["status"] for check in document["checks"]] == ["ok"] * len(CHECKS)


def _drop_overlap_guard(url: str) -> None:
    if url.startswith("sqlite"):
        execute(url, "DROP TRIGGER ex_seat_claim_no_overlap")
    else:
        execute(url, "ALTER TABLE seat_claim DROP CONSTRAINT ex_seat_claim_no_overlap")


def test_overlapping_live_seat_claims_fail_and_name_the_seat(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    seat = filled.seated["passengers"][0]["seat"]
    claim = (
        "INSERT INTO seat_claim (hold_id, trip_instance, seat, board, alight, expires_at) "
        "VALUES (:hold, :trip, :seat, 0, 1, :expires)"
    )
    values = {"hold": filled.held["id"], "trip": SEATED_TRIP, "seat": seat}
    with pytest.raises(IntegrityError):  # the database's own guard refuses it
        execute(url, claim, **values, expires=None)
    _drop_overlap_guard(url)
    execute(url, claim, **values, expires=at - timedelta(minutes=1))
    assert checked(url, at)["seat_overlaps"].status is Status.OK  # an expired claim is free

    execute(url, claim, **values, expires=None)
    result = checked(url, at)["seat_overlaps"]
    assert result.status is Status.FAIL
    assert result.problems == 1
    assert subjects(result) == {f"{SEATED_TRIP} seat {seat}"}
    assert f"(hold {filled.held['id']}, legs 0-1)" in details(result)
    assert run(url, "check").exit_code == 1


def test_leg_places_that_disagree_with_their_claims_fail(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    execute(
        url,
        "UPDATE leg_capacity SET used = used + 1 "
        "WHERE trip_instance = :trip AND seat_class = 'standing' AND leg = 1",
        trip=STANDING_TRIP,
    )
    execute(
        url,
        "INSERT INTO place_claim (hold_id, trip_instance, seat_class, board, alight, places) "
        "VALUES (:hold, :trip, 'first', 0, 2, 1)",
        hold=filled.held["id"],
        trip=STANDING_TRIP,
    )
    result = checked(url, at)["leg_capacity"]
    assert result.status is Status.FAIL
    assert subjects(result) == {f"{STANDING_TRIP} standing leg 1", f"{STANDING_TRIP} first"}
    assert "used 3 of capacity 3, but its place claims hold 2" in details(result)
    assert "covers legs with no capacity row" in details(result)


def test_bookings_whose_claims_went_missing_or_linger_fail(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    seated, standing, cancelled = filled.seated, filled.standing, filled.cancelled
    execute(url, "DELETE FROM seat_claim WHERE hold_id = :hold", hold=seated["hold_id"])
    execute(
        url, "UPDATE place_claim SET places = 1 WHERE hold_id = :hold", hold=standing["hold_id"]
    )
    _drop_overlap_guard(url)
    execute(
        url,
        "INSERT INTO seat_claim (hold_id, trip_instance, seat, board, alight) "
        "VALUES (:hold, :trip, '2D', 0, 1)",
        hold=cancelled["hold_id"],
        trip=SEATED_TRIP,
    )
    result = checked(url, at)["booking_claims"]
    assert result.status is Status.FAIL
    text = details(result)
    assert f"booking {seated['reference']}: 2 travelers, but 0 seat claims" in text
    assert f"booking {standing['reference']}: 2 travelers, but place claims hold 1" in text
    assert "which the booking does not claim" in text
    assert f"still claimed by cancelled booking {cancelled['reference']}" in text
    assert run(url, "check").exit_code == 1


def test_a_hold_left_held_past_its_expiry_is_a_warning(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    hold = filled.held["id"]
    now = datetime.now(UTC)
    execute(
        url,
        "UPDATE hold SET expires_at = :at WHERE id = :hold",
        at=now - timedelta(hours=1),
        hold=hold,
    )
    result = run(url, "check")
    assert result.exit_code == 0, result.output  # a warning passes
    assert "WARN  stale_holds: 1 hold expired more than 10 min ago" in result.output
    assert f"hold {hold}: on {SEATED_TRIP}, expired 60 min ago and still held" in result.output
    assert "OK    stale_holds" in run(url, "check", "--sweep-grace-minutes", "90").output


def test_journal_gaps_duplicates_and_lost_acknowledged_taps_fail(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, _ = world
    execute(
        url,
        "DELETE FROM tap WHERE sequence IN (3, 4)",
        "INSERT INTO tap (device_id, sequence, nonce, tapped_at, received_at, media_kind, "
        "fingerprint, allowed) SELECT device_id, sequence, 'another-nonce', tapped_at, "
        "received_at, media_kind, fingerprint, allowed FROM tap WHERE sequence = 5",
        "UPDATE device SET acked_sequence = 9",
    )
    result = run(url, "check", "--json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["ok"] is False
    (journals,) = [check for check in document["checks"] if check["name"] == "tap_journals"]
    assert journals["status"] == "fail"
    assert journals["findings"] == [
        {"subject": f"device {DEVICE}", "detail": "missing 3-4; duplicated 5 (2 taps)"},
        {
            "subject": f"device {DEVICE}",
            "detail": "acknowledged up to sequence 9, but taps are stored only up to 6: "
            "the device deleted taps the server does not have",
        },
    ]
    others = [check["status"] for check in document["checks"] if check["name"] != "tap_journals"]
    assert others == ["ok"] * (len(CHECKS) - 1)


def test_a_journal_starting_past_one_is_a_warning(world: tuple[str, Filled], at: datetime) -> None:
    url, _ = world
    execute(url, "DELETE FROM tap WHERE sequence = 1")
    result = checked(url, at)["tap_journals"]
    assert result.status is Status.WARN
    assert details(result) == f"device {DEVICE}: journal starts at sequence 2, not 1"


def test_a_cancelled_ticket_missing_from_the_deny_list_fails(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    (ticket,) = filled.cancelled["passengers"]
    execute(url, "DELETE FROM deny_entry")
    result = checked(url, at)["deny_list"]
    assert result.status is Status.FAIL
    assert details(result) == (
        f"ticket {ticket['ticket_id']}: revoked but not on the deny list devices receive"
    )
    after_validity = at + timedelta(days=30)  # a ticket past its validity needs no denying
    assert checked(url, after_validity)["deny_list"].status is Status.OK


def test_a_good_ticket_on_the_deny_list_fails(world: tuple[str, Filled], at: datetime) -> None:
    url, filled = world
    good = filled.seated["passengers"][0]["ticket_id"]
    execute(
        url,
        "INSERT INTO deny_entry (kind, value, reason, added_at) "
        "VALUES ('ticket', :good, 'cancelled', :at), ('ticket', 'feedc0de', 'cancelled', :at)",
        good=good,
        at=at,
    )
    execute(
        url,
        "UPDATE deny_entry SET expires_at = :soon WHERE value <> :good AND value <> 'feedc0de'",
        soon=at + timedelta(minutes=1),
        good=good,
    )
    result = checked(url, at)["deny_list"]
    assert result.status is Status.FAIL
    text = details(result)
    reference = filled.seated["reference"]
    assert f"ticket {good}: denied, but it is of confirmed booking {reference}" in text
    assert "names feedc0de, which is no known ticket" in text
    (cancelled,) = filled.cancelled["passengers"]
    assert f"ticket {cancelled['ticket_id']}: its deny entry expires at" in text


def test_tickets_of_a_cancelled_trip_must_be_denied_once_it_is_reaccommodated(
    world: tuple[str, Filled], at: datetime
) -> None:
    url, filled = world
    execute(
        url,
        "INSERT INTO trip_cancellation (trip_instance, trip_id, route_id, service_date, source, "
        "reason, cancelled_at, status, rebooked, refunded) "
        "VALUES (:trip, 'AB1', 'AB', :day, 'operator', 'storm', :at, 'pending', 0, 0)",
        trip=SEATED_TRIP,
        day=datetime(2008, 6, 2).date(),
        at=at,
    )
    pending = checked(url, at)["deny_list"]
    assert pending.status is Status.WARN
    tickets = {f"ticket {p['ticket_id']}" for p in filled.seated["passengers"]}
    assert subjects(pending) == tickets
    assert "re-accommodation pending" in details(pending)

    execute(url, "UPDATE trip_cancellation SET status = 'done', done_at = :at", at=at)
    done = checked(url, at)["deny_list"]
    assert done.status is Status.FAIL
    assert subjects(done) == tickets
    assert f"still confirmed on cancelled trip {SEATED_TRIP}" in details(done)
    assert not all_passed(checked(url, at).values())


def test_check_refuses_a_database_it_cannot_read_as_this_version_would(
    tmp_path: Path,
) -> None:
    unreachable = run("postgresql://postgres@127.0.0.1:1/none", "check")
    assert unreachable.exit_code == 1
    assert "error [database_unreachable]" in unreachable.stderr
    url = f"sqlite:///{tmp_path / 'faregate.db'}"
    assert "error [database_not_migrated]" in run(url, "check").stderr
    assert run(url, "db", "upgrade", "--revision", "0004").exit_code == 0
    behind = run(url, "check")
    assert behind.exit_code == 1
    assert "error [database_not_current]" in behind.stderr
    assert "run `faregate db upgrade` first" in behind.stderr
