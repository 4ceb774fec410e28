"""``faregate serve``: run the app under gunicorn, the production WSGI server.

Metrics: the server's processes (workers, job runner) share one metrics folder
(``backend.metrics_folder``), prepared and exported to them before any starts; the master
tells prometheus-client of every worker that exits (``child_exit``). Access log lines end with
the request's id, read from the ``X-Request-Id`` response header (``backend.request_ids``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from backend import metrics
from backend.app import create_app
from backend.cli.context import CliContext, pass_context
from backend.metrics_folder import MetricsFolder
from backend.settings import Settings

# gunicorn's default line, and the request id the app answered with.
ACCESS_LOG_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
)


class GunicornServer(BaseApplication):
    """gunicorn running ``create_app(settings)`` in each worker, and a job runner beside it."""

    def __init__(
        self, settings: Settings, *, jobs: bool = True, config_path: str | None = None
    ) -> None:
        self._settings = settings
        self._jobs = jobs
        self._config_path = config_path
        self._runner: subprocess.Popen[bytes] | None = None
        self._metrics: MetricsFolder | None = None
        super().__init__()

    def run(self) -> None:
        """Serve until stopped, with a metrics folder for this run."""
        master = os.getpid()
        self._metrics = MetricsFolder.prepare(self._settings.metrics_dir)
        self._metrics.export()
        try:
            super().run()
        finally:
            # Workers leave gunicorn's loop by raising SystemExit through here: only the
            # master, which outlives them and the job runner, removes the folder.
            if os.getpid() == master:
                self._metrics.remove()

    def _start_jobs(self, _arbiter: object) -> None:
        # A process of its own: the web workers never run jobs, and the master forks no
        # threads into them.
        if self._jobs and self._runner is None:
            command = [sys.executable, "-m", "backend"]
            if self._config_path:
                command += ["--config", self._config_path]
            self._runner = subprocess.Popen([*command, "jobs"])  # noqa: S603 - our own CLI

    def _stop_jobs(self, _arbiter: object) -> None:
        if self._runner is not None:
            self._runner.terminate()
            try:
                self._runner.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._runner.kill()
            self._runner = None

    @staticmethod
    def _worker_exited(_arbiter: object, worker: Any) -> None:
        metrics.mark_process_dead(worker.pid)

    def load_config(self) -> None:
        """Apply Faregate's settings to gunicorn."""
        options: dict[str, object] = {
            "bind": self._settings.bind,
            "workers": self._settings.workers,
            "accesslog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "errorlog": "-",
            "loglevel": self._settings.log_level.lower(),
            "graceful_timeout": 10,
            "when_ready": self._start_jobs,
            "on_exit": self._stop_jobs,
            "child_exit": self._worker_exited,
        }
        if "control_socket_disable" in self.cfg.settings:
            # Faregate does not use gunicorn's control socket; one shared path per user
            # would let several servers on a machine trip over each other.
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app (once per worker), its metric series ready for the first request."""
        app = create_app(self._settings)
        metrics.start_recording()
        return app


@click.command("serve")
@click.option("--bind", help="host:port to listen on (default: the bind setting).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes.")
@click.option(
    "--jobs/--no-jobs",
    default=True,
    show_default=True,
    help="Also run the job runner (`faregate jobs`) beside the server.",
)
@pass_context
def serve(ctx: CliContext, bind: str | None, workers: int | None, jobs: bool) -> None:
    """Serve the API and pages with gunicorn."""
    changes: dict[str, Any] = {}
    if bind:
        changes["bind"] = bind
    if workers:
        changes["workers"] = workers
    settings = ctx.settings.replace(**changes)
    click.echo(f"serving on http://{settings.bind}", err=True)
    GunicornServer(settings, jobs=jobs, config_path=ctx.config_path).run()
