"""A small disk of its own for an agent's store: a tmpfs in a private mount namespace.

The kernel enforces a tmpfs's size like any full disk: a write past it fails with ENOSPC,
which sqlite reports as SQLITE_FULL. The tmpfs is mounted in a mount namespace that only
a holder process (``sleep``) and the commands run through ``wrap`` (``nsenter``) share, so
nothing outside the test sees it, and it disappears with the holder. Filling it is what
happens on a device when something else (logs, a core dump) takes the space: ``fill``
writes a ballast file until the disk refuses more, ``free`` deletes it.

As root this needs only ``unshare --mount``; as another user, an unprivileged user
namespace (``unshare -Urm``) where the system allows one. ``MountNamespaceUnavailableError``
says why neither worked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HOLD_S = 3600


class MountNamespaceUnavailableError(RuntimeError):
    """No private mount namespace with a tmpfs could be made here."""


class SmallDisk:
    """A tmpfs of ``size_kib`` mounted on ``mountpoint`` in a private mount namespace."""

    def __init__(self, mountpoint: Path, size_kib: int) -> None:
        self.mountpoint = mountpoint
        self.size_kib = size_kib
        self._privileged = os.geteuid() == 0
        self._holder: subprocess.Popen[bytes] | None = None

    def mount(self) -> None:
        """Make the namespace and mount the tmpfs; ``MountNamespaceUnavailableError`` if refused."""
        if shutil.which("unshare") is None or shutil.which("nsenter") is None:
            raise MountNamespaceUnavailableError("util-linux unshare and nsenter are not installed")
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        flags = ["--mount", "--propagation", "private"]
        if not self._privileged:
            flags = ["--user", "--map-root-user", *flags]
        script = (
            f'mount -t tmpfs -o size={self.size_kib}k tmpfs "$0" '
            f"&& echo ready && exec sleep {HOLD_S}"
        )
        self._holder = subprocess.Popen(
            ["unshare", *flags, "--", "sh", "-c", script, str(self.mountpoint)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != b"ready":
            _, error = self._holder.communicate(timeout=30)
            self._holder = None
            raise MountNamespaceUnavailableError(error.decode(errors="replace").strip())

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` run inside the namespace (``nsenter`` execs it: same process id)."""
        assert self._holder is not None
        enter = ["nsenter", "--target", str(self._holder.pid), "--mount"]
        if not self._privileged:
            enter += ["--user", "--preserve-credentials"]
        return [*enter, "--", *command]

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the namespace and wait for it."""
        return subprocess.run(
            self.wrap(list(command)), capture_output=True, text=True, timeout=60, check=False
        )

    def fill(self) -> str:
        """Write a ballast file until the disk is full; what ``dd`` said on refusal."""
        ballast = self.mountpoint / "ballast"
        done = self.run("dd", "if=/dev/zero", f"of={ballast}", "bs=4096")
        assert done.returncode != 0, "the ballast should have run out of space"
        return done.stderr

    def free(self) -> None:
        """Delete the ballast."""
        done = self.run("rm", "-f", str(self.mountpoint / "ballast"))
        assert done.returncode == 0, done.stderr

    def available_kib(self) -> int:
        """Free space on the tmpfs in KiB, as ``df`` inside the namespace sees it."""
        done = self.run("df", "-k", "--output=avail", str(self.mountpoint))
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    def unmount(self) -> None:
        """End the holder: the namespace and its tmpfs go away with it."""
        holder = self._holder
        if holder is not None:
            holder.kill()
            holder.communicate(timeout=30)
            self._holder = None
