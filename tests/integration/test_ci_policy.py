"""Under CI a skipped PostgreSQL test fails the run; elsewhere it is skipped loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPING_SUITE = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pytest.skip("no PostgreSQL here")

def test_plain():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makeini("[pytest]\nmarkers =\n    postgres: needs PostgreSQL\n")
    pytester.makepyfile(SKIPPING_SUITE)
    return pytester


def test_skipped_postgres_test_fails_under_ci(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*PostgreSQL test skipped under CI*"])


def test_skipped_postgres_test_is_loud_outside_ci(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*1 PostgreSQL tests were SKIPPED*"])
