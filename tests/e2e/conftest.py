"""End-to-end fixtures: one ``faregate serve`` on real PostgreSQL for the session, and
validator agents provisioned against it, each a process of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.harness import postgres
from tests.harness.agent_process import AgentFactory, AgentProcess, AgentSettings, Wrapper
from tests.harness.device_link import DeviceLink
from tests.harness.mailbox import Mailbox, smtp_server
from tests.harness.server_process import FaregateServer
from tests.harness.todays_feed import agency_today, feed_running_around


@pytest.fixture(scope="session")
def e2e_database(postgres_server: URL) -> Iterator[str]:
    """An empty database of its own on the test PostgreSQL server, dropped at the end."""
    url = postgres.create_database(postgres_server, prefix="faregate_e2e")
    yield url.render_as_string(hide_password=False)
    postgres.drop_database(url)


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """The mail server the session's server sends to: aiosmtpd on 127.0.0.1."""
    with smtp_server() as (box, port):
        box.port = port
        yield box


@pytest.fixture(scope="session")
def session_server(
    e2e_database: str, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[FaregateServer]:
    """The server, migrated and keyed by its CLI, publishing a feed that runs today; it mails
    through ``mailbox`` and moves the travelers of a cancelled trip only to the next half-hourly
    run (arriving up to 30 minutes later)."""
    folder = tmp_path_factory.mktemp("e2e")
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(mailbox.port),
        "reaccommodation_earliest_minutes": "0",
        "reaccommodation_latest_minutes": "30",
    }
    server = FaregateServer(folder / "server", e2e_database, settings=settings)
    server.prepare(feed_running_around(folder, agency_today(datetime.now(UTC))))
    server.start()
    yield server
    server.close()


@pytest.fixture
def live_server(session_server: FaregateServer) -> FaregateServer:
    """The session's server, running (a test that stopped it may have failed mid-way)."""
    if not session_server.running:
        session_server.start()
    return session_server


@pytest.fixture
def device_link(live_server: FaregateServer) -> Iterator[DeviceLink]:
    """A relay between agents and the server that the test can disturb."""
    link = DeviceLink(live_server.base_url).start()
    yield link
    link.close()


@pytest.fixture
def make_agent(live_server: FaregateServer, tmp_path: Path) -> Iterator[AgentFactory]:
    """Register a device on the server and provision an agent for it with its own CLI.

    Keyword arguments go to ``AgentSettings``; ``via`` is the URL the agent syncs with (the
    server's by default) and ``wrap`` runs its commands elsewhere (e.g. in a namespace).
    """
    keys_file = tmp_path / "bundle-keys.jsonl"
    keys_file.write_text(live_server.public_keys())
    agents: list[AgentProcess] = []

    def make(
        device_id: str,
        *,
        via: str | None = None,
        store_path: Path | None = None,
        wrap: Wrapper | None = None,
        **settings: object,
    ) -> AgentProcess:
        role = str(settings.get("role", "gate_entry"))
        stop_id = str(settings.get("stop_id", "STAGECOACH"))
        vehicle_id = settings.get("vehicle_id")
        token = live_server.create_device(
            device_id, role, stop_id, None if vehicle_id is None else str(vehicle_id)
        )
        folder = tmp_path / device_id
        config = AgentSettings(
            device_id=device_id,
            server_urls=(via or live_server.base_url,),
            keys_file=keys_file,
            store_path=store_path or folder / "agent.db",
            **settings,  # type: ignore[arg-type]
        )
        agent = AgentProcess(folder, config) if wrap is None else AgentProcess(folder, config, wrap)
        provisioned = agent.provision(live_server.base_url, token)
        assert provisioned["provisioned"]["device_id"] == device_id
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()
