"""Two-factor sign-in to the console: enrolment, TOTP codes computed here with pyotp,
recovery codes good once, required for admins; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.clock import utc_now
from backend.db import Database
from backend.models import RecoveryCode, StaffSession, StaffUser
from backend.services import login_throttle, staff_sessions, two_factor
from backend.services.staff_sessions import SessionPolicy
from tests.integration.web.console_session import ConsoleSession, make_staff

ENROL = "/console/account/two-factor"


@pytest.fixture
def console(client: FlaskClient) -> ConsoleSession:
    return ConsoleSession(client)


def secret_on(page_text: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page_text)
    assert found is not None
    return found[1].replace(" ", "")


def recovery_codes_on(page_text: str) -> list[str]:
    return re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", page_text)


def enrol(console: ConsoleSession) -> tuple[str, list[str]]:
    """Set up two-factor sign-in through the pages; the secret and the recovery codes."""
    secret = secret_on(console.get(ENROL).get_data(as_text=True))
    shown = console.submit(ENROL, ENROL, {"code": pyotp.TOTP(secret).now()})
    assert shown.status_code == 200
    return secret, recovery_codes_on(shown.get_data(as_text=True))


def test_an_admin_without_two_factor_is_sent_to_set_it_up_first(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "admin@example.org", "admin")
    assert console.sign_in("admin@example.org").headers["Location"] == "/console/"
    for path in ("/console/", "/console/staff", "/console/devices", "/console/feeds"):
        assert console.get(path).headers["Location"] == ENROL, path
    assert console.get("/console/account").status_code == 200
    assert console.get(ENROL).status_code == 200


def test_enrolment_shows_the_secret_as_qr_and_text_and_needs_a_right_code(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "admin@example.org", "admin")
    console.sign_in("admin@example.org")
    page = console.get(ENROL).get_data(as_text=True)
    secret = secret_on(page)
    assert len(secret) == 32
    assert 'src="data:image/svg+xml' in page
    assert secret_on(console.get(ENROL).get_data(as_text=True)) == secret  # kept while enrolling

    wrong = console.submit(ENROL, ENROL, {"code": "000000"})
    assert wrong.status_code == 200
    assert b"not right" in wrong.data
    session_before = console.client.get_cookie("faregate_session")

    secret, codes = enrol(console)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert console.get("/console/staff").status_code == 200
    assert console.client.get_cookie("faregate_session") != session_before
    assert console.get(ENROL).headers["Location"] == "/console/account"


def test_signing_in_with_a_totp_code(console: ConsoleSession, database: Database) -> None:
    secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    answer = console.sign_in("admin@example.org")
    assert answer.headers["Location"] == "/console/login/code?next=/console/"
    assert console.get("/console/").headers["Location"].startswith("/console/login/code")

    wrong = console.give_code("123456")
    assert wrong.status_code == 200
    assert b"invalid_code" in wrong.data

    right = console.give_code(pyotp.TOTP(secret).now())
    assert right.headers["Location"] == "/console/"
    assert console.get("/console/staff").status_code == 200


def test_a_totp_code_signs_in_once(app: Flask, console: ConsoleSession, database: Database) -> None:
    secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    code = pyotp.TOTP(secret).now()
    console.sign_in("admin@example.org")
    assert console.give_code(code).status_code == 303
    again = ConsoleSession(app.test_client())
    again.sign_in("admin@example.org")
    replayed = again.give_code(code)
    assert replayed.status_code == 200
    assert b"invalid_code" in replayed.data


def test_a_recovery_code_signs_in_once(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    _, codes = enrol(console)
    console.submit("/console/", "/console/logout", {})

    console.sign_in("plan@example.org")
    used = console.give_code(codes[3].lower().replace("-", " "))  # as people type them
    assert used.headers["Location"] == "/console/"
    assert "9 left" in console.get("/console/").get_data(as_text=True)

    again = ConsoleSession(app.test_client())
    again.sign_in("plan@example.org")
    assert b"invalid_code" in again.give_code(codes[3]).data
    assert again.give_code(codes[4]).status_code == 303


def test_recovery_codes_are_stored_as_argon2_hashes(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    _, codes = enrol(console)
    with database.sessions() as session:
        stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert all(value.startswith("$argon2id$") for value in stored)
    assert not {code.replace("-", "") for code in codes} & set(stored)


def test_wrong_codes_count_towards_the_lock(console: ConsoleSession, database: Database) -> None:
    secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    console.sign_in("admin@example.org")
    for _ in range(login_throttle.ACCOUNT_LIMIT):
        assert console.give_code("000000").status_code == 200
    locked = console.give_code(pyotp.TOTP(secret).now())
    assert locked.status_code == 429
    assert b"login_locked" in locked.data


def test_the_code_step_must_come_within_five_minutes(database: Database) -> None:
    make_staff(database, "admin@example.org", "admin", second_factor=True)
    policy = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    start = utc_now()
    with database.sessions() as session:
        user = session.scalar(select(StaffUser))
        assert user is not None
        token = staff_sessions.start(
            session, user, second_factor_due=True, address="a", policy=policy, now=start
        )
        soon = staff_sessions.find(session, token, policy=policy, now=start + timedelta(minutes=4))
        assert soon.staff is not None
        assert soon.staff.second_factor_due
        late = start + staff_sessions.SECOND_FACTOR_TIME
        assert staff_sessions.find(session, token, policy=policy, now=late).expired


def test_admins_keep_two_factor_and_others_may_turn_it_off(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    console.sign_in_fully("admin@example.org", secret)
    code = pyotp.TOTP(secret).at(utc_now() + timedelta(seconds=30))
    refused = console.submit("/console/account", "/console/account/two-factor/off", {"code": code})
    assert refused.status_code == 403
    with database.sessions() as session:
        assert two_factor.status(session, 1).enabled

    planner = ConsoleSession(app.test_client())
    make_staff(database, "plan@example.org", "planner")
    planner.sign_in_fully("plan@example.org")
    planner_secret, _ = enrol(planner)
    later = pyotp.TOTP(planner_secret).at(utc_now() + timedelta(seconds=30))
    off = planner.submit("/console/account", "/console/account/two-factor/off", {"code": later})
    assert off.headers["Location"] == "/console/account"
    assert b"Off" in planner.get("/console/account").data


def test_new_recovery_codes_replace_the_old_ones(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    secret, old = enrol(console)
    later = pyotp.TOTP(secret).at(utc_now() + timedelta(seconds=30))
    page = console.submit("/console/account", "/console/account/recovery-codes", {"code": later})
    new = recovery_codes_on(page.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    with database.sessions() as session:
        assert two_factor.verify(session, 1, old[0], now=utc_now()) is None
        assert two_factor.verify(session, 1, new[0], now=utc_now()) is not None


def test_an_admin_resets_someones_two_factor_and_ends_their_sessions(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    admin_secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    make_staff(database, "plan@example.org", "planner", second_factor=True)
    planner = ConsoleSession(app.test_client())
    with database.sessions() as session:
        planner_id = session.scalar(
            select(StaffUser.id).where(StaffUser.email == "plan@example.org")
        )
    console.sign_in_fully("admin@example.org", admin_secret)

    reset = console.submit("/console/staff", f"/console/staff/{planner_id}/two-factor/reset", {})

    assert reset.headers["Location"] == "/console/staff"
    with database.sessions() as session:
        assert not two_factor.status(session, planner_id).enabled  # type: ignore[arg-type]
        owned = select(StaffSession).where(StaffSession.user_id == planner_id)
        assert session.scalars(owned).all() == []
    planner.sign_in_fully("plan@example.org")  # password alone now
