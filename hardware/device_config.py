"""Parse the configuration strings that name a validator's readers and gates.

Grammar: ``KIND:TARGET[?KEY=VALUE[&KEY=VALUE...]]``. Readers:

- ``nfc:PATH[?tech=106A,212F]`` - an nfcpy device: ``usb[:vid:pid]`` or ``usb[:bus:dev]``,
  ``tty:PORT[:DRIVER]``, ``com:PORT[:DRIVER]``, ``udp[:HOST[:PORT]]``; ``tech`` lists the
  RF targets to poll (default ``106A``).
- ``serial:URL[?baud=9600]`` - a line-per-code scanner at a pyserial URL: a device path,
  ``/dev/serial/by-id/...``, ``hwgrep://REGEXP``, ``socket://HOST:PORT``.
- ``wedge:stdin`` - a keyboard-wedge scanner typing into standard input.

Gates: ``relay:URL[?baud=9600]`` (a serial gate controller), ``log:`` and ``console:``
(also ``console:stdout``). Only the options listed are accepted; pyserial's own URL options
cannot be given here. Every refusal is a ``DeviceConfigError`` with a stable ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.rf_targets import RF_TARGETS

DEFAULT_BAUD = 9600
MAX_BAUD = 4_000_000
NFC_PATH_KINDS = frozenset({"usb", "tty", "com", "udp"})
READER_OPTIONS = {"nfc": {"tech"}, "serial": {"baud"}, "wedge": set[str]()}
GATE_OPTIONS = {"relay": {"baud"}, "log": set[str](), "console": set[str]()}


class DeviceConfigError(ValueError):
    """A device configuration string that cannot be used; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class NfcReaderSpec:
    """An nfcpy reader at ``path`` polling ``technologies``."""

    path: str
    technologies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SerialReaderSpec:
    """A serial scanner at pyserial ``url``."""

    url: str
    baudrate: int


@dataclass(frozen=True, slots=True)
class WedgeReaderSpec:
    """A keyboard wedge on standard input."""


@dataclass(frozen=True, slots=True)
class RelayGateSpec:
    """A serial gate controller at pyserial ``url``."""

    url: str
    baudrate: int


@dataclass(frozen=True, slots=True)
class LogGateSpec:
    """A gate that logs its commands."""


@dataclass(frozen=True, slots=True)
class ConsoleGateSpec:
    """A display and buzzer written to standard output."""


ReaderSpec = NfcReaderSpec | SerialReaderSpec | WedgeReaderSpec
GateSpec = RelayGateSpec | LogGateSpec | ConsoleGateSpec


def parse_reader(config: str) -> ReaderSpec:
    """Parse a reader configuration string."""
    kind, target, options = _split(config, READER_OPTIONS, "reader")
    if kind == "nfc":
        return NfcReaderSpec(_nfc_path(target), _technologies(options.get("tech", "106A")))
    if kind == "serial":
        return SerialReaderSpec(_required(target, config), _baud(options))
    if target != "stdin":
        raise DeviceConfigError("device_config_bad_target", f"a wedge reads stdin: {config!r}")
    return WedgeReaderSpec()


def parse_gate(config: str) -> GateSpec:
    """Parse a gate configuration string."""
    kind, target, options = _split(config, GATE_OPTIONS, "gate")
    if kind == "relay":
        return RelayGateSpec(_required(target, config), _baud(options))
    if target:
        if kind == "console" and target == "stdout":
            return ConsoleGateSpec()
        raise DeviceConfigError("device_config_bad_target", f"{kind}: takes no target: {config!r}")
    return LogGateSpec() if kind == "log" else ConsoleGateSpec()


def _split(config: str, allowed: dict[str, set[str]], role: str) -> tuple[str, str, dict[str, str]]:
    text = config.strip()
    if not text:
        raise DeviceConfigError("device_config_empty", f"an empty {role} configuration")
    kind, colon, rest = text.partition(":")
    if not colon or kind not in allowed:
        known = ", ".join(f"{name}:" for name in allowed)
        raise DeviceConfigError(
            "device_config_unknown_kind", f"unknown {role} {config!r}; expected one of {known}"
        )
    target, _, query = rest.partition("?")
    return kind, target, _options(query, allowed[kind], config)


def _options(query: str, allowed: set[str], config: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, equals, value = pair.partition("=")
        if key not in allowed:
            raise DeviceConfigError("device_config_unknown_option", f"{key!r} in {config!r}")
        if not equals or not value or key in options:
            raise DeviceConfigError("device_config_bad_option", f"{pair!r} in {config!r}")
        options[key] = value
    return options


def _required(target: str, config: str) -> str:
    if not target:
        raise DeviceConfigError("device_config_missing_target", f"no device in {config!r}")
    return target


def _baud(options: dict[str, str]) -> int:
    text = options.get("baud", str(DEFAULT_BAUD))
    if not text.isdigit() or not 0 < int(text) <= MAX_BAUD:
        raise DeviceConfigError("device_config_bad_baud", f"baud must be 1..{MAX_BAUD}: {text!r}")
    return int(text)


def _technologies(text: str) -> tuple[str, ...]:
    technologies = tuple(part.strip().upper() for part in text.split(","))
    unknown = [tech for tech in technologies if tech not in RF_TARGETS]
    if unknown or len(set(technologies)) != len(technologies):
        raise DeviceConfigError(
            "device_config_bad_tech", f"tech must list some of {sorted(RF_TARGETS)}: {text!r}"
        )
    return technologies


def _nfc_path(path: str) -> str:
    parts = path.split(":")
    if parts[0] not in NFC_PATH_KINDS:
        raise DeviceConfigError(
            "device_config_bad_nfc_path", f"an nfc path starts usb, tty, com or udp: {path!r}"
        )
    if parts[0] in ("tty", "com") and (len(parts) < 2 or not parts[1]):
        raise DeviceConfigError("device_config_bad_nfc_path", f"{parts[0]} needs a port: {path!r}")
    if parts[0] == "udp" and not _valid_udp(parts[1:]):
        raise DeviceConfigError("device_config_bad_nfc_path", f"use udp[:HOST[:PORT]]: {path!r}")
    return path


def _valid_udp(parts: list[str]) -> bool:
    if len(parts) > 2:
        return False
    if len(parts) < 2 or not parts[1]:
        return True
    return parts[1].isdigit() and 0 < int(parts[1]) < 65536
