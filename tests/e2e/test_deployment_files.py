"""The deployment files in ``config/deploy`` work as the README says.

- Every systemd unit passes ``systemd-analyze verify`` (with the install prefix pointed at
  this checkout's virtual environment), and every Faregate command line in them is one the
  CLI accepts.
- The nginx example, with its addresses and certificate paths replaced by the test's,
  terminates TLS in front of a real ``faregate serve``: HTTP is sent to HTTPS, requests and
  POSTs pass through with a request id, and ``/metrics`` is not exposed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.harness.network import free_port
from tests.harness.server_process import FaregateServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "config" / "deploy"
PREFIX = "/opt/faregate/.venv"
VENV = Path(sys.executable).parent.parent


def _needed(tool: str) -> str:
    """The path of ``tool``; a missing tool skips the test, or fails it under CI."""
    found = shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/usr/bin") / tool) if p.exists()),
        None,
    )
    if found is None:
        message = f"{tool} is not installed (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


# -- systemd ---------------------------------------------------------------------------------


def _units(folder: Path) -> list[Path]:
    """The units, with the install prefix replaced by this checkout's environment."""
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        copy = folder / unit.name
        copy.write_text(unit.read_text().replace(PREFIX, str(VENV)))
        units.append(copy)
    return units


def test_every_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = _needed("systemd-analyze")
    units = _units(tmp_path)
    assert {unit.name for unit in units} >= {
        "faregate-server.service",
        "faregate-jobs.service",
        "faregate-agent.service",
    }
    done = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no unknown keys, no warnings


def test_every_faregate_command_in_the_units_is_one_the_cli_takes(tmp_path: Path) -> None:
    commands = []
    for unit in _units(tmp_path):
        for line in unit.read_text().splitlines():
            match = re.match(r"Exec\w+=(.*)", line)
            if match and "/bin/faregate" in match.group(1):
                commands.append(shlex.split(match.group(1)))
    assert len(commands) >= 5
    for command in commands:
        # --help after the real arguments: click refuses an unknown command or option first.
        done = subprocess.run(
            [*command, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{shlex.join(command)}: {done.stderr}"


# -- nginx -----------------------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "faregate.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Proxy:
    """nginx running the example site in front of ``upstream``."""

    def __init__(self, folder: Path, upstream: str) -> None:
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        self.certificate, key = _self_signed(folder)
        site = (DEPLOY / "nginx" / "faregate.conf").read_text()
        site = re.sub(r"server 10\.0\.0\.\d+:8000", f"server {upstream}", site)
        site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = site.replace("listen 443 ", f"listen 127.0.0.1:{self.https_port} ")
        site = site.replace("/etc/ssl/faregate/fullchain.pem", str(self.certificate))
        site = site.replace("/etc/ssl/faregate/privkey.pem", str(key))
        (folder / "faregate.conf").write_text(site)
        temp = folder / "temp"
        temp.mkdir()
        (folder / "nginx.conf").write_text(
            f"user root;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n access_log {folder}/access.log;\n client_body_temp_path {temp};\n"
            f" proxy_temp_path {temp};\n fastcgi_temp_path {temp};\n uwsgi_temp_path {temp};\n"
            f" scgi_temp_path {temp};\n include {folder}/faregate.conf;\n}}\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, nginx: str) -> None:
        config = str(self.folder / "nginx.conf")
        tested = subprocess.run(
            [nginx, "-t", "-c", config, "-p", str(self.folder)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert tested.returncode == 0, tested.stderr
        self._process = subprocess.Popen(
            [nginx, "-c", config, "-p", str(self.folder), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError((self.folder / "error.log").read_text())

    def stop(self) -> None:
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGQUIT)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))

    def get(self, path: str, *, scheme: str = "https") -> tuple[int, dict[str, str], bytes]:
        port = self.https_port if scheme == "https" else self.http_port
        request = urllib.request.Request(f"{scheme}://127.0.0.1:{port}{path}")
        return self._send(request)

    def post(self, path: str, body: object) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            f"https://127.0.0.1:{self.https_port}{path}",
            json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._tls()), _NoRedirects()
        )
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


@pytest.fixture
def proxy(live_server: FaregateServer, tmp_path: Path) -> Iterator[Proxy]:
    nginx = _needed("nginx")
    running = Proxy(tmp_path, f"127.0.0.1:{live_server.port}")
    running.start(nginx)
    yield running
    running.stop()


def test_the_nginx_example_terminates_tls_in_front_of_the_server(proxy: Proxy) -> None:
    status, headers, body = proxy.get("/readyz")
    assert status == 200
    assert json.loads(body)["status"] == "ready"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert re.fullmatch(r"[0-9a-f]{32}", headers.get("X-Request-Id", "")), headers

    status, headers, _ = proxy.get("/readyz", scheme="http")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/readyz"

    assert proxy.get("/metrics")[0] == 404


def test_a_post_goes_through_the_proxy(proxy: Proxy, live_server: FaregateServer) -> None:
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    trip = f"CITY2@{tomorrow.isoformat()}T05:30:00"
    status, _, body = proxy.post(
        "/api/v1/holds", {"trip_instance": trip, "from": "EMSI", "to": "NANAA", "party": 1}
    )
    assert status == 201, body
    held = json.loads(body)
    status, _, body = proxy.get(f"/api/v1/holds/{held['id']}")
    assert status == 200
    assert json.loads(body)["id"] == held["id"]
    live_server.call("DELETE", f"/api/v1/holds/{held['id']}")
