"""Every console page checks who is asking: signed-in staff only, and the role each page
needs (support reads, planners also change feeds and devices, admins also manage staff)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.clock import utc_now
from backend.db import Database
from backend.models import Device
from backend.services import devices
from tests.integration.web.console_session import ConsoleSession, csrf_token, make_staff

PUBLIC = {"console.login", "console.second_factor", "console.logout"}
# (method, path, the least role that may): every console page and action.
PAGES = [
    ("GET", "/console/", "support"),
    ("GET", "/console/charts/bookings.svg", "support"),
    ("GET", "/console/charts/load.svg", "support"),
    ("GET", "/console/charts/taps.svg", "support"),
    ("GET", "/console/feeds", "support"),
    ("GET", "/console/feeds/1", "support"),
    ("GET", "/console/trips", "support"),
    ("GET", "/console/seat-maps", "support"),
    ("GET", "/console/devices", "support"),
    ("GET", "/console/account", "support"),
    ("GET", "/console/account/two-factor", "support"),
    ("POST", "/console/account/two-factor", "support"),
    ("POST", "/console/account/recovery-codes", "support"),
    ("POST", "/console/account/two-factor/off", "support"),
    ("POST", "/console/feeds", "planner"),
    ("POST", "/console/feeds/1/publish", "planner"),
    ("POST", "/console/seat-maps", "planner"),
    ("GET", "/console/disruptions", "support"),
    ("GET", "/console/disruptions/AB1@2008-06-02", "support"),
    ("POST", "/console/disruptions", "planner"),
    ("POST", "/console/devices", "planner"),
    ("POST", "/console/devices/gate-1/token", "planner"),
    ("GET", "/console/devices/gate-1/revoke", "planner"),
    ("POST", "/console/devices/gate-1/revoke", "planner"),
    ("GET", "/console/webhooks", "support"),
    ("GET", "/console/outbox", "support"),
    ("POST", "/console/webhooks", "planner"),
    ("POST", "/console/webhooks/1/deactivate", "planner"),
    ("GET", "/console/staff", "admin"),
    ("POST", "/console/staff", "admin"),
    ("POST", "/console/staff/1/active", "admin"),
    ("POST", "/console/staff/1/two-factor/reset", "admin"),
    ("GET", "/console/audit", "admin"),
]
RANK = {"support": 0, "planner": 1, "admin": 2}
# Support cases and travelers' personal data: support staff and admins only; planners are refused.
CASE_PAGES = [
    ("GET", "/console/cases"),
    ("GET", "/console/cases/CS-AAAAAA"),
    ("POST", "/console/cases/CS-AAAAAA/assign"),
    ("POST", "/console/cases/CS-AAAAAA/status"),
    ("POST", "/console/cases/CS-AAAAAA/priority"),
    ("POST", "/console/cases/CS-AAAAAA/notes"),
    ("POST", "/console/cases/CS-AAAAAA/check"),
    ("GET", "/console/travelers"),
    ("POST", "/console/travelers/export"),
    ("POST", "/console/travelers/erase"),
]


def test_every_console_page_wears_the_role_guard(app: Flask) -> None:
    unguarded = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("console.") and not hasattr(view, "console_roles")
    ]
    assert sorted(unguarded) == sorted(PUBLIC)


def test_the_role_table_covers_every_console_page(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    listed = {(method, adapter.match(path, method=method)[0]) for method, path, _ in PAGES}
    listed |= {(method, adapter.match(path, method=method)[0]) for method, path in CASE_PAGES}
    served = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and rule.endpoint not in PUBLIC
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert listed == served


def test_nobody_signed_in_is_sent_to_the_sign_in_page(client: FlaskClient) -> None:
    for method, path, _ in [*PAGES, *((method, path, "support") for method, path in CASE_PAGES)]:
        if method == "GET":
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["Location"].startswith("/console/login?next="), path


@pytest.mark.parametrize("role", ["support", "planner"])
def test_each_role_is_refused_the_pages_above_it(
    client: FlaskClient, database: Database, role: str
) -> None:
    make_staff(database, f"{role}@example.org", role)
    with database.sessions() as session:
        devices.create_device(
            session,
            "gate-1",
            "gate_entry",
            stop_id="S",
            vehicle_id=None,
            description="",
            now=utc_now(),
        )
    console = ConsoleSession(client)
    console.sign_in_fully(f"{role}@example.org")
    token = csrf_token(console.get("/console/"))  # the sign-out form, on every page
    for method, path, needed in PAGES:
        answer = client.open(path, method=method, data={"csrf_token": token})
        if RANK[role] < RANK[needed]:
            assert answer.status_code == 403, (method, path)
            assert b"insufficient_role" in answer.data, (method, path)
        else:
            assert answer.status_code != 403, (method, path)
    for method, path in CASE_PAGES:
        answer = client.open(path, method=method, data={"csrf_token": token})
        assert (answer.status_code == 403) == (role == "planner"), (method, path)
    with database.sessions() as session:
        device = session.get(Device, "gate-1")
        assert device is not None
        assert (device.revoked_at is None) == (role == "support")


def test_a_console_form_without_its_csrf_token_is_refused(
    client: FlaskClient, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    ConsoleSession(client).sign_in_fully("plan@example.org")
    refused = client.post("/console/devices", data={"id": "gate-9", "role": "gate_entry"})
    assert refused.status_code == 400
    assert b"csrf_failed" in refused.data
    forged = client.post(
        "/console/devices", data={"id": "gate-9", "role": "gate_entry", "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_support_sees_no_buttons_it_may_not_use(client: FlaskClient, database: Database) -> None:
    make_staff(database, "help@example.org", "support")
    ConsoleSession(client).sign_in_fully("help@example.org")
    feeds_page = client.get("/console/feeds").get_data(as_text=True)
    devices_page = client.get("/console/devices").get_data(as_text=True)
    assert "Upload a feed" not in feeds_page
    assert "Provision a device" not in devices_page
    assert ">Staff<" not in devices_page  # no link to the admins' page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/console/feeds/{2**40}"),
        ("POST", f"/console/feeds/{2**40}/publish"),
        ("POST", f"/console/staff/{2**40}/active"),
        ("POST", f"/console/webhooks/{2**40}/deactivate"),
    ],
)
def test_an_id_past_the_integer_keys_names_no_console_page(
    planner: ConsoleSession, method: str, path: str
) -> None:
    token = csrf_token(planner.get("/console/seat-maps"))
    response = planner.client.open(path, method=method, data={"csrf_token": token})
    assert response.status_code == 404
