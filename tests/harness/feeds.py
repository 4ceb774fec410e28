"""Real GTFS feeds for tests, and bad copies of them."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FEED = ROOT / "backend" / "data" / "sample-feed-1"
ZAKROCZYM_FEED = ROOT / "tests" / "data" / "gtfs" / "zakroczym-fares-v2" / "gtfs.zip"


def sample_feed_copy(folder: Path, **replacements: str) -> Path:
    """A copy of the sample feed in ``folder`` with files (by name without .txt) replaced."""
    target = folder / "feed"
    shutil.copytree(SAMPLE_FEED, target, ignore=shutil.ignore_patterns("SOURCE.txt"))
    for name, text in replacements.items():
        (target / f"{name}.txt").write_text(text)
    return target


def data_rows(path: Path) -> int:
    """How many data rows a GTFS text file has."""
    with path.open(encoding="utf-8-sig") as handle:
        return sum(1 for line in handle if line.strip()) - 1
