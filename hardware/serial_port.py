"""Open pyserial ports from URLs, translating every failure into ``None`` plus a log line."""

from __future__ import annotations

import logging

import serial

log = logging.getLogger(__name__)

# What pyserial raises when a port is missing, busy, hung up or not a serial device at all.
PORT_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, ValueError)


def open_port(url: str, baudrate: int, timeout: float) -> serial.SerialBase | None:
    """Open ``url`` (a device path, ``/dev/serial/by-id/...``, ``hwgrep://``, ``socket://``).

    Return None when it cannot be opened now; the caller retries with backoff.
    """
    try:
        port: serial.SerialBase = serial.serial_for_url(
            url, baudrate=baudrate, timeout=timeout, write_timeout=timeout
        )
    except PORT_ERRORS as error:
        log.warning("cannot open serial port %s: %s", url, error)
        return None
    return port


def close_port(port: serial.SerialBase | None) -> None:
    """Close ``port``, ignoring the errors of a port that is already gone."""
    if port is None:
        return
    try:
        port.close()
    except PORT_ERRORS as error:
        log.debug("closing serial port failed: %s", error)
