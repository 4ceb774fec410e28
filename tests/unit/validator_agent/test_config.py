"""Config parsing: a complete document loads; each bad one fails with a stable code."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from fares.rules import DeviceRole
from tests.unit.fares.builders import SERVER_KEY
from validator_agent.config import FailurePolicy, parse_config
from validator_agent.errors import ConfigError

BASE = Path("/etc/faregate-agent")
PUBLIC = base64.urlsafe_b64encode(SERVER_KEY.public_key().raw).rstrip(b"=").decode()
STORE_TRUST_POLICY = f"""
[store]
path = "agent.db"
[trust]
[[trust.keys]]
kid = 9
ed25519_public = "{PUBLIC}"
valid_from = "2026-01-01T00:00:00Z"
valid_until = "2027-01-01T00:00:00Z"
[policy]
on_failure = "fail_closed"
"""
"""The end of an agent configuration file: its store, the server key above, fail closed."""


def document(**sections: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "device": {"id": "gate-1", "role": "gate_entry", "stop_id": "CENTRAL",
                   "area_ids": ["zone_a"]},
        "server": {"urls": ["https://a.example", "https://b.example"], "sync_interval_s": 15},
        "devices": {"readers": ["serial:/dev/ttyACM0"], "gates": ["log:"]},
        "store": {"path": "agent.db"},
        "trust": {"keys": [{"kid": 9, "ed25519_public": PUBLIC,
                            "valid_from": "2026-01-01T00:00:00Z",
                            "valid_until": "2027-01-01T00:00:00Z"}]},
        "policy": {"on_failure": "fail_open"},
    }  # fmt: skip
    for name, values in sections.items():
        doc[name] = {**doc[name], **values}
    return doc


def code_of(doc: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(doc, BASE)
    return raised.value.code


def test_complete_document_parses() -> None:
    config = parse_config(document(), BASE)

    assert config.role is DeviceRole.GATE_ENTRY
    assert config.area_ids == frozenset({"zone_a"})
    assert config.server_urls == ("https://a.example", "https://b.example")
    assert config.store_path == BASE / "agent.db"
    assert config.failure_policy is FailurePolicy.FAIL_OPEN
    assert 9 in config.trusted_keys
    assert config.sync_interval_s == 15


def test_bus_needs_a_vehicle() -> None:
    assert code_of(document(device={"role": "bus", "stop_id": None})) == "config_missing"
    config = parse_config(document(device={"role": "bus", "vehicle_id": "bus-17"}), BASE)
    assert config.vehicle_id == "bus-17"


def test_missing_section_is_config_missing() -> None:
    doc = document()
    del doc["store"]
    assert code_of(doc) == "config_missing"


def test_unknown_role_is_a_bad_value() -> None:
    assert code_of(document(device={"role": "turnstile"})) == "config_bad_value"


def test_unknown_policy_is_a_bad_value() -> None:
    assert code_of(document(policy={"on_failure": "maybe"})) == "config_bad_value"


def test_empty_reader_list_is_missing() -> None:
    assert code_of(document(devices={"readers": []})) == "config_missing"


def test_bad_interval_is_a_bad_value() -> None:
    assert code_of(document(server={"sync_interval_s": 0})) == "config_bad_value"


def test_bad_key_is_config_bad_key() -> None:
    bad = {"kid": 9, "ed25519_public": "AAAA", "valid_from": "2026-01-01T00:00:00Z",
           "valid_until": "2027-01-01T00:00:00Z"}  # fmt: skip
    assert code_of(document(trust={"keys": [bad]})) == "config_bad_key"


def test_naive_key_period_is_config_bad_key() -> None:
    key = document()["trust"]["keys"][0] | {"valid_from": "2026-01-01T00:00:00"}
    assert code_of(document(trust={"keys": [key]})) == "config_bad_key"


def test_no_key_at_all_is_missing() -> None:
    assert code_of(document(trust={"keys": []})) == "config_missing"


def test_unknown_field_in_a_key_table_is_config_bad_key() -> None:
    key = document()["trust"]["keys"][0] | {"keys_file": "keys.jsonl"}
    assert code_of(document(trust={"keys": [key]})) == "config_bad_key"
