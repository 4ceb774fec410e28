"""The server as operators run it: ``faregate db upgrade`` and ``faregate serve`` (gunicorn)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.network import free_port

ROOT = Path(__file__).resolve().parents[2]
FAREGATE = Path(sys.executable).parent / "faregate"


def call(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


class Server:
    """A ``faregate serve`` process and the CLI beside it, sharing one environment."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.base = f"http://{env['FAREGATE_BIND']}"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(FAREGATE), *args],
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(FAREGATE), "serve"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if call(self.base + "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("faregate serve did not answer /healthz within 30 s")

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def server(empty_database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = {
        **os.environ,
        "FAREGATE_DATABASE_URL": empty_database_url,
        "FAREGATE_BIND": f"127.0.0.1:{free_port()}",
        "FAREGATE_WORKERS": "2",
    }
    env.pop("FAREGATE_CONFIG", None)
    running = Server(tmp_path, env)
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_serves_probes_and_becomes_ready_after_migration(server: Server) -> None:
    server.start()
    assert call(server.base + "/healthz") == (200, {"status": "alive"})
    status, body = call(server.base + "/readyz")
    assert status == 503
    assert body["error"]["code"] == "migrations_pending"  # type: ignore[index]

    server.cli("db", "upgrade")
    assert call(server.base + "/readyz")[0] == 200
    assert server.stop() == 0


def test_operator_token_lifecycle_over_http(server: Server) -> None:
    server.cli("db", "upgrade")
    server.cli(
        *("user", "create", "admin@example.org", "--role", "admin", "--password-stdin"),
        stdin="a long admin password\n",
    )
    admin = server.cli("token", "create", "--user", "admin@example.org", "--name", "e2e").strip()
    server.start()

    assert call(server.base + "/api/v1/staff/users")[0] == 401
    status, users = call(server.base + "/api/v1/staff/users", admin)
    assert status == 200
    assert [user["email"] for user in users] == ["admin@example.org"]  # type: ignore[attr-defined]

    token_id = server.cli("token", "list").split("\t", 1)[0]
    server.cli("token", "revoke", token_id)
    status, body = call(server.base + "/api/v1/staff/users", admin)
    assert status == 401
    assert body["error"]["code"] == "token_revoked"  # type: ignore[index]
    assert server.stop() == 0


def test_defaults_use_the_shipped_config_and_sqlite_under_var(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "faregate.toml", tmp_path / "config" / "faregate.toml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAREGATE_")}
    env["FAREGATE_BIND"] = f"127.0.0.1:{free_port()}"
    server = Server(tmp_path, env)
    server.cli("db", "upgrade")
    assert (tmp_path / "var" / "faregate.db").is_file()
    server.start()
    try:
        assert call(server.base + "/readyz")[0] == 200
    finally:
        assert server.stop() == 0


def _children(pid: int) -> dict[int, str]:
    """Command lines of the processes whose parent is ``pid``, by process id."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = command
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_runs_the_job_runner_beside_gunicorn_and_stops_it(server: Server) -> None:
    server.cli("db", "upgrade")
    server.start()
    assert server.process is not None
    pid = server.process.pid

    def runners() -> list[int]:
        return [child for child, command in _children(pid).items() if "backend jobs" in command]

    deadline = time.monotonic() + 30
    while not runners() and time.monotonic() < deadline:
        time.sleep(0.1)
    found = runners()
    assert len(found) == 1, _children(pid)
    assert _alive(found[0])
    assert server.stop() == 0
    deadline = time.monotonic() + 10
    while _alive(found[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(found[0])
