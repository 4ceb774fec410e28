"""Reserving in tests: settings with a small seat map for every trip, and a booking made
through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from backend.settings import Settings

SEAT_MAP = """
description = "Test minibus: two 2+2 rows and three standing places"
default = true

[[rows]]
first = 1
last = 2
pattern = "AB_CD"
class = "standard"

[overrides.1A]
attributes = ["accessible"]

[unassigned]
standing = 3
"""


def reservable_settings(database_url: str, folder: Path, signing_keys_file: str) -> Settings:
    """Settings whose one seat map (``SEAT_MAP``, in ``folder``) is every trip's."""
    maps = folder / "seatmaps"
    maps.mkdir()
    (maps / "minibus.toml").write_text(SEAT_MAP)
    return Settings(
        database_url=database_url,
        log_level="WARNING",
        seatmap_dir=str(maps),
        signing_keys_file=signing_keys_file,
    )


def book_through_api(
    client: FlaskClient, trip: str, start: str, end: str, *names: str
) -> tuple[Any, Any]:
    """Hold seats for ``names`` and confirm them; (hold, booking) as JSON."""
    held = client.post(
        "/api/v1/holds", json={"trip_instance": trip, "from": start, "to": end, "party": len(names)}
    )
    assert held.status_code == 201, held.json
    booked = client.post(
        "/api/v1/bookings",
        json={
            "hold_id": held.json["id"],
            "contact_email": "ada@example.org",
            "passengers": [{"name": name} for name in names],
        },
    )
    assert booked.status_code == 201, booked.json
    return held.json, booked.json
