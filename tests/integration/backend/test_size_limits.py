"""Request size limits: an oversize body is refused with 413 ``payload_too_large`` before it is
read and changes nothing, while the largest bodies the server is meant to take (a support case
at its longest, a full tap batch, a real GTFS feed) still go through."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database
from backend.models import FeedVersion, Hold, SupportCase, Tap
from backend.request_limits import TAP_BATCH_MAX_BYTES
from backend.services import devices
from backend.services.tap_upload import MAX_BATCH
from backend.settings import Settings
from tests.harness.feeds import ZAKROCZYM_FEED
from tests.harness.reservations import reservable_settings
from tests.integration.web.console_session import ConsoleSession, csrf_token, make_staff

KIB = 1024
DEFAULT_LIMIT = 64 * KIB
T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


class UnreadableBody(io.RawIOBase):
    """A request body of ``length`` bytes that fails the request if the server reads any of
    it (seeking is how the test client learns its length)."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self.length = length
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = offset + (self.length if whence == io.SEEK_END else 0)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, _buffer: Any) -> int:
        raise AssertionError("the server read a body it should have refused unread")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


def count(database: Database, model: type) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def assert_too_large(response: Any) -> None:
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def unread_post(client: FlaskClient, path: str, length: int, **headers: str) -> Any:
    """POST ``path`` announcing a JSON body of ``length`` bytes that must never be read."""
    return client.post(
        path, input_stream=UnreadableBody(length), content_type="application/json", headers=headers
    )


@pytest.mark.usefixtures("published")
def test_an_oversize_json_body_is_refused_unread_and_holds_nothing(
    client: FlaskClient, database: Database
) -> None:
    body = {
        "trip_instance": "CITY1@2008-06-02T06:00:00",
        "from": "STAGECOACH",
        "to": "NADAV",
        "party": 1,
        "note": "x" * DEFAULT_LIMIT,
    }
    assert_too_large(client.post("/api/v1/holds", json=body))
    assert_too_large(unread_post(client, "/api/v1/holds", 10 << 20))
    assert count(database, Hold) == 0
    del body["note"]
    assert client.post("/api/v1/holds", json=body).status_code == 201  # the same, small enough


def test_a_support_case_at_its_longest_fits_the_default_limit(
    client: FlaskClient, database: Database
) -> None:
    # Characters outside the BMP are the longest JSON can make them: 12 bytes each.
    case = {"kind": "other", "subject": "🚌" * 200, "message": "🚌" * 5000, "email": "a@b.org"}
    body = json.dumps(case).encode()
    assert 60 * KIB < len(body) <= DEFAULT_LIMIT
    answer = client.post("/api/v1/cases", data=body, content_type="application/json")
    assert answer.status_code == 201, answer.json
    assert count(database, SupportCase) == 1


def longest_tap(seq: int) -> dict[str, Any]:
    """A tap with every field at its longest, as a validator's journal row."""
    return {
        "v": 1,
        "seq": seq,
        "nonce": secrets.token_hex(16),
        "at": int((T0 + timedelta(seconds=seq)).timestamp() * 1000),
        "kind": "credential",
        "fingerprint": secrets.token_hex(32),
        "ticket_id": "T" * 32,
        "product_id": "P" * 128,
        "allowed": False,
        "reason": "r" * 40,
        "bundle_version": 2**62,
        "trip_instance": "X" * 160,
    }


def test_a_full_tap_batch_goes_through_and_a_larger_body_does_not(
    client: FlaskClient, database: Database
) -> None:
    with database.sessions() as session:
        _, one_time = devices.create_device(
            session, "gate-1", "gate_entry", stop_id="STAGECOACH", vehicle_id=None,
            description="", now=utc_now(),
        )  # fmt: skip
        _, token = devices.provision(session, one_time, utc_now())
    device = {"Authorization": f"Device {token}"}
    batch = {"taps": [longest_tap(seq) for seq in range(1, MAX_BATCH + 1)], "backlog": 0}
    body = json.dumps(batch).encode()  # as the agent sends it
    assert DEFAULT_LIMIT < len(body) <= TAP_BATCH_MAX_BYTES
    answer = client.post(
        "/api/v1/device/taps", data=body, content_type="application/json", headers=device
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["acked_sequence"] == MAX_BATCH
    assert count(database, Tap) == MAX_BATCH
    refused = unread_post(client, "/api/v1/device/taps", TAP_BATCH_MAX_BYTES + 1, **device)
    assert_too_large(refused)
    assert "5000 KiB" in refused.json["error"]["message"]


def test_a_real_feed_uploads_through_the_api_and_the_console(
    app: Flask, client: FlaskClient, database: Database, staff_token: Callable[..., str]
) -> None:
    feed = ZAKROCZYM_FEED.read_bytes()
    assert len(feed) > DEFAULT_LIMIT
    created = client.post(
        "/api/v1/feeds",
        data={"file": (io.BytesIO(feed), "gtfs.zip")},
        headers={"Authorization": f"Bearer {staff_token('planner')}"},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    make_staff(database, "plan@example.org", "planner")
    console = ConsoleSession(app.test_client())
    console.sign_in_fully("plan@example.org")
    token = csrf_token(console.get("/console/feeds"))
    uploaded = console.client.post(
        "/console/feeds",
        data={"csrf_token": token, "file": (io.BytesIO(feed), "gtfs.zip")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)
    assert count(database, FeedVersion) == 2


def test_a_feed_over_its_setting_is_refused_unread(
    settings: Settings, database: Database, staff_token: Callable[..., str]
) -> None:
    small = create_app(settings.replace(feed_upload_max_mb=1))
    try:
        planner = {"Authorization": f"Bearer {staff_token('planner')}"}
        refused = unread_post(small.test_client(), "/api/v1/feeds", (1 << 20) + 1, **planner)
        assert_too_large(refused)
        assert "1 MiB" in refused.json["error"]["message"]
        assert count(database, FeedVersion) == 0
    finally:
        small.extensions["faregate.database"].dispose()


def test_an_oversize_form_gets_a_page_before_its_csrf_token_is_read(
    client: FlaskClient, database: Database
) -> None:
    form = {"kind": "other", "subject": "Help", "message": "x" * DEFAULT_LIMIT, "email": "a@b.org"}
    refused = client.post("/help", data=form)
    assert refused.status_code == 413  # not 400 csrf_failed: the form was never parsed
    assert refused.mimetype == "text/html"
    assert "payload_too_large" in refused.get_data(as_text=True)
    assert count(database, SupportCase) == 0
