"""The libpq form of ``database_url`` that pg_dump, pg_restore and psql are given."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from backend.libpq import NotPostgresError, conninfo


def test_repeated_host_parameters_become_libpq_host_and_port_lists() -> None:
    found = conninfo(
        "postgresql+psycopg://u@/db?host=127.0.0.1:5433&host=127.0.0.1:5434"
        "&target_session_attrs=read-write"
    )
    assert conninfo_to_dict(found.dsn) == {
        "dbname": "db",
        "user": "u",
        "host": "127.0.0.1,127.0.0.1",
        "port": "5433,5434",
        "target_session_attrs": "read-write",
    }
    assert found.password is None
    assert found.environment() == {}


def test_comma_separated_hosts_and_ports_are_kept_as_they_are() -> None:
    found = conninfo("postgresql://u@/db?host=a,b&port=1,2")
    assert conninfo_to_dict(found.dsn) == {
        "dbname": "db",
        "user": "u",
        "host": "a,b",
        "port": "1,2",
    }


def test_the_password_stays_out_of_the_connection_string() -> None:
    found = conninfo("postgresql://ops:p%40ss%20word@db.internal:6432/faregate?sslmode=require")
    assert "p@ss" not in found.dsn
    assert conninfo_to_dict(found.dsn) == {
        "dbname": "faregate",
        "user": "ops",
        "host": "db.internal",
        "port": "6432",
        "sslmode": "require",
    }
    assert found.environment() == {"PGPASSWORD": "p@ss word"}
    assert conninfo_to_dict(found.with_password())["password"] == "p@ss word"


def test_a_unix_socket_folder_and_a_connect_timeout() -> None:
    found = conninfo("postgres://postgres@/db?host=/run/postgresql", connect_timeout_s=7)
    assert conninfo_to_dict(found.dsn) == {
        "dbname": "db",
        "user": "postgres",
        "host": "/run/postgresql",
        "connect_timeout": "7",
    }


def test_other_databases_are_refused() -> None:
    with pytest.raises(NotPostgresError):
        conninfo("sqlite:///var/faregate.db")
