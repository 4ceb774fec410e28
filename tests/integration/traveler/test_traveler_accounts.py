"""Travelers' accounts on the traveler pages, through Flask's test client on both databases:
signing up, signing in (and its rate limits, counted apart from the console's), signing out,
and the account's session kept apart from a staff member's in the same browser."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.models import LoginFailure, TravelerAccount, TravelerSession
from backend.services import login_throttle
from tests.integration.traveler.world import PASSWORD, post_form, sign_in, sign_up, text_of
from tests.integration.web.console_session import ConsoleSession, make_staff

EMAIL = "ada@example.org"
COOKIE = "faregate_session"


def accounts(database: Database) -> list[TravelerAccount]:
    with database.sessions() as session:
        return list(session.scalars(select(TravelerAccount).order_by(TravelerAccount.id)))


def sessions(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(TravelerSession)) or 0


def signed_in_as(client: FlaskClient) -> str | None:
    """The address My trips says is signed in, or None when it asks to sign in."""
    page = client.get("/account")
    if page.status_code == 302:
        assert page.headers["Location"] == "/account/sign-in?next=/account"
        return None
    assert page.status_code == 200
    text = text_of(page)
    start = text.index("Signed in as <strong>") + len("Signed in as <strong>")
    return text[start : text.index("</strong>", start)]


def test_signing_up_signs_in_and_stores_only_a_hash_of_the_password(
    client: FlaskClient, database: Database
) -> None:
    assert "Sign in</a>" in text_of(client.get("/"))
    answer = sign_up(client, " Ada@Example.org ", next="/bookings")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/bookings"
    assert signed_in_as(client) == EMAIL
    [account] = accounts(database)
    assert account.email == EMAIL
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    home = text_of(client.get("/"))
    assert "My trips</a>" in home
    assert "Sign in</a>" not in home
    page = client.get("/account")
    assert page.headers["Cache-Control"] == "no-store"
    my_trips = text_of(page)
    assert "No coming trips." in my_trips
    assert 'name="csrf_token"' in my_trips  # the add and sign-out forms carry the token


def test_an_address_with_an_account_gets_a_plain_error_and_nothing_changes(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    before = accounts(database)
    other = app.test_client()
    answer = sign_up(other, "ADA@example.org", "another long password")
    assert answer.status_code == 200
    text = text_of(answer)
    assert "This email address already has an account. Sign in, or use another address." in text
    assert 'id="f-email-error"' in text
    assert 'aria-invalid="true"' in text
    assert [(a.id, a.password_hash) for a in accounts(database)] == [
        (a.id, a.password_hash) for a in before
    ]
    assert signed_in_as(other) is None


def test_a_short_or_mistyped_password_is_asked_again_and_nothing_is_stored(
    client: FlaskClient, database: Database
) -> None:
    short = sign_up(client, EMAIL, "eleven char")
    assert short.status_code == 200
    assert "Choose a password of at least 12 characters." in text_of(short)
    assert 'value="ada@example.org"' in text_of(short)  # the address typed stays
    assert PASSWORD not in text_of(short)
    mistyped = sign_up(client, EMAIL, PASSWORD, again=PASSWORD + "!")
    assert mistyped.status_code == 200
    assert "The two passwords are not the same." in text_of(mistyped)
    assert 'id="f-password_again-error"' in text_of(mistyped)
    unaddressed = sign_up(client, "ada at example.org")
    assert "Enter an email address like name@example.com." in text_of(unaddressed)
    assert accounts(database) == []
    assert signed_in_as(client) is None


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    assert sign_up(app.test_client(), EMAIL).status_code == 303
    wrong = sign_in(client, EMAIL, "not the password at all")
    unknown = sign_in(client, "nobody@example.org")
    for answer in (wrong, unknown):
        assert answer.status_code == 200
        assert "The email address or password is not right." in text_of(answer)
    assert signed_in_as(client) is None
    right = sign_in(client, "ADA@example.org", next="/account")
    assert right.status_code == 303
    assert right.headers["Location"] == "/account"
    assert signed_in_as(client) == EMAIL
    with database.sessions() as session:  # the success forgot the address's failures
        left = session.scalars(select(LoginFailure.email)).all()
    assert left == ["nobody@example.org"]


def test_too_many_failures_lock_the_address_but_not_the_staff_account_sharing_it(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    assert sign_up(app.test_client(), EMAIL).status_code == 303
    make_staff(database, EMAIL, "support")
    for _ in range(login_throttle.ACCOUNT_LIMIT):
        assert sign_in(client, EMAIL, "a wrong guess of a password").status_code == 200
    locked = sign_in(client, EMAIL)  # the right password, too late
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in text_of(locked)
    assert signed_in_as(client) is None
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    assert sign_in(elsewhere, EMAIL).status_code == 429  # the address is locked, not the client

    console = ConsoleSession(app.test_client())
    console.sign_in_fully(EMAIL)  # staff sign-in counts its own failures
    with database.sessions() as session:
        realms = session.scalars(select(LoginFailure.realm)).all()
    assert realms == ["traveler"] * login_throttle.ACCOUNT_LIMIT
    assert sign_in(client, EMAIL).status_code == 429  # and its success unlocks nothing here


def test_signing_out_ends_the_session_on_the_server_and_forgets_opened_bookings(
    client: FlaskClient, database: Database
) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    with client.session_transaction() as browser:
        browser["traveler_bookings"] = ["K7PQ2M9X"]
    copied = client.get_cookie(COOKIE)
    assert copied is not None
    answer = post_form(client, "/account/sign-out", {}, page="/account")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert "You are signed out." in text_of(client.get("/"))
    assert sessions(database) == 0
    with client.session_transaction() as browser:
        assert "traveler_bookings" not in browser
    client.set_cookie(COOKIE, copied.value)  # the cookie from before, kept by someone
    assert signed_in_as(client) is None


def test_signing_out_without_the_forms_token_is_refused(client: FlaskClient) -> None:
    assert sign_up(client, EMAIL).status_code == 303
    refused = client.post("/account/sign-out")
    assert refused.status_code == 400
    assert "csrf_failed" in text_of(refused)
    assert signed_in_as(client) == EMAIL


def test_a_traveler_and_a_staff_member_in_one_browser_sign_in_and_out_apart(
    client: FlaskClient, database: Database
) -> None:
    make_staff(database, "support@example.org", "support")
    console = ConsoleSession(client)
    console.sign_in_fully("support@example.org")
    assert sign_up(client, EMAIL).status_code == 303
    assert console.get("/console/").status_code == 200  # still signed in to the console
    with client.session_transaction() as browser:
        assert browser["traveler_token"].startswith("fgt_")
        assert browser["staff_token"].startswith("fgs_")
    assert post_form(client, "/account/sign-out", {}, page="/account").status_code == 303
    assert console.get("/console/").status_code == 200
    assert signed_in_as(client) is None


def test_sign_in_only_goes_back_to_pages_of_this_site(app: Flask) -> None:
    assert sign_up(app.test_client(), EMAIL).status_code == 303
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "/console/staff"):
        answer = sign_in(app.test_client(), EMAIL, next=target)
        assert answer.headers["Location"] == "/account"
