"""The import contracts in setup.cfg hold for the tree and catch forbidden imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backend", "inventory", "gtfs", "fares", "validator_agent", "hardware")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "setup.cfg"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's packages and contracts to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


def test_the_project_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("fares/probe.py", "import flask\n", "Only backend imports flask"),
        ("gtfs/probe.py", "from sqlalchemy import select\n", "Only backend imports flask"),
        ("fares/probe.py", "import backend.app\n", "never import backend or validator_agent"),
        ("fares/probe.py", "import inventory\n", "import no other project package"),
        ("validator_agent/probe.py", "import backend\n", "uses only fares and hardware"),
        ("backend/probe.py", "import validator_agent\n", "never imports the edge agent"),
        ("fares/probe.py", "import ortools\n", "OR-Tools is used only inside inventory"),
        ("validator_agent/probe.py", "import nfc\n", "used only inside hardware"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree: Path, module: str, source: str, contract: str
) -> None:
    (tree / module).write_text(f'"""Probe."""\n{source}')
    result = lint_imports(tree)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout
