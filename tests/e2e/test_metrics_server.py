"""``/metrics`` of ``faregate serve`` as operators run it: the values of every gunicorn worker
and of the job runner added up, through worker restarts, in a folder made for the run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.engine import URL

from tests.harness import postgres
from tests.harness.network import free_port
from tests.harness.scraped_metrics import Scrape
from tests.harness.server_process import FAREGATE, FaregateServer

pytestmark = pytest.mark.postgres

HEALTH = {"endpoint": "health.Liveness", "method": "GET", "status": "200"}
REQUESTS = "faregate_http_request_duration_seconds_count"
JOB_RUNS = "faregate_job_runs_total"


@pytest.fixture
def database(postgres_server: URL) -> Iterator[str]:
    url = postgres.create_database(postgres_server, prefix="faregate_metrics")
    yield url.render_as_string(hide_password=False)
    postgres.drop_database(url)


@pytest.fixture
def make_server(database: str, tmp_path: Path) -> Iterator[Callable[..., FaregateServer]]:
    made: list[FaregateServer] = []

    def make(**settings: str) -> FaregateServer:
        server = FaregateServer(tmp_path / f"server{len(made)}", database, settings=settings)
        made.append(server)
        server.cli("db", "upgrade")
        return server

    yield make
    for server in made:
        server.close()


def children(pid: int) -> dict[int, str]:
    """Command lines of the live processes whose parent is ``pid``, by process id."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            found[int(entry.name)] = command
    return found


def workers_and_runner(server: FaregateServer, workers: int = 2) -> tuple[set[int], int]:
    """The gunicorn workers and the job runner of ``server``, once all have started."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = children(server.pid)
        runners = [pid for pid, command in found.items() if "backend jobs" in command]
        others = set(found) - set(runners)
        if len(runners) == 1 and len(others) == workers:
            return others, runners[0]
        time.sleep(0.1)
    raise AssertionError(f"no {workers} workers and a job runner: {children(server.pid)}")


def scrape(server: FaregateServer) -> Scrape:
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=30) as response:
        assert response.status == 200
        return Scrape.parse(response.read().decode())


def of_one_process(folder: Path, pid: int, tmp_path: Path) -> Scrape:
    """The values one process wrote, read alone (from a copy of its files)."""
    alone = tmp_path / f"alone-{pid}"
    alone.mkdir(exist_ok=True)
    for written in folder.glob(f"*_{pid}.db"):
        shutil.copy(written, alone / written.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(alone))
    return Scrape.parse(generate_latest(registry).decode())


def get_healthz(server: FaregateServer, request_id: str | None = None) -> str:
    request = urllib.request.Request(server.base_url + "/healthz")
    if request_id:
        request.add_header("X-Request-Id", request_id)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return str(response.headers["X-Request-Id"])


def test_a_scrape_adds_up_every_worker_and_the_job_runner(
    make_server: Callable[..., FaregateServer], tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")
    server = make_server(metrics_dir=str(folder))
    server.start()
    workers, runner = workers_and_runner(server)
    assert not (folder / "counter_1.db").exists()

    # Concurrent requests until each worker has answered some of them.
    sent = 0
    with ThreadPoolExecutor(max_workers=12) as pool:
        for _ in range(30):
            list(pool.map(lambda _n: get_healthz(server), range(24)))
            sent += 24
            served = {pid: of_one_process(folder, pid, tmp_path) for pid in workers}
            if all(alone.count(REQUESTS, **HEALTH) for alone in served.values()):
                break
    per_worker = {pid: alone.count(REQUESTS, **HEALTH) for pid, alone in served.items()}
    assert all(per_worker.values()), per_worker
    assert sum(per_worker.values()) == sent
    assert scrape(server).count(REQUESTS, **HEALTH) == sent

    # The job runner runs its jobs at once; its values show up beside the workers'.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if scrape(server).count(JOB_RUNS, job="sweep_expired_holds", outcome="ok"):
            break
        time.sleep(0.5)
    shown = scrape(server)
    assert shown.count(JOB_RUNS, job="sweep_expired_holds", outcome="ok") >= 1
    assert shown.count("faregate_job_duration_seconds_count", job="sweep_expired_holds") >= 1
    assert (
        of_one_process(folder, runner, tmp_path).count(
            JOB_RUNS, job="sweep_expired_holds", outcome="ok"
        )
        >= 1
    )

    # A worker that dies is replaced; what it counted still counts.
    killed = next(iter(workers))
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now_workers, _ = workers_and_runner(server)
        if killed not in now_workers:
            break
        time.sleep(0.1)
    assert killed not in now_workers
    assert scrape(server).count(REQUESTS, **HEALTH) == sent

    # The access log names each request by its id.
    assert get_healthz(server, "e2e-metrics-42") == "e2e-metrics-42"
    log = server.folder / "server.log"
    deadline = time.monotonic() + 10
    while "request_id=e2e-metrics-42" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = [line for line in log.read_text().splitlines() if "e2e-metrics-42" in line]
    assert len(lines) == 1
    assert '"GET /healthz HTTP/1.1" 200' in lines[0]
    assert lines[0].endswith("request_id=e2e-metrics-42")

    server.stop()
    assert folder.is_dir()  # a configured folder is the operator's: it stays


def test_without_a_configured_folder_each_run_gets_a_private_one_removed_at_stop(
    make_server: Callable[..., FaregateServer],
) -> None:
    server = make_server()
    server.start()
    _, runner = workers_and_runner(server)
    environ = Path(f"/proc/{runner}/environ").read_bytes().split(b"\0")
    named = [v.split(b"=", 1)[1] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    assert len(named) == 1
    folder = Path(named[0].decode())
    assert folder.is_dir()
    assert folder.name.startswith("faregate-metrics-")
    get_healthz(server)
    assert list(folder.glob("histogram_*.db"))
    server.stop()
    assert not folder.exists()


def test_a_job_runner_on_its_own_serves_its_runs_at_its_metrics_bind(
    make_server: Callable[..., FaregateServer],
) -> None:
    port = free_port()
    server = make_server(jobs_metrics_bind=f"127.0.0.1:{port}")
    runner = subprocess.Popen(
        [str(FAREGATE), "jobs"], cwd=server.folder, env=server.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        runs = 0.0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not runs:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as got:
                    runs = Scrape.parse(got.read().decode()).count(
                        JOB_RUNS, job="sweep_expired_holds", outcome="ok"
                    )
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        assert runs >= 1
    finally:
        runner.terminate()
        assert runner.wait(timeout=30) == 0
