"""Prometheus metrics: what is counted, and the rules that keep it cheap and correct.

Series, all ``faregate_*`` (``backend.prometheus_series`` defines them):

- ``http_request_duration_seconds{endpoint, method, status}``: histogram of every answer.
  ``endpoint`` is the Flask endpoint (``reservations.Holds``), never the path, and
  ``unmatched`` for requests no route matched; unusual methods are ``other``: label values
  are bounded, whatever clients send.
- ``booking_outcomes_total{operation, outcome}``: holds (``hold``) and confirmations
  (``confirm``), from the API and the traveler pages alike; ``outcome`` is ``created`` or
  ``booked``, else the refusal's stable error code (``seat_taken``, ``sold_out``,
  ``hold_expired``, ``busy_try_again``, ``trip_cancelled`` ...), ``database_unavailable`` or
  ``internal_error`` (as the answer's code). A replayed ``Idempotency-Key`` counts again:
  the client asked again.
- ``taps_received_total{result}``: taps uploaded by devices, ``stored`` or ``duplicate``.
- ``bundle_downloads_total{delivery}`` and ``bundle_download_bytes_total{delivery}``: rule
  bundle downloads by devices and the bytes sent, ``full``, ``delta`` (a deny-list delta) or
  ``unchanged`` (304).
- ``job_runs_total{job, outcome}`` (``ok``; ``error`` when the job raised) and
  ``job_duration_seconds{job}``: the job runner's periodic jobs.
- ``live_holds``, ``live_held_places``, ``device_sync_lag_seconds{device}`` and
  ``device_backlog{device}``: read from the database when ``/metrics`` is scraped
  (``backend.services.metric_readings``), never per request.

Processes. gunicorn's workers and the job runner are separate processes; prometheus-client's
multiprocess mode lets each write its values to files in one folder (``PROMETHEUS_MULTIPROC_DIR``,
set by ``faregate serve`` from the ``metrics_dir`` setting, see ``backend.metrics_folder``) and
a scrape of any worker add them all up. The library picks its mode once, when it is first
imported, from that environment variable; the gunicorn master imports the whole app before it
sets the variable and forks its workers. So this module loads prometheus-client only on first
use (``_recorder``), in the process that records, and nothing else in the app imports it (an
import-linter contract; a test checks that importing the CLI leaves it unloaded). Without the
variable (``flask run``, tests with Flask's test client, a job runner started alone) the
process's default registry is used and ``/metrics`` shows that process only. A job runner
started on its own (``faregate jobs``, as the systemd units run it) serves its own series at
``jobs_metrics_bind`` for the scraper.

Cost. A request adds one histogram observation (a dictionary lookup and a write to a mapped
file); a failure to record is logged and never fails the request or job it was counting.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from backend.db import database_unavailable
from backend.errors import ServiceError
from backend.metrics_folder import MULTIPROCESS_ENV
from backend.services.metric_readings import MetricReadings

if TYPE_CHECKING:
    from backend.prometheus_series import PrometheusRecorder

log = logging.getLogger(__name__)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
_Result = TypeVar("_Result")
_Args = ParamSpec("_Args")


_RECORDER_LOCK = threading.Lock()
_RECORDERS: list[PrometheusRecorder] = []  # at most one: the series of this process


def _recorder() -> PrometheusRecorder:
    """This process's series, made on first use (the job runner's first jobs start together
    on several threads: one of them makes them)."""
    if not _RECORDERS:
        # Loaded here, not at import time: see "Processes" in the module docstring.
        from backend.prometheus_series import PrometheusRecorder  # noqa: PLC0415

        with _RECORDER_LOCK:
            if not _RECORDERS:
                _RECORDERS.append(PrometheusRecorder())
    return _RECORDERS[0]


def _never_fails(record: Callable[_Args, None]) -> Callable[_Args, None]:
    """Log (once per process) rather than raise when a value cannot be written."""
    warned = False

    @functools.wraps(record)
    def safely(*args: _Args.args, **kwargs: _Args.kwargs) -> None:
        nonlocal warned
        try:
            record(*args, **kwargs)
        except (OSError, ValueError) as error:
            if not warned:
                log.warning("metrics not recorded: %s", error)
                warned = True

    return safely


@_never_fails
def start_recording() -> None:
    """Make this process's series now rather than in its first request (a server worker,
    before it takes any)."""
    _recorder()


@_never_fails
def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Record one answered request (``endpoint`` None: no route matched)."""
    _recorder().observe_request(
        endpoint or UNMATCHED, method if method in HTTP_METHODS else "other", status, seconds
    )


@_never_fails
def count_booking(operation: str, outcome: str) -> None:
    """Count one hold or confirmation (``operation``) by its outcome."""
    _recorder().count_booking(operation, outcome)


@_never_fails
def count_taps(stored: int, received: int) -> None:
    """Count an upload's ``received`` taps, of which ``stored`` were new."""
    _recorder().count_taps(stored, received - stored)


@_never_fails
def count_bundle_download(delivery: str, size: int) -> None:
    """Count one bundle download (``full``, ``delta`` or ``unchanged``) of ``size`` bytes."""
    _recorder().count_bundle_download(delivery, size)


@_never_fails
def _job_ran(job: str, outcome: str, seconds: float) -> None:
    _recorder().job_ran(job, outcome, seconds)


@contextmanager
def booking_outcome(operation: str, success: str) -> Iterator[None]:
    """Count the block as ``success`` when it returns, or by the code of the error it raises
    (the error goes on)."""
    try:
        yield
    except ServiceError as refusal:
        count_booking(operation, refusal.code)
        raise
    except Exception as error:
        unavailable = database_unavailable(error)
        count_booking(operation, "database_unavailable" if unavailable else "internal_error")
        raise
    count_booking(operation, success)


def timed_job(job: Callable[[Any], _Result]) -> Callable[[Any], _Result]:
    """``job`` counting its runs and their durations under its own name."""
    name = job.__name__

    @functools.wraps(job)
    def run(argument: Any) -> _Result:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = job(argument)
            outcome = "ok"
            return result
        finally:
            _job_ran(name, outcome, time.perf_counter() - started)

    return run


def exposition(readings: MetricReadings | None, now: datetime) -> tuple[bytes, str]:
    """The text exposition of every series and ``readings`` (None: the database could not be
    read), and its content type."""
    _recorder()  # so that a first scrape shows the series, if empty
    from backend import prometheus_series  # noqa: PLC0415 - loaded by _recorder

    return prometheus_series.exposition(readings, now), prometheus_series.CONTENT_TYPE


def serve_job_runner_metrics(bind: str) -> bool:
    """Serve a job runner's own series at ``bind`` (``host:port``) when it runs on its own;
    whether it does. Under ``faregate serve`` (``PROMETHEUS_MULTIPROC_DIR`` set) the server's
    ``/metrics`` already adds the runner's values up, so nothing more is served."""
    if not bind or os.environ.get(MULTIPROCESS_ENV):
        return False
    from backend import prometheus_series  # noqa: PLC0415 - see "Processes" above

    host, _, port = bind.rpartition(":")
    _recorder()  # so that a first scrape shows the series, if empty
    prometheus_series.serve_this_process(host or "127.0.0.1", int(port))
    log.info("job runner metrics at http://%s/metrics", bind)
    return True


def mark_process_dead(pid: int) -> None:
    """Tell the multiprocess files that process ``pid`` (a gunicorn worker) has exited."""
    from backend import prometheus_series  # noqa: PLC0415 - see "Processes" above

    prometheus_series.mark_process_dead(pid)
