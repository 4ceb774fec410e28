"""Log output in text and JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from backend.logs import configure_logging


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_format_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("faregate.test").info("booking %s confirmed", "ABC123")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "booking ABC123 confirmed"
    assert record["level"] == "INFO"
    assert record["name"] == "faregate.test"
    assert "time" in record


def test_text_format_and_level_filtering(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "text")
    logging.getLogger("faregate.test").info("hidden")
    logging.getLogger("faregate.test").warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert "WARNING faregate.test: shown" in err


def test_reconfiguring_does_not_duplicate_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "text")
    configure_logging("INFO", "text")
    logging.getLogger("faregate.test").info("once")
    assert capsys.readouterr().err.count("once") == 1
