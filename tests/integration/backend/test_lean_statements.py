"""The booking path's lean statements on real PostgreSQL: one cursor kept per statement and
pooled connection, answering alike whatever the parameters, after an error, and on the
connection that replaces a dropped one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Integer, String, bindparam, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from backend import db, lean_statements

pytestmark = pytest.mark.postgres

# A statement with a parameter that may be None or text, and one that fails on zero.
_ECHO = lean_statements.LeanStatement(
    select(
        bindparam("word", type_=String),
        literal_column("1") / bindparam("divisor", type_=Integer),
    )
)


@pytest.fixture
def pool_of_one(postgres_url: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_url, pool_size=1, autocommit=True)
    yield engine
    engine.dispose()


def _kept_cursor(engine: Engine) -> object:
    with engine.connect() as connection:
        return connection.connection.info[lean_statements._CURSORS_KEY][_ECHO]


def test_a_statement_keeps_one_cursor_per_connection_and_answers_every_call(
    pool_of_one: Engine,
) -> None:
    answers = []
    for word in ("aisle", None, "window", None):
        with pool_of_one.connect() as connection:
            answers.append(tuple(_ECHO.rows(connection, {"word": word, "divisor": 1})[0]))
    assert answers == [("aisle", 1), (None, 1), ("window", 1), (None, 1)]
    first = _kept_cursor(pool_of_one)
    with pool_of_one.connect() as connection:
        _ECHO.rows(connection, {"word": "again", "divisor": 1})
    assert _kept_cursor(pool_of_one) is first


def test_a_statement_that_failed_answers_on_its_next_call(pool_of_one: Engine) -> None:
    with pool_of_one.connect() as connection:
        with pytest.raises(DBAPIError, match="division by zero"):
            _ECHO.rows(connection, {"word": "x", "divisor": 0})
        assert [tuple(row) for row in _ECHO.rows(connection, {"word": "y", "divisor": 1})] == [
            ("y", 1)
        ]


def test_the_connection_replacing_a_dropped_one_gets_a_cursor_of_its_own(
    pool_of_one: Engine, postgres_engine: Engine
) -> None:
    with pool_of_one.connect() as connection:
        _ECHO.rows(connection, {"word": "before", "divisor": 1})
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    old = _kept_cursor(pool_of_one)
    with postgres_engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()

    with pool_of_one.connect() as connection, pytest.raises(DBAPIError) as failure:
        _ECHO.rows(connection, {"word": "during", "divisor": 1})
    assert failure.value.connection_invalidated
    with pool_of_one.connect() as connection:
        assert [tuple(row) for row in _ECHO.rows(connection, {"word": "after", "divisor": 1})] == [
            ("after", 1)
        ]
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    assert _kept_cursor(pool_of_one) is not old
