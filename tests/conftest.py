"""Shared fixtures: migrated SQLite and PostgreSQL databases, the app, a client, staff tokens.

Database tests take ``database_url`` and run once per backend. PostgreSQL comes from
``TEST_DATABASE_URL`` or, where that is unset, a throwaway cluster; with neither, its tests are
skipped loudly, and under ``CI=true`` such a skip is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL

from backend import schema
from backend.app import create_app
from backend.auth import passwords
from backend.clock import utc_now
from backend.db import Database, make_engine
from backend.models import Base
from backend.services import accounts, feeds
from backend.services.signing_keys import Keyring, save_keyring
from backend.settings import Settings
from fares.keys import SigningKey
from tests.harness import postgres
from tests.harness.feeds import SAMPLE_FEED

pytest_plugins = ["pytester"]
NO_POSTGRES = (
    "PostgreSQL tests SKIPPED: set TEST_DATABASE_URL or install the PostgreSQL server "
    "binaries (initdb, pg_ctl) for a throwaway cluster"
)
STAFF_PASSWORD = "a long enough password"


def _as_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """A PostgreSQL server URL on which databases may be created."""
    from_env = postgres.url_from_environment()
    if from_env is not None:
        yield from_env
        return
    bindir = postgres.find_server_binaries()
    if bindir is None:
        if _in_ci():
            pytest.fail(NO_POSTGRES)
        pytest.skip(NO_POSTGRES)
    cluster = postgres.ThrowawayCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: URL) -> Iterator[str]:
    """A migrated PostgreSQL database for the session (``TEST_DATABASE_URL`` itself if set)."""
    if postgres.url_from_environment() is not None:
        url = postgres_server
        postgres.reset_database(url)
        created = False
    else:
        url = postgres.create_database(postgres_server)
        created = True
    _migrate(_as_string(url))
    yield _as_string(url)
    if created:
        postgres.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for the session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'faregate.db'}"
    _migrate(url)
    return url


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of each backend, emptied after every test."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    yield url
    empty_tables(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each backend with no schema at all, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: URL = request.getfixturevalue("postgres_server")
    url = postgres.create_database(server, prefix="faregate_empty")
    yield _as_string(url)
    postgres.drop_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated database of each backend."""
    yield from _engine(database_url)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the migrated PostgreSQL database, for PostgreSQL-only tests."""
    yield from _engine(postgres_url)
    empty_tables(postgres_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on the migrated SQLite database, for SQLite-only tests."""
    yield from _engine(sqlite_url)
    empty_tables(sqlite_url)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[Database]:
    """The migrated PostgreSQL database, for PostgreSQL-only service tests."""
    database = Database(postgres_url)
    yield database
    database.dispose()
    empty_tables(postgres_url)


def _engine(url: str) -> Iterator[Engine]:
    created = make_engine(url)
    yield created
    created.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2id with argon2-cffi's cheapest parameters in the suite's own process: the same
    hashing and checks at a thousandth of the cost (staff, travelers and recovery codes make
    hundreds of hashes). Servers the tests start as processes keep the real parameters, which
    tests/unit/backend/test_auth.py checks."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def signing_keys_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A keyring shared by the test apps, whose one key signs at any time the tests use
    (they book trips of 2008 feeds at 2008 times)."""
    path = tmp_path_factory.mktemp("keys") / "signing-keys.json"
    key = SigningKey.generate(1, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    save_keyring(path, Keyring((key,)))
    return str(path)


@pytest.fixture
def settings(database_url: str, signing_keys_file: str) -> Settings:
    """Settings for a test app on ``database_url``."""
    return Settings(
        database_url=database_url, log_level="WARNING", signing_keys_file=signing_keys_file
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """A Faregate app on a migrated database."""
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["faregate.database"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def database(app: Flask) -> Database:
    """The app's database, for arranging state directly through services."""
    db: Database = app.extensions["faregate.database"]
    return db


@pytest.fixture
def staff_token(database: Database) -> Callable[..., str]:
    """Make a staff user with ``role`` and return a bearer token for it."""
    counter = iter(range(1, 1000))

    def make(role: str = "admin", token_role: str | None = None) -> str:
        with database.sessions() as session:
            user = accounts.create_user(
                session, f"{role}{next(counter)}@example.org", STAFF_PASSWORD, role, now=utc_now()
            )
            _, plaintext = accounts.create_token(
                session, user, name="test", role=token_role, now=utc_now()
            )
        return plaintext

    return make


SAMPLE_PUBLISHED_AT = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def published(database: Database) -> int:
    """The sample feed, published at noon on 2008-06-01 (UTC); its version id."""
    result = feeds.import_feed(
        database,
        SAMPLE_FEED,
        filename="sample",
        now=SAMPLE_PUBLISHED_AT,
        today=SAMPLE_PUBLISHED_AT.date(),
        publish=True,
    )
    return result.version.id


@pytest.fixture
def planner(staff_token: Callable[..., str]) -> dict[str, str]:
    """API headers of a planner."""
    return {"Authorization": f"Bearer {staff_token('planner')}"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _migrate(url: str) -> None:
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()


def empty_tables(url: str) -> None:
    """Delete every row of every table of the database at ``url``."""
    engine = create_engine(url)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            _drop_partitions(connection)
            # TRUNCATE costs some milliseconds per table whether or not it holds rows: only
            # the tables a test wrote to are emptied, and only the sequences it moved restart.
            holding = (
                connection.execute(
                    text(
                        " UNION ALL ".join(
                            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")"
                            for name in tables
                        )
                    )
                )
                .scalars()
                .all()
            )
            if holding:
                quoted = ", ".join(f'"{name}"' for name in holding)
                connection.execute(text(f"TRUNCATE {quoted} CASCADE"))
            moved = connection.execute(
                text(
                    "SELECT schemaname, sequencename FROM pg_sequences "
                    "WHERE last_value IS NOT NULL AND schemaname = current_schema()"
                )
            ).all()
            for schema, sequence in moved:
                connection.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
    engine.dispose()


def _drop_partitions(connection: Connection) -> None:
    """Drop the per-feed-version partitions imports attached to the gtfs_* tables."""
    partitions = connection.execute(
        text(
            "SELECT child.relname FROM pg_inherits "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
            "WHERE parent.relname LIKE 'gtfs\\_%'"
        )
    ).scalars()
    for name in partitions:
        connection.execute(text(f'DROP TABLE "{name}"'))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Under CI, a skipped PostgreSQL test is a failed test."""
    report = yield
    if _in_ci() and report.skipped and item.get_closest_marker("postgres") is not None:  # type: ignore[attr-defined]
        report.outcome = "failed"  # type: ignore[attr-defined]
        report.longrepr = f"PostgreSQL test skipped under CI: {report.longrepr}"  # type: ignore[attr-defined]
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when PostgreSQL tests did not run."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "postgres" in getattr(report, "keywords", {})
    ]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} PostgreSQL tests were SKIPPED", red=True)
        terminalreporter.write_line(NO_POSTGRES, red=True)
