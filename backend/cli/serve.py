"""``faregate serve``: run the app under gunicorn, the production WSGI server."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from backend.app import create_app
from backend.cli.context import CliContext, pass_context
from backend.settings import Settings


class GunicornServer(BaseApplication):
    """gunicorn running ``create_app(settings)`` in each worker."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        """Apply Faregate's settings to gunicorn."""
        options: dict[str, object] = {
            "bind": self._settings.bind,
            "workers": self._settings.workers,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": self._settings.log_level.lower(),
            "graceful_timeout": 10,
        }
        if "control_socket_disable" in self.cfg.settings:
            # Faregate does not use gunicorn's control socket; one shared path per user
            # would let several servers on a machine trip over each other.
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app (once per worker)."""
        return create_app(self._settings)


@click.command("serve")
@click.option("--bind", help="host:port to listen on (default: the bind setting).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes.")
@pass_context
def serve(ctx: CliContext, bind: str | None, workers: int | None) -> None:
    """Serve the API and pages with gunicorn."""
    changes: dict[str, Any] = {}
    if bind:
        changes["bind"] = bind
    if workers:
        changes["workers"] = workers
    settings = ctx.settings.replace(**changes)
    click.echo(f"serving on http://{settings.bind}", err=True)
    GunicornServer(settings).run()
