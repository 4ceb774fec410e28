"""Local PostgreSQL clusters made with the server binaries found on the machine.

The binaries are those of ``pg_config --bindir``, else the newest ``/usr/lib/postgresql/*/bin``
holding ``initdb`` and ``pg_ctl``. PostgreSQL refuses to run as root, so under root a cluster's
folder and processes belong to the ``postgres`` account (``nobody`` where there is none), and
every server command runs through ``runuser``.

Settings are given on the server's command line (``pg_ctl -o "-c name=value"``) rather than
written to ``postgresql.conf``: a standby copied with ``pg_basebackup`` copies the primary's
configuration files, and settings of one server (its port, whom it waits for) must not follow.
``pg_ctl`` hands the options to a shell, so each is quoted.

Nothing runs at import time. This is tooling for operators' drills and for tests; the server
never imports it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

COMMAND_TIMEOUT_S = 120


class ClusterError(RuntimeError):
    """A server command failed; the message holds its output."""


def find_server_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is absent."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        found = subprocess.run(
            ["pg_config", "--bindir"],  # noqa: S607 - found on PATH on purpose
            capture_output=True,
            text=True,
            check=False,
        )
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and all(Path(directory, tool).exists() for tool in ("initdb", "pg_ctl")):
            return Path(directory)
    return None


def unprivileged_account() -> pwd.struct_passwd | None:
    """The account clusters run as under root (None when not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterError("running as root and no postgres or nobody account to run PostgreSQL")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ClusterFolder:
    """A temporary folder that clusters live in, owned by their account; removed on close."""

    def __init__(self, prefix: str = "faregate-pg-") -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.owner = unprivileged_account()
        if self.owner is not None:
            os.chmod(self.root, 0o755)  # noqa: S103 - the cluster owner must enter it
        self.give(self.root)

    def make(self, name: str) -> Path:
        """A new folder ``name`` inside, owned by the clusters' account."""
        path = self.root / name
        path.mkdir()
        self.give(path)
        return path

    def give(self, path: Path) -> None:
        """Hand ``path`` to the clusters' account (nothing to do when not root)."""
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def run(self, bindir: Path, argv: Sequence[str]) -> str:
        """Run the server tool ``argv[0]`` of ``bindir`` as the clusters' account; its output."""
        command = [str(bindir / argv[0]), *argv[1:]]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        done = subprocess.run(  # noqa: S603 - the server's own tools
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.stdout}")
        return done.stdout

    def remove(self) -> None:
        """Delete the folder and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)


class LocalCluster:
    """One PostgreSQL server: a data directory in a ``ClusterFolder`` and its settings."""

    def __init__(self, folder: ClusterFolder, bindir: Path, name: str) -> None:
        self.folder = folder
        self.bindir = bindir
        self.name = name
        self.data = folder.root / name
        self.socket_dir = folder.make(f"{name}-socket")
        self.log = folder.root / f"{name}.log"

    def initialise(self) -> None:
        """Create the data directory: superuser ``postgres``, trusted local connections.

        ``initdb`` skips its fsyncs (``--no-sync``, three times faster): the cluster is made
        for a drill or a test, and a machine that crashed meanwhile would end either anyway.
        """
        options = ["--no-sync", "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        self.run(["initdb", *options, "-D", str(self.data)])

    def start(self, settings: Mapping[str, str]) -> None:
        """Start the server with ``settings`` on its command line; wait until it answers."""
        options = [f"-c unix_socket_directories={shlex.quote(str(self.socket_dir))}"]
        options += [f"-c {shlex.quote(f'{key}={value}')}" for key, value in settings.items()]
        command = ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(options)]
        self.run([*command, "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would, without a checkpoint)."""
        self.run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"])

    def stop_if_running(self) -> None:
        """Stop the server at once when it runs; nothing otherwise."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ClusterError):  # a stale pid file: it was not running
                self.stop("immediate")

    def promote(self) -> None:
        """Turn this standby into a primary; wait until it accepts writes."""
        self.run(["pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote"])

    def run(self, argv: Sequence[str]) -> str:
        """Run a server tool of this cluster's binaries as the clusters' account."""
        return self.folder.run(self.bindir, argv)

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the server's log (empty when there is none)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
