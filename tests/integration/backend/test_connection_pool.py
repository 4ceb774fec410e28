"""The PostgreSQL pool replaces connections the server has dropped, on real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from backend import db

pytestmark = pytest.mark.postgres


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(postgres_engine: Engine, pid: int) -> None:
    with postgres_engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres_url: str, postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    engine = db.make_engine(postgres_url, pool_size=1)
    try:
        dropped = _backend_pid(engine)
        _terminate(postgres_engine, dropped)

        # The request after the drop gets a working connection, not an error.
        assert _backend_pid(engine) != dropped
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(
    postgres_url: str, postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)
    engine = db.make_engine(postgres_url, pool_size=1)
    try:
        dropped = _backend_pid(engine)
        _terminate(postgres_engine, dropped)

        # Without a ping the first use finds the connection gone; SQLAlchemy then drops the
        # pool's connections, and the next use gets a fresh one.
        with pytest.raises(DBAPIError) as failure:
            _backend_pid(engine)
        assert failure.value.connection_invalidated
        assert _backend_pid(engine) != dropped
    finally:
        engine.dispose()


def test_a_ping_leaves_no_transaction_open(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    engine = db.make_engine(postgres_url, pool_size=1)
    try:
        _backend_pid(engine)
        with engine.connect() as connection:  # pinged on checkout
            driver = connection.connection.driver_connection
            assert driver is not None
            assert driver.info.transaction_status.name == "IDLE"
            assert driver.autocommit is False
    finally:
        engine.dispose()
