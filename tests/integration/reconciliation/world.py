"""A small network for reconciliation tests: a GTFS feed with rail gates and a bus, caps, and
validators provisioned and uploading taps through the real device API.

Reconville (Europe/Warsaw), service every day of 2026:

- rail R1 Central (station CEN, platform CEN_1) 08:00 → Park 08:10 → Airport 08:25, and R2 back
  Airport 17:00 → Park 17:15 → Central 17:25; Central and Park are in area z1, Airport in z2;
- bus BUS1 Park bus stop 08:30 → Market 08:40 → Hill 08:50, and BUS2 the same at 18:00.

Fares v2 (PLN): rail within one area 3.00 (rail_1), between areas 5.00 (rail_2); bus 2.00; a
bus boarded within an hour of a rail departure (departure to departure) is free (transfer
type 0). The maximum fare is therefore 5.00. Caps for the default category on contactless:
8.00 a travel day (from 04:00), 10.00 a travel week (from Monday).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from backend.db import Database
from backend.services import feeds
from backend.settings import Settings
from fares.tap import media_fingerprint

WARSAW = ZoneInfo("Europe/Warsaw")
TUESDAY = date(2026, 6, 2)
WEDNESDAY = date(2026, 6, 3)
TECHNOLOGY = "nfc_uid"

FILES = {
    "agency": "agency_id,agency_name,agency_url,agency_timezone\n"
    "RV,Reconville Transit,https://example.org,Europe/Warsaw",
    "stops": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "CEN,Central,52.20,21.00,1,\nCEN_1,Central platform 1,52.20,21.00,0,CEN\n"
    "PARK,Park,52.21,21.01,0,\nAIR,Airport,52.25,21.05,0,\n"
    "PARK_BUS,Park bus stop,52.211,21.011,0,\nMARKET,Market,52.22,21.02,0,\n"
    "HILL,Hill,52.23,21.03,0,",
    "routes": "route_id,agency_id,route_short_name,route_type\nRAIL,RV,R,2\nBUS,RV,7,3",
    "trips": "route_id,service_id,trip_id\nRAIL,ALL,R1\nRAIL,ALL,R2\nBUS,ALL,BUS1\nBUS,ALL,BUS2",
    "stop_times": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "R1,08:00:00,08:00:00,CEN_1,1\nR1,08:10:00,08:10:00,PARK,2\nR1,08:25:00,08:25:00,AIR,3\n"
    "R2,17:00:00,17:00:00,AIR,1\nR2,17:15:00,17:15:00,PARK,2\nR2,17:25:00,17:25:00,CEN_1,3\n"
    "BUS1,08:30:00,08:30:00,PARK_BUS,1\nBUS1,08:40:00,08:40:00,MARKET,2\n"
    "BUS1,08:50:00,08:50:00,HILL,3\nBUS2,18:00:00,18:00:00,PARK_BUS,1\n"
    "BUS2,18:10:00,18:10:00,MARKET,2\nBUS2,18:20:00,18:20:00,HILL,3",
    "calendar": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nALL,1,1,1,1,1,1,1,20260101,20261231",
    "areas": "area_id,area_name\nz1,Inner\nz2,Outer",
    "stop_areas": "area_id,stop_id\nz1,CEN\nz1,CEN_1\nz1,PARK\nz2,AIR",
    "networks": "network_id,network_name\nrail_net,Rail\nbus_net,Buses",
    "route_networks": "network_id,route_id\nrail_net,RAIL\nbus_net,BUS",
    "rider_categories": "rider_category_id,rider_category_name,is_default_fare_category\n"
    "adult,Adult,1\nsenior,Senior,0",
    "fare_media": "fare_media_id,fare_media_name,fare_media_type\ncontactless,Card,2",
    "fare_products": "fare_product_id,fare_product_name,amount,currency\n"
    "rail_1,Rail one area,3.00,PLN\nrail_2,Rail two areas,5.00,PLN\nbus_ride,Bus,2.00,PLN",
    "fare_leg_rules": "leg_group_id,network_id,from_area_id,to_area_id,fare_product_id\n"
    "rail,rail_net,z1,z1,rail_1\nrail,rail_net,z1,z2,rail_2\nrail,rail_net,z2,z1,rail_2\n"
    "rail,rail_net,z2,z2,rail_1\nbus,bus_net,,,bus_ride",
    "fare_transfer_rules": "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,"
    "duration_limit_type,fare_transfer_type,fare_product_id\nrail,bus,,3600,1,0,",
}
CAPS = """
format_version = 1
timezone = "Europe/Warsaw"
day_starts_at = "04:00"
week_starts_on = "monday"

