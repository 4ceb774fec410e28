"""What every CLI command shares: settings, one database, and errors shown with their code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import ServiceError
from backend.logs import configure_logging
from backend.settings import Settings, SettingsError, load_settings


class CliContext:
    """Settings read once per command, and a database opened on first use."""

    def __init__(self, config_path: str | None) -> None:
        self._config_path = config_path
        self._settings: Settings | None = None
        self._database: Database | None = None

    @property
    def config_path(self) -> str | None:
        """The settings file named on the command line, if any."""
        return self._config_path

    @property
    def settings(self) -> Settings:
        """Settings from the file and environment."""
        if self._settings is None:
            self._settings = load_settings(self._config_path)
            configure_logging(self._settings.log_level, self._settings.log_format)
        return self._settings

    @property
    def database(self) -> Database:
        """The configured database."""
        if self._database is None:
            settings = self.settings
            self._database = Database(
                settings.database_url, connect_timeout_s=settings.db_connect_timeout_s
            )
        return self._database

    def session(self) -> Session:
        """A new session on the configured database."""
        return self.database.sessions()

    def close(self) -> None:
        """Release the database connections."""
        if self._database is not None:
            self._database.dispose()


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn refusals into ``error [code]: message`` on stderr and exit status 1."""
    try:
        yield
    except ServiceError as exc:
        click.echo(f"error [{exc.code}]: {exc.message}", err=True)
        raise click.exceptions.Exit(1) from exc
    except SettingsError as exc:
        click.echo(f"error [{exc.code}]: {exc}", err=True)
        raise click.exceptions.Exit(1) from exc


class FaregateGroup(click.Group):
    """A command group whose refusals print ``error [code]: message`` and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command, translating refusals."""
        with handle_errors():
            return super().invoke(ctx)


pass_context = click.make_pass_decorator(CliContext)
