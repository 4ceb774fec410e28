"""Config files on disk: the shipped example loads; a keys file adds trusted keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.fares.builders import KEY_1, SERVER_KEY
from validator_agent.config import load_config
from validator_agent.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "agent.example.toml"


def test_shipped_example_loads() -> None:
    config = load_config(EXAMPLE)

    assert config.device_id == "gate-central-01"
    assert len(config.readers) == 2
    assert 9 in config.trusted_keys


def test_keys_file_adds_one_key_per_line(tmp_path: Path) -> None:
    (tmp_path / "keys.jsonl").write_text(f"{KEY_1.public_key().to_json()}\n\n")
    text = EXAMPLE.read_text().replace(
        '# keys_file = "/etc/faregate-agent/bundle-keys.jsonl"', 'keys_file = "keys.jsonl"'
    )
    (tmp_path / "agent.toml").write_text(text)

    config = load_config(tmp_path / "agent.toml")
    assert {key.kid for key in config.trusted_keys} == {KEY_1.kid, 9}
    assert config.store_path == Path("/var/lib/faregate-agent/agent.db")


def test_a_kid_given_twice_is_config_bad_key(tmp_path: Path) -> None:
    duplicate = SERVER_KEY.public_key()
    assert duplicate.kid == 9
    (tmp_path / "keys.jsonl").write_text(duplicate.to_json())
    text = EXAMPLE.read_text().replace(
        '# keys_file = "/etc/faregate-agent/bundle-keys.jsonl"', 'keys_file = "keys.jsonl"'
    )
    (tmp_path / "agent.toml").write_text(text)

    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "agent.toml")
    assert raised.value.code == "config_bad_key"


def test_missing_keys_file_is_unreadable(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        '# keys_file = "/etc/faregate-agent/bundle-keys.jsonl"', 'keys_file = "none.jsonl"'
    )
    (tmp_path / "agent.toml").write_text(text)

    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "agent.toml")
    assert raised.value.code == "config_unreadable"
