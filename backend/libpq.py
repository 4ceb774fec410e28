"""A PostgreSQL ``database_url`` in the form libpq takes: for psycopg, pg_dump and pg_restore.

SQLAlchemy URLs and libpq connection strings differ: the driver name, percent-encoding, and
hosts. Several hosts may be named, either as repeated ``host=name:port`` query parameters
(``postgresql+psycopg://u@/db?host=10.0.0.1:5433&host=10.0.0.2:5434&target_session_attrs=
read-write``) or as ``host=a,b&port=1,2``; libpq wants comma-separated ``host`` and ``port``
lists. The conversion is the one the psycopg dialect itself makes when it connects, so a URL
the server can use means the same server to the tools. The password is kept apart from the
connection string: child processes receive it in ``PGPASSWORD``, never on a command line that
other users could read in the process list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.conninfo import make_conninfo
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from backend.db import normalize_url


@dataclass(frozen=True)
class Conninfo:
    """A libpq connection string without the password, and the password if the URL had one."""

    dsn: str
    password: str | None

    def environment(self) -> dict[str, str]:
        """What a libpq tool needs in its environment besides ``dsn`` (the password)."""
        return {"PGPASSWORD": self.password} if self.password is not None else {}

    def with_password(self) -> str:
        """The connection string with the password, for connecting in this process."""
        if self.password is None:
            return self.dsn
        return make_conninfo(self.dsn, password=self.password)


class NotPostgresError(ValueError):
    """The URL names another kind of database."""


def conninfo(url: str, *, connect_timeout_s: int | None = None) -> Conninfo:
    """The libpq form of a PostgreSQL SQLAlchemy ``url`` (any driver, one or several hosts)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise NotPostgresError(f"not a PostgreSQL URL: {parsed.drivername}")
    parsed = parsed.set(drivername="postgresql+psycopg")
    _, options = PGDialect_psycopg().create_connect_args(parsed)
    params: dict[str, Any] = {key: str(value) for key, value in options.items()}
    password = params.pop("password", None)
    if connect_timeout_s is not None:
        params.setdefault("connect_timeout", str(connect_timeout_s))
    return Conninfo(make_conninfo("", **params), password)
