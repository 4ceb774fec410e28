"""Statements of the reservation rush path, handed to psycopg directly on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from backend.db import Executor, core

_CURSORS_KEY = "faregate_lean_cursors"


class LeanStatement:
    """A statement of the reservation rush path, run on PostgreSQL by psycopg's own cursor.

    SQLAlchemy's work around each execution costs about as much as a small statement itself
    does on the driver; for the few statements every booking runs, the statement is compiled
    once and handed to psycopg directly (PostgreSQL's types need no conversion by SQLAlchemy).
    Driver errors are raised as SQLAlchemy's, as ``Connection.execute`` raises them. Other
    databases run the statement through SQLAlchemy.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: tuple[bytes, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def rows(self, executor: Executor, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows the statement returns (none for one without RETURNING)."""
        connection = core(executor)
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.statement, dict(params))
            return result.all() if result.returns_rows else []
        sql, defaults = self._for(connection.dialect)
        values = {**defaults, **params}
        pooled = connection.connection
        driver: psycopg.Connection[Any] = pooled.driver_connection  # type: ignore[assignment]
        try:
            cursor = self._cursor(pooled.info, driver)
            cursor.execute(sql, values)
            # ``rownumber`` is None when the statement returned no rows at all (cheaper to ask
            # than ``description``, which builds a column object per column).
            return cursor.fetchall() if cursor.rownumber is not None else []
        except psycopg.Error as error:
            if driver.broken:
                # Let SQLAlchemy meet the broken connection itself (it sends nothing on it), so
                # that it invalidates the pool as on any disconnect.
                connection.execute(self.statement, dict(params))
            raise DBAPIError.instance(sql.decode(), values, error, psycopg.Error) from error

    def _cursor(self, info: dict[Any, Any], driver: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
        """This statement's cursor on ``driver``, kept with the pooled connection (whose
        ``info`` lasts as long as the driver's connection, and which one thread at a time
        uses). Run again with the same query, a cursor keeps what psycopg worked out for it:
        how to send each parameter's type and read each column's."""
        cursors: dict[LeanStatement, psycopg.Cursor[Any]] = info.setdefault(_CURSORS_KEY, {})
        cursor = cursors.get(self)
        if cursor is None or cursor.closed or cursor.connection is not driver:
            cursor = cursors[self] = driver.cursor()
        return cursor

    def _for(self, dialect: Dialect) -> tuple[bytes, dict[str, Any]]:
        with self._lock:
            if self._compiled is None:
                compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
                # As bytes, which psycopg sends as they are rather than encoding them on every
                # execution; the statements are ASCII, the same in any client encoding.
                self._compiled = (str(compiled).encode("ascii"), dict(compiled.params))
            return self._compiled
