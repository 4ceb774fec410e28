"""The Prometheus series themselves (prometheus-client), and their text exposition.

Only ``backend.metrics`` imports this module, on first use, in the process that records or
serves metrics (see that module's docstring for why it must not be loaded earlier). With
``PROMETHEUS_MULTIPROC_DIR`` set, every process writes its values to files of that folder and
an exposition adds up the files of all of them; without it, the process's default registry is
shown. Gauges read from the database are added at exposition time by ``ReadingsCollector``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.metrics_folder import MULTIPROCESS_ENV
from backend.services.metric_readings import MetricReadings

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A booking takes a few milliseconds; a feed import or a slow lock wait seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Most jobs finish in milliseconds; reconciling a travel day or re-accommodating a cancelled
# trip may take minutes.
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class PrometheusRecorder:
    """The series every process records into; one per process."""

    def __init__(self) -> None:
        self.requests = Histogram(
            "faregate_http_request_duration_seconds",
            "Time to answer a request, by Flask endpoint, method and status",
            ["endpoint", "method", "status"],
            buckets=REQUEST_BUCKETS,
        )
        self.booking_outcomes = Counter(
            "faregate_booking_outcomes",
            "Holds and confirmations asked for, by operation and outcome (error code)",
            ["operation", "outcome"],
        )
        self.taps = Counter(
            "faregate_taps_received",
            "Taps uploaded by devices: stored, or duplicates of taps already stored",
            ["result"],
        )
        self.bundle_downloads = Counter(
            "faregate_bundle_downloads",
            "Rule bundle downloads by devices: full, delta (a deny-list delta) or unchanged",
            ["delivery"],
        )
        self.bundle_bytes = Counter(
            "faregate_bundle_download_bytes",
            "Bytes of rule bundles sent to devices, by delivery (full or delta)",
            ["delivery"],
        )
        self.job_runs = Counter(
            "faregate_job_runs", "Job runs by job and outcome (ok or error)", ["job", "outcome"]
        )
        self.job_durations = Histogram(
            "faregate_job_duration_seconds", "Time a job run took", ["job"], buckets=JOB_BUCKETS
        )

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        self.requests.labels(endpoint, method, str(status)).observe(seconds)

    def count_booking(self, operation: str, outcome: str) -> None:
        """Count one hold or confirmation by its outcome."""
        self.booking_outcomes.labels(operation, outcome).inc()

    def count_taps(self, stored: int, duplicates: int) -> None:
        """Count the taps of one upload."""
        if stored:
            self.taps.labels("stored").inc(stored)
        if duplicates:
            self.taps.labels("duplicate").inc(duplicates)

    def count_bundle_download(self, delivery: str, size: int) -> None:
        """Count one bundle download and its bytes."""
        self.bundle_downloads.labels(delivery).inc()
        if size:
            self.bundle_bytes.labels(delivery).inc(size)

    def job_ran(self, job: str, outcome: str, seconds: float) -> None:
        """Record one job run."""
        self.job_runs.labels(job, outcome).inc()
        self.job_durations.labels(job).observe(seconds)


class ReadingsCollector(Collector):
    """The gauges read from the database for one exposition (None: it could not be read)."""

    def __init__(self, readings: MetricReadings | None, now: datetime) -> None:
        self._readings = readings
        self._now = now

    def collect(self) -> Iterator[Metric]:
        """Whether the database was read; then live holds, held places, and each active
        device's sync lag and backlog."""
        readings = self._readings
        yield GaugeMetricFamily(
            "faregate_metrics_database_up",
            "1 when this scrape could read the gauges below from the database, else 0",
            0 if readings is None else 1,
        )
        if readings is None:
            return
        yield GaugeMetricFamily(
            "faregate_live_holds", "Holds live now: held and not expired", readings.live_holds
        )
        yield GaugeMetricFamily(
            "faregate_live_held_places",
            "Seats and places kept by the live holds",
            readings.held_places,
        )
        lag = GaugeMetricFamily(
            "faregate_device_sync_lag_seconds",
            "Seconds since the device's last sync (devices that synced at least once)",
            labels=["device"],
        )
        backlog = GaugeMetricFamily(
            "faregate_device_backlog",
            "Taps the device said were still waiting to be uploaded, at its last sync",
            labels=["device"],
        )
        for device in readings.devices:
            seconds = device.lag_seconds(self._now)
            if seconds is not None:
                lag.add_metric([device.device_id], seconds)
            if device.backlog is not None:
                backlog.add_metric([device.device_id], device.backlog)
        yield lag
        yield backlog


class _ThisProcess(Collector):
    """The default registry of this process, when it is the only one recording."""

    def collect(self) -> Iterator[Metric]:
        """Everything the default registry holds."""
        yield from REGISTRY.collect()


def exposition(readings: MetricReadings | None, now: datetime) -> bytes:
    """The text exposition of every process's series and of ``readings``."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ReadingsCollector(readings, now))
    return generate_latest(registry)


def serve_this_process(host: str, port: int) -> None:
    """Serve this process's series at ``http://host:port/metrics`` from a daemon thread."""
    start_http_server(port, addr=host)


def mark_process_dead(pid: int) -> None:
    """Drop the live-gauge files of a process that has exited (its counts stay)."""
    multiprocess.mark_process_dead(pid)
