"""A staff member using the console through Flask's test client: CSRF tokens are taken from
the forms the pages render, as a browser would send them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backend.clock import utc_now
from backend.db import Database
from backend.services import accounts, two_factor

PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(database: Database, email: str, role: str, *, second_factor: bool = False) -> str:
    """A staff account; its TOTP secret when it has two-factor sign-in (else "").

    Enrolment is confirmed with the code of the previous time step, so that the code of the
    current one is still unused when the test signs in.
    """
    with database.sessions() as session:
        user = accounts.create_user(session, email, PASSWORD, role, now=utc_now())
        if not second_factor:
            return ""
        secret = two_factor.begin_enrolment(session, user.id, now=utc_now())
        earlier = pyotp.TOTP(secret).at(utc_now() - timedelta(seconds=30))
        two_factor.confirm_enrolment(session, user.id, earlier, now=utc_now())
        return secret


def csrf_token(page: TestResponse) -> str:
    """The CSRF token of the first form on a rendered page."""
    found = _CSRF.search(page.get_data(as_text=True))
    assert found is not None, "the page has no form"
    return found[1]


class ConsoleSession:
    """One browser's worth of console use: a test client and its cookies."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET a page."""
        return self.client.get(path, **kwargs)

    def submit(self, form_page: str, action: str, data: dict[str, Any], **kw: Any) -> TestResponse:
        """Send a form of ``form_page`` to ``action`` with the page's CSRF token."""
        token = csrf_token(self.client.get(form_page))
        return self.client.post(action, data={"csrf_token": token, **data}, **kw)

    def sign_in(
        self, email: str, password: str = PASSWORD, *, then: str = "", **kw: Any
    ) -> TestResponse:
        """Send the sign-in form (``then``: the page to go back to)."""
        data = {"email": email, "password": password, "next": then}
        return self.submit("/console/login", "/console/login", data, **kw)

    def give_code(self, code: str, **kw: Any) -> TestResponse:
        """Send the second-factor form."""
        return self.submit("/console/login/code", "/console/login/code", {"code": code}, **kw)

    def sign_in_fully(self, email: str, secret: str = "") -> None:
        """Sign in, with the current TOTP code when the account has a second factor."""
        answer = self.sign_in(email)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        if secret:
            answer = self.give_code(pyotp.TOTP(secret).now())
            assert answer.status_code == 303, answer.get_data(as_text=True)
        assert answer.headers["Location"] == "/console/"
