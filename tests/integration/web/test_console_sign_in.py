"""Staff sign-in to the console: sessions, sign-out, expiry and the rate limits, on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database
from backend.models import LoginFailure, StaffSession, StaffUser
from backend.services import login_throttle, staff_sessions
from backend.services.login_throttle import LoginLockedError
from backend.services.staff_sessions import SessionPolicy
from backend.settings import Settings
from tests.integration.web.console_session import ConsoleSession, csrf_token, make_staff

COOKIE = "faregate_session"


@pytest.fixture
def console(client: FlaskClient) -> ConsoleSession:
    return ConsoleSession(client)


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def test_a_planner_signs_in_and_reaches_the_dashboard(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    assert console.get("/console/").headers["Location"] == "/console/login?next=/console/"

    console.sign_in_fully("plan@example.org")

    dashboard = console.get("/console/")
    assert dashboard.status_code == 200
    assert "plan@example.org" in dashboard.get_data(as_text=True)
    assert dashboard.headers["Cache-Control"] == "no-store"


def test_a_wrong_password_shows_the_form_again_with_its_code(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    answer = console.sign_in("plan@example.org", "not the password")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "invalid_credentials" in page
    assert 'value="plan@example.org"' in page
    assert console.get("/console/").status_code == 303


def test_signing_in_starts_a_fresh_session_and_csrf_token(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    login_page = console.get("/console/login")
    planted, token_before = cookie(console.client), csrf_token(login_page)

    console.sign_in_fully("plan@example.org")

    assert cookie(console.client) != planted
    assert csrf_token(console.get("/console/")) != token_before
    other = app.test_client()  # someone holding the cookie from before signing in
    other.set_cookie(COOKIE, planted)
    assert other.get("/console/").status_code == 303


def test_signing_out_ends_the_session_on_the_server(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    copied = app.test_client()
    copied.set_cookie(COOKIE, cookie(console.client))
    assert copied.get("/console/").status_code == 200

    signed_out = console.submit("/console/", "/console/logout", {})

    assert signed_out.headers["Location"] == "/console/login"
    assert copied.get("/console/").headers["Location"].startswith("/console/login")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_signing_out_needs_the_forms_csrf_token(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    refused = console.client.post("/console/logout")
    assert refused.status_code == 400
    assert b"csrf_failed" in refused.data
    assert console.get("/console/").status_code == 200
    assert console.client.get("/console/logout").status_code == 405


def test_a_disabled_account_is_signed_out_at_its_next_request(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    console.sign_in_fully("plan@example.org")
    with database.sessions() as session:
        session.scalar(select(StaffUser)).active = False  # type: ignore[union-attr]
        session.commit()
    assert console.get("/console/feeds").status_code == 303


def test_after_signing_in_staff_go_back_to_the_console_page_they_asked_for(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    to_devices = console.sign_in("plan@example.org", then="/console/devices")
    assert to_devices.headers["Location"] == "/console/devices"
    console.submit("/console/", "/console/logout", {})
    elsewhere = console.sign_in("plan@example.org", then="https://elsewhere.example/")
    assert elsewhere.headers["Location"] == "/console/"


def test_sessions_end_after_idle_time_and_after_their_lifetime(database: Database) -> None:
    make_staff(database, "plan@example.org", "planner")
    policy = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    start = utc_now()
    with database.sessions() as session:
        user = session.scalar(select(StaffUser))
        assert user is not None
        idle = staff_sessions.start(
            session, user, second_factor_due=False, address="a", policy=policy, now=start
        )
        busy = staff_sessions.start(
            session, user, second_factor_due=False, address="a", policy=policy, now=start
        )
        later = start + timedelta(minutes=29)
        assert staff_sessions.find(session, idle, policy=policy, now=later).staff is not None
        assert staff_sessions.find(session, idle, policy=policy, now=later + policy.idle).expired
        for minutes in range(25, 12 * 60, 25):  # a request every 25 minutes all day
            seen = staff_sessions.find(
                session, busy, policy=policy, now=start + timedelta(minutes=minutes)
            )
            assert seen.staff is not None
        end = staff_sessions.find(session, busy, policy=policy, now=start + policy.lifetime)
        assert end.staff is None
        assert end.expired
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_five_failures_lock_the_account_for_a_while(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    make_staff(database, "other@example.org", "support")
    for _ in range(login_throttle.ACCOUNT_LIMIT):
        assert console.sign_in("plan@example.org", "a wrong password!").status_code == 200

    locked = console.sign_in("plan@example.org")  # the right password, too late

    assert locked.status_code == 429
    assert b"login_locked" in locked.data
    assert 800 < int(locked.headers["Retry-After"]) <= 900
    assert console.sign_in("other@example.org").status_code == 303  # another account


def test_the_lock_is_the_same_for_every_server_process(
    settings: Settings, console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    second = create_app(settings)  # another worker: its own engine, nothing shared in memory
    try:
        other = ConsoleSession(second.test_client())
        for attempt in range(login_throttle.ACCOUNT_LIMIT):
            sender = console if attempt % 2 else other
            assert sender.sign_in("plan@example.org", "a wrong password!").status_code == 200
        assert console.sign_in("plan@example.org").status_code == 429
        assert other.sign_in("plan@example.org").status_code == 429
    finally:
        second.extensions["faregate.database"].dispose()


def test_unknown_emails_are_locked_like_known_ones(console: ConsoleSession) -> None:
    for _ in range(login_throttle.ACCOUNT_LIMIT):
        assert console.sign_in("nobody@example.org", "a wrong password!").status_code == 200
    assert console.sign_in("nobody@example.org", "a wrong password!").status_code == 429


def test_twenty_failures_from_one_address_lock_the_address(
    app: Flask, console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    guesser = ConsoleSession(app.test_client())
    here = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    for n in range(login_throttle.ADDRESS_LIMIT):
        answer = guesser.sign_in(f"user{n}@example.org", "a wrong password!", **here)
        assert answer.status_code == 200
    assert guesser.sign_in("plan@example.org", **here).status_code == 429
    assert console.sign_in("plan@example.org").status_code == 303  # from another address


def test_a_success_clears_the_accounts_failures(
    console: ConsoleSession, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    for _ in range(login_throttle.ACCOUNT_LIMIT - 1):
        console.sign_in("plan@example.org", "a wrong password!")
    console.sign_in_fully("plan@example.org")
    console.submit("/console/", "/console/logout", {})
    for _ in range(login_throttle.ACCOUNT_LIMIT - 1):
        console.sign_in("plan@example.org", "a wrong password!")
    assert console.sign_in("plan@example.org").status_code == 303


def test_the_lock_ends_as_the_failures_leave_the_window(database: Database) -> None:
    start = utc_now()
    for n in range(login_throttle.ACCOUNT_LIMIT):
        login_throttle.begin_attempt(
            database, "a@example.org", "x", now=start + timedelta(minutes=n)
        )
    with pytest.raises(LoginLockedError) as locked:
        login_throttle.begin_attempt(
            database, "a@example.org", "x", now=start + timedelta(minutes=5)
        )
    assert locked.value.retry_at == start + login_throttle.WINDOW
    assert locked.value.code == "login_locked"
    login_throttle.begin_attempt(database, "a@example.org", "x", now=start + login_throttle.WINDOW)
    with pytest.raises(LoginLockedError):  # one try freed, one taken
        login_throttle.begin_attempt(
            database, "a@example.org", "x", now=start + timedelta(minutes=15, seconds=1)
        )


def test_attempts_sent_at_once_get_at_most_five_password_checks(database: Database) -> None:
    admitted: list[int] = []
    refused: list[int] = []
    now = utc_now()

    def attempt(n: int) -> None:
        try:
            login_throttle.begin_attempt(database, "plan@example.org", f"10.0.0.{n}", now=now)
        except LoginLockedError:
            refused.append(n)
        else:
            admitted.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == login_throttle.ACCOUNT_LIMIT
    assert len(refused) == 16 - login_throttle.ACCOUNT_LIMIT
    with database.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(LoginFailure))
    assert stored == login_throttle.ACCOUNT_LIMIT  # refused attempts leave nothing


def test_behind_a_proxy_the_client_address_it_forwards_is_counted(
    settings: Settings, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    # One trusted proxy: the address it adds to X-Forwarded-For is the client's.
    proxied = create_app(settings.replace(secure_cookies=True, trusted_proxies=1))
    try:
        client = proxied.test_client()

        def sign_in(client_address: str, email: str) -> int:
            https = {
                "base_url": "https://console.example",
                "headers": {
                    "X-Forwarded-For": client_address,
                    "Referer": "https://console.example/console/login",  # CSRF's SSL check
                },
            }
            token = csrf_token(client.get("/console/login", **https))
            data = {
                "csrf_token": token,
                "email": email,
                "password": "a wrong password!",
            }
            return client.post("/console/login", data=data, **https).status_code

        for n in range(login_throttle.ADDRESS_LIMIT):
            assert sign_in("203.0.113.9", f"user{n}@example.org") == 200
        assert sign_in("203.0.113.9", "plan@example.org") == 429
        assert sign_in("203.0.113.10", "plan@example.org") == 200  # another client
    finally:
        proxied.extensions["faregate.database"].dispose()
