"""The console's sign-in forms are rate limited per client address on top of the sign-in
locks: a client over the limit gets a 429 page before any password is checked."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from backend.app import create_app
from backend.db import Database
from backend.models import LoginFailure
from backend.settings import Settings
from tests.integration.web.console_session import ConsoleSession, make_staff

LIMIT = 3


def failures(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_signing_in_too_often_gets_a_page_and_checks_no_password(
    settings: Settings, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    limited: Flask = create_app(settings.replace(rate_limit_sign_in=f"{LIMIT}/hour"))
    try:
        console = ConsoleSession(limited.test_client())
        for n in range(LIMIT):
            wrong = console.sign_in(f"user{n}@example.org", "a wrong password!")
            assert wrong.status_code == 200  # the form again, with the error
        assert failures(database) == LIMIT
        refused = console.sign_in("plan@example.org")
        assert refused.status_code == 429
        assert refused.mimetype == "text/html"
        assert int(refused.headers["Retry-After"]) >= 1
        assert "rate_limited" in refused.get_data(as_text=True)
        assert failures(database) == LIMIT  # refused before the sign-in was counted
        assert console.get("/console/login").status_code == 200  # the form is still shown
        elsewhere = limited.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.8"
        ConsoleSession(elsewhere).sign_in_fully("plan@example.org")
    finally:
        limited.extensions["faregate.database"].dispose()