[[caps]]
rider_category_id = "adult"
fare_media_id = "contactless"
currency = "PLN"
daily_cap_minor = 800
weekly_cap_minor = 1000
"""
# Device id → (role, stop, vehicle).
DEVICES = {
    "cen-in": ("gate_entry", "CEN", None),
    "cen-in-2": ("gate_entry", "CEN", None),
    "cen-out": ("gate_exit", "CEN", None),
    "park-in": ("gate_entry", "PARK", None),
    "park-out": ("gate_exit", "PARK", None),
    "air-in": ("gate_entry", "AIR", None),
    "air-out": ("gate_exit", "AIR", None),
    "bus-1": ("bus", None, "V1"),
}


def write_feed(folder: Path) -> Path:
    """The Reconville feed as GTFS text files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in FILES.items():
        (folder / f"{name}.txt").write_text(content + "\n", encoding="utf-8")
    return folder


def world_settings(database_url: str, folder: Path, signing_keys_file: str) -> Settings:
    """Settings with the caps file and contactless as the account media."""
    caps = folder / "caps.toml"
    caps.write_text(CAPS, encoding="utf-8")
    return Settings(
        database_url=database_url,
        log_level="WARNING",
        signing_keys_file=signing_keys_file,
        caps_file=str(caps),
        account_fare_media_id="contactless",
    )


def publish(database: Database, folder: Path) -> None:
    """Import and publish the feed."""
    result = feeds.import_feed(
        database,
        write_feed(folder / "feed"),
        filename="reconville",
        now=datetime(2026, 5, 1, tzinfo=UTC),
        today=date(2026, 5, 1),
        publish=True,
    )
    assert result.published, [n for n in result.report.notices if n.severity.name == "ERROR"]


def local(day: date, clock: str) -> datetime:
    """A Warsaw wall-clock time "HH:MM[:SS]" on ``day``."""
    return datetime.combine(day, time.fromisoformat(clock), WARSAW)


def card(uid_hex: str) -> str:
    """The fingerprint validators journal for a card with this UID."""
    return media_fingerprint(TECHNOLOGY, bytes.fromhex(uid_hex))


@dataclass
class Validators:
    """The provisioned devices, each with its token and next sequence number."""

    client: FlaskClient
    tokens: dict[str, str]
    sequences: dict[str, int] = field(default_factory=dict)

    def tap(
        self,
        device: str,
        when: datetime,
        fingerprint: str,
        *,
        kind: str = "account",
        allowed: bool = True,
        trip: str | None = None,
    ) -> None:
        """Upload one journaled tap, as the agent's sync does."""
        sequence = self.sequences.get(device, 0) + 1
        self.sequences[device] = sequence
        row: dict[str, Any] = {
            "v": 1,
            "seq": sequence,
            "nonce": secrets.token_hex(16),
            "at": round(when.timestamp() * 1000),
            "kind": kind,
            "fingerprint": fingerprint,
            "ticket_id": None,
            "product_id": None,
            "allowed": allowed,
            "reason": None if allowed else "revoked",
            "bundle_version": 1,
        }
        if trip is not None:
            row["trip_instance"] = trip
        answer = self.client.post(
            "/api/v1/device/taps",
            json={"taps": [row]},
            headers={"Authorization": f"Device {self.tokens[device]}"},
        )
        assert answer.status_code == 200, answer.json
        assert answer.json["stored"] == 1


def provision(client: FlaskClient, planner: dict[str, str]) -> Validators:
    """Create and provision every device of ``DEVICES`` through the API."""
    tokens = {}
    for device_id, (role, stop, vehicle) in DEVICES.items():
        body = {"id": device_id, "role": role, "stop_id": stop, "vehicle_id": vehicle}
        created = client.post("/api/v1/devices", json=body, headers=planner)
        assert created.status_code == 201, created.json
        token = created.json["provisioning_token"]
        provisioned = client.post("/api/v1/devices/provision", json={"token": token})
        assert provisioned.status_code == 200, provisioned.json
        tokens[device_id] = provisioned.json["token"]
    return Validators(client, tokens)
