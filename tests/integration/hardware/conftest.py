"""Pseudo-terminals standing in for USB-CDC serial devices."""

from __future__ import annotations

import os
import tty
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Pty:
    """A pseudo-terminal: the test holds the master end, the driver opens ``path``."""

    master: int
    path: str
    _closed: bool = field(default=False)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def hang_up(self) -> None:
        """Close the master: the slave side sees a hang-up, as on a USB unplug."""
        if not self._closed:
            os.close(self.master)
            self._closed = True


def open_pty() -> Pty:
    """A new pty whose slave end is raw and not held open by the test."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    os.close(slave)
    return Pty(master, path)


@pytest.fixture
def ptys() -> Iterator[list[Pty]]:
    """A factory list: append ``open_pty()`` results; all are closed after the test."""
    opened: list[Pty] = []
    yield opened
    for pty in opened:
        pty.hang_up()


@pytest.fixture
def device_link(tmp_path: Path) -> Path:
    """A symlink standing for a stable ``/dev/serial/by-id/...`` name."""
    return tmp_path / "usb-Faregate_Scanner-if00"


def point(link: Path, pty: Pty) -> None:
    """Point the stable name at ``pty`` (a re-enumerated device)."""
    if link.is_symlink():
        link.unlink()
    link.symlink_to(pty.path)
