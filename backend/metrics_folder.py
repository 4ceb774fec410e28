"""The folder where the processes of one ``faregate serve`` keep their metric values.

prometheus-client's multiprocess mode has each process (gunicorn workers, the job runner)
write its values to files named by its process id in one folder, read together at a scrape.
Values from an earlier run must not be added to this one's, so the folder is emptied when the
server starts:

- ``metrics_dir`` empty (the default): a new private folder under the system's temporary
  folder for each run, removed when the server stops;
- ``metrics_dir`` set: that folder, created if missing and emptied of metric files at start,
  kept at stop (for a fast local disk or tmpfs of the operator's choosing). One server per
  folder: a second server starting on it would wipe the first one's values.

The folder is handed to the workers and the job runner in ``PROMETHEUS_MULTIPROC_DIR``, set
in the server's environment before any of them starts (see ``backend.metrics``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class MetricsFolder:
    """A metrics folder ready for a server run; ``private`` ones are removed at the end."""

    path: Path
    private: bool

    @classmethod
    def prepare(cls, configured: str) -> MetricsFolder:
        """The folder named by ``metrics_dir`` (emptied), or a new private one if empty."""
        if not configured:
            return cls(Path(tempfile.mkdtemp(prefix="faregate-metrics-")), private=True)
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return cls(path, private=False)

    def export(self, environ: MutableMapping[str, str] = os.environ) -> None:
        """Name the folder in ``environ``, which the server's processes inherit."""
        environ[MULTIPROCESS_ENV] = str(self.path)

    def remove(self) -> None:
        """Remove a private folder (a configured one stays)."""
        if self.private:
            shutil.rmtree(self.path, ignore_errors=True)
