"""What the console's pages do through the services: feeds refused or published, trips with
their load factors, seat-map assignments, devices and staff accounts."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database
from backend.errors import AuthenticationError
from backend.models import Device, StaffUser
from backend.services import devices, feeds
from backend.settings import Settings
from tests.harness.feeds import sample_feed_copy
from tests.harness.reservations import book_through_api
from tests.integration.web.console_session import ConsoleSession, csrf_token, make_staff

# A run of CITY1 on the sample feed's 2008 calendar: STAGECOACH, NANAA, NADAV, DADAN, EMSI.
CITY1 = "CITY1@2008-06-02T06:00:00"
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


def zipped(folder: Path) -> bytes:
    archive = shutil.make_archive(str(folder), "zip", folder)
    return Path(archive).read_bytes()


def upload(console: ConsoleSession, content: bytes, name: str) -> str:
    answer = console.submit(
        "/console/feeds",
        "/console/feeds",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location: str = answer.headers["Location"]
    return location


def test_a_feed_with_errors_is_a_draft_that_cannot_be_published(
    planner: ConsoleSession, database: Database, tmp_path: Path
) -> None:
    broken = sample_feed_copy(
        tmp_path,
        stop_times="trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "STBA,6:00:00,6:00:00,STAGECOACH,1\nSTBA,6:20:00,6:20:00,NOWHERE,2\n",
    )
    report_url = upload(planner, zipped(broken), "broken.zip")
    version_id = int(report_url.rsplit("/", 1)[1])

    report = planner.get(report_url).get_data(as_text=True)
    assert "cannot be published" in report
    assert re.search(r"<button type=\"button\" disabled[^>]*>Publish</button>", report)
    assert "foreign_key_violation" in report
    assert "NOWHERE" in report

    forced = planner.submit(report_url, f"{report_url}/publish", {})
    assert forced.headers["Location"] == report_url
    assert "feed_has_errors" in planner.get(report_url).get_data(as_text=True)
    with database.sessions() as session:
        assert feeds.active_version_id(session) is None
        assert feeds.get_version(session, version_id).status == "draft"


def test_a_good_feed_is_published_from_its_report(
    planner: ConsoleSession, database: Database, tmp_path: Path
) -> None:
    report_url = upload(planner, zipped(sample_feed_copy(tmp_path)), "sample.zip")
    page = planner.get(report_url).get_data(as_text=True)
    assert "passed validation" in page

    published = planner.submit(report_url, f"{report_url}/publish", {})

    assert published.headers["Location"] == report_url
    assert "is now the active timetable" in planner.get(report_url).get_data(as_text=True)
    with database.sessions() as session:
        assert feeds.active_version_id(session) == int(report_url.rsplit("/", 1)[1])


def test_an_upload_larger_than_the_setting_is_refused_with_a_page(
    settings: Settings, database: Database
) -> None:
    make_staff(database, "plan@example.org", "planner")
    small = create_app(settings.replace(feed_upload_max_mb=1))
    try:
        console = ConsoleSession(small.test_client())
        console.sign_in_fully("plan@example.org")
        token = csrf_token(console.get("/console/feeds"))
        body = (  # built by hand: the test client would spool a large file to disk
            b'--X\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + token.encode()
            + b'\r\n--X\r\nContent-Disposition: form-data; name="file"; filename="big.zip"'
            b"\r\n\r\n" + b"x" * (2 << 20) + b"\r\n--X--\r\n"
        )
        refused = console.client.post(
            "/console/feeds", data=body, content_type="multipart/form-data; boundary=X"
        )
        assert refused.status_code == 413
        assert refused.mimetype == "text/html"
        assert b"payload_too_large" in refused.data
    finally:
        small.extensions["faregate.database"].dispose()


def test_an_upload_without_a_file_asks_for_one(planner: ConsoleSession) -> None:
    answer = planner.submit("/console/feeds", "/console/feeds", {})
    assert answer.status_code == 200
    assert "Choose a GTFS zip file" in answer.get_data(as_text=True)


def test_the_report_sorts_its_notices_by_any_column(
    planner: ConsoleSession, tmp_path: Path
) -> None:
    broken = sample_feed_copy(
        tmp_path,
        stop_times="trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "STBA,6:00:00,6:00:00,STAGECOACH,1\nSTBA,6:20:00,6:20:00,NOWHERE,2\n",
    )
    report_url = upload(planner, zipped(broken), "broken.zip")

    def column(sort: str, direction: str, index: int) -> list[str]:
        page = planner.get(f"{report_url}?sort={sort}&dir={direction}").get_data(as_text=True)
        body = page[page.index('<table class="notices">') :]
        rows = re.findall(r"<tr>\s*(.*?)</tr>", body[body.index("<tbody>") :], re.S)
        return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[index] for row in rows]

    rows = [int(text) for text in column("row", "desc", 3)]
    assert rows == sorted(rows, reverse=True)
    codes = [re.sub(r"<[^>]+>", "", text) for text in column("code", "asc", 1)]
    assert codes == sorted(codes)
    severities = [re.sub(r"<[^>]+>", "", text) for text in column("severity", "asc", 0)]
    assert severities[0] == "ERROR"
    page = planner.get(f"{report_url}?sort=code&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in page


def test_trips_show_the_load_factor_of_each_trip_instance(
    app: Flask, planner: ConsoleSession, published: int
) -> None:
    del published
    book_through_api(app.test_client(), CITY1, "STAGECOACH", "EMSI", "Ada", "Bo")
    book_through_api(app.test_client(), CITY1, "STAGECOACH", "NANAA", "Cy", "Di")

    page = planner.get("/console/trips?day=2008-06-02&route=CITY").get_data(as_text=True)

    rows = [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    ]
    cells = next(row for row in rows if row and row[0] == "06:00")
    # coach-49: 49 seats, 4 legs; 2 seats on 4 legs and 2 on 1: 10 of 196 seat-legs; 4 on leg 0
    # Every run of the frequency-based CITY1 and CITY2 is a trip instance: 52 each that day.
    assert '<div class="label">Trips shown</div><div class="value">104</div>' in page
    assert cells[2:7] == ["CITY1 Cancel…", "40 City", "coach-49", "49", "4"]
    assert cells[7] == "5.1% 5.1%"  # the meter's fallback text and the figure
    assert cells[8] == "8.2%"


def test_the_seat_map_page_shows_which_map_each_route_gets(
    planner: ConsoleSession, published: int
) -> None:
    del published
    page = planner.get("/console/seat-maps").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "10 Airport - Bullfrog AB regional-60 map file" in text
    assert "40 City CITY coach-49 default map" in text
    assert "config/seatmaps" in text


def test_a_planner_provisions_a_device_and_gets_its_token_once(
    planner: ConsoleSession, database: Database
) -> None:
    made = planner.submit(
        "/console/devices",
        "/console/devices",
        {"id": "gate-3", "role": "gate_entry", "stop_id": "STAGECOACH", "description": "North"},
    )
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    token = re.search(r'<code id="token">(fgp_[^<]+)</code>', page)
    assert token is not None
    assert 'src="data:image/svg+xml' in page
    assert made.headers["Cache-Control"] == "no-store"
    assert token[1] not in planner.get("/console/devices").get_data(as_text=True)

    renewed = planner.submit("/console/devices", "/console/devices/gate-3/token", {})
    new_token = re.search(r'<code id="token">(fgp_[^<]+)</code>', renewed.get_data(as_text=True))
    assert new_token is not None
    with database.sessions() as session:
        with pytest.raises(AuthenticationError):
            devices.provision(session, token[1], utc_now())
        device, _ = devices.provision(session, new_token[1], utc_now())
    assert device.stop_id == "STAGECOACH"


def test_a_device_form_with_a_problem_is_shown_again_with_it(planner: ConsoleSession) -> None:
    answer = planner.submit(
        "/console/devices", "/console/devices", {"id": "no spaces!", "role": "gate_entry"}
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "invalid_device_id" in page
    assert 'value="no spaces!"' in page
    bus = planner.submit(
        "/console/devices", "/console/devices", {"id": "bus-1", "role": "bus", "stop_id": "S"}
    )
    assert "invalid_placement" in bus.get_data(as_text=True)


def test_revoking_a_device_asks_first(planner: ConsoleSession, database: Database) -> None:
    with database.sessions() as session:
        devices.create_device(
            session, "gate-7", "gate_exit", stop_id="S", vehicle_id=None, description="", now=T0
        )
    confirm = planner.get("/console/devices/gate-7/revoke")
    assert "Revoke gate-7?" in confirm.get_data(as_text=True)
    with database.sessions() as session:
        assert session.get(Device, "gate-7").revoked_at is None  # type: ignore[union-attr]

    done = planner.submit("/console/devices/gate-7/revoke", "/console/devices/gate-7/revoke", {})

    assert done.headers["Location"] == "/console/devices"
    with database.sessions() as session:
        assert session.get(Device, "gate-7").revoked_at is not None  # type: ignore[union-attr]
    assert planner.get("/console/devices/gate-9/revoke").status_code == 404


def test_an_admin_adds_and_disables_staff_accounts(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    secret = make_staff(database, "admin@example.org", "admin", second_factor=True)
    admin = ConsoleSession(client)
    admin.sign_in_fully("admin@example.org", secret)

    weak = admin.submit(
        "/console/staff",
        "/console/staff",
        {"email": "new@example.org", "role": "support", "password": "short"},
    )
    assert weak.status_code == 200
    assert "weak_password" in weak.get_data(as_text=True)
    added = admin.submit(
        "/console/staff",
        "/console/staff",
        {"email": "new@example.org", "role": "support", "password": "a long enough password"},
    )
    assert added.headers["Location"] == "/console/staff"

    newcomer = ConsoleSession(app.test_client())
    newcomer.sign_in_fully("new@example.org")
    with database.sessions() as session:
        user_id = session.scalar(select(StaffUser.id).where(StaffUser.email == "new@example.org"))
    admin.submit("/console/staff", f"/console/staff/{user_id}/active", {"active": "false"})
    assert newcomer.get("/console/").status_code == 303
    refused = admin.submit("/console/staff", "/console/staff/1/active", {"active": "false"})
    assert "cannot disable your own" in admin.get(refused.headers["Location"]).get_data(
        as_text=True
    )
