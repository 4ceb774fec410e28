"""The agent's configuration: one TOML file parsed into a frozen ``AgentConfig``.

See ``config/agent.example.toml`` for every key. Errors are ``ConfigError`` with a stable
code: ``config_unreadable`` (no such file, permissions), ``config_not_toml`` (syntax),
``config_missing`` (a required key is absent), ``config_bad_value`` (wrong type or value),
``config_bad_key`` (a trusted bundle key cannot be loaded). Trusted keys are given inline
(``[[trust.keys]]`` tables) or in a file holding one ``fares.keys.PublicKey.to_json`` object
per line; both may be used, and a kid may appear only once. The ``[bus]`` section is optional
(defaults in ``validator_agent.trip_timetable.TripSettings``) and takes no other keys.
"""

from __future__ import annotations

import base64
import binascii
import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from fares.keys import KeyFormatError, KeySet, PublicKey, epoch_seconds
from fares.rules import DeviceRole
from validator_agent.errors import ConfigError
from validator_agent.trip_timetable import TripSettings

Table = Mapping[str, object]
E = TypeVar("E", bound=enum.Enum)


class FailurePolicy(enum.Enum):
    """What the gate does when the agent cannot decide or record a tap."""

    FAIL_OPEN = "fail_open"
    FAIL_CLOSED = "fail_closed"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Everything one validator needs to run, as read from its config file."""

    device_id: str
    role: DeviceRole
    stop_id: str | None
    area_ids: frozenset[str]
    network_id: str | None
    vehicle_id: str | None
    server_urls: tuple[str, ...]
    sync_interval_s: int
    readers: tuple[str, ...]
    gates: tuple[str, ...]
    store_path: Path
    trusted_keys: KeySet
    failure_policy: FailurePolicy
    trips: TripSettings = field(default_factory=TripSettings)


def load_config(path: Path) -> AgentConfig:
    """Read and check a config file; raises ``ConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError("config_unreadable", f"cannot read {path}: {error}") from error
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("config_not_toml", f"{path} is not valid TOML: {error}") from error
    return parse_config(document, base=path.parent)


def parse_config(document: Table, base: Path) -> AgentConfig:
    """Build an ``AgentConfig`` from a parsed TOML document; relative paths start at ``base``."""
    device, server = _table(document, "device"), _table(document, "server")
    devices, store = _table(document, "devices"), _table(document, "store")
    policy, trust = _table(document, "policy"), _table(document, "trust")
    role = _enum(DeviceRole, _text(device, "role", "device"), "device.role")
    vehicle_id = _optional_text(device, "vehicle_id", "device")
    stop_id = _optional_text(device, "stop_id", "device")
    if role is DeviceRole.BUS and vehicle_id is None:
        raise ConfigError("config_missing", "device.vehicle_id is required for role bus")
    if role is not DeviceRole.BUS and stop_id is None:
        raise ConfigError("config_missing", f"device.stop_id is required for role {role.value}")
    interval = server.get("sync_interval_s", 30)
    if type(interval) is not int or interval <= 0:
        raise ConfigError("config_bad_value", "server.sync_interval_s must be a positive integer")
    return AgentConfig(
        device_id=_text(device, "id", "device"),
        role=role,
        stop_id=stop_id,
        area_ids=frozenset(_texts(device, "area_ids", "device", required=False)),
        network_id=_optional_text(device, "network_id", "device"),
        vehicle_id=vehicle_id,
        server_urls=_texts(server, "urls", "server", required=True),
        sync_interval_s=interval,
        readers=_texts(devices, "readers", "devices", required=True),
        gates=_texts(devices, "gates", "devices", required=True),
        store_path=base / _text(store, "path", "store"),
        trusted_keys=_trusted_keys(trust, base),
        failure_policy=_enum(FailurePolicy, _text(policy, "on_failure", "policy"), "policy"),
        trips=_trip_settings(document.get("bus", {})),
    )


def _trip_settings(bus: object) -> TripSettings:
    """The optional ``[bus]`` section: how a bus follows its timetable, in whole seconds."""
    if not isinstance(bus, dict):
        raise ConfigError("config_bad_value", "[bus] must be a table")
    defaults = TripSettings()
    values = {}
    for name in (f.name for f in fields(TripSettings)):
        value = bus.get(name, getattr(defaults, name))
        if type(value) is not int or value < 0:
            raise ConfigError("config_bad_value", f"bus.{name} must be a whole number >= 0")
        values[name] = value
    unknown = set(bus) - set(values)
    if unknown:
        raise ConfigError("config_bad_value", f"[bus] has unknown keys {sorted(unknown)}")
    return TripSettings(**values)


def _table(document: Table, name: str) -> Table:
    value = document.get(name)
    if value is None:
        raise ConfigError("config_missing", f"section [{name}] is missing")
    if not isinstance(value, dict):
        raise ConfigError("config_bad_value", f"[{name}] must be a table")
    return value


def _text(table: Table, key: str, section: str) -> str:
    value = _optional_text(table, key, section)
    if value is None:
        raise ConfigError("config_missing", f"{section}.{key} is missing")
    return value


def _optional_text(table: Table, key: str, section: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if type(value) is not str or not value:
        raise ConfigError("config_bad_value", f"{section}.{key} must be a non-empty string")
    return value


def _texts(table: Table, key: str, section: str, *, required: bool) -> tuple[str, ...]:
    value = table.get(key, [])
    if type(value) is not list or any(type(v) is not str or not v for v in value):
        raise ConfigError("config_bad_value", f"{section}.{key} must be a list of strings")
    if required and not value:
        raise ConfigError("config_missing", f"{section}.{key} must name at least one entry")
    return tuple(value)


def _enum(kind: type[E], value: str, name: str) -> E:
    for member in kind:
        if member.value == value:
            return member
    allowed = ", ".join(str(m.value) for m in kind)
    raise ConfigError("config_bad_value", f"{name} must be one of {allowed}, not {value!r}")


def _trusted_keys(trust: Table, base: Path) -> KeySet:
    inline = trust.get("keys", [])
    if type(inline) is not list or any(not isinstance(k, dict) for k in inline):
        raise ConfigError("config_bad_value", "trust.keys must be an array of tables")
    keys = [_inline_key(table) for table in inline]
    keys_file = _optional_text(trust, "keys_file", "trust")
    if keys_file is not None:
        keys.extend(_file_keys(base / keys_file))
    if not keys:
        raise ConfigError("config_missing", "trust needs at least one key (keys or keys_file)")
    try:
        return KeySet(keys)
    except KeyFormatError as error:
        raise ConfigError("config_bad_key", error.message) from error


_KEY_FIELDS = frozenset({"kid", "ed25519_public", "valid_from", "valid_until"})


def _inline_key(table: Table) -> PublicKey:
    unknown = set(table) - _KEY_FIELDS
    if unknown:
        raise ConfigError("config_bad_key", f"trusted key has unknown fields {sorted(unknown)}")
    try:
        kid, encoded = table["kid"], table["ed25519_public"]
        if type(kid) is not int or type(encoded) is not str:
            raise TypeError("kid must be an integer and ed25519_public a string")
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        start, stop = _instant(table["valid_from"]), _instant(table["valid_until"])
        return PublicKey(kid, raw, start, stop)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ConfigError("config_bad_key", f"trusted key {dict(table)!r}: {error}") from error


def _instant(value: object) -> int:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError("validity bounds must be timestamps with a UTC offset")
    return epoch_seconds(moment)


def _file_keys(path: Path) -> list[PublicKey]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError("config_unreadable", f"cannot read {path}: {error}") from error
    try:
        return [PublicKey.from_json(line) for line in lines if line.strip()]
    except KeyFormatError as error:
        raise ConfigError("config_bad_key", f"{path}: {error.message}") from error
