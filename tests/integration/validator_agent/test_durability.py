"""Every tap whose append returned survives a kill -9 of the writing process, intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.integration.validator_agent.journal_writer import record
from validator_agent.store import Store

ROOT = Path(__file__).resolve().parents[3]


def test_rows_committed_before_kill_9_are_all_there(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.validator_agent.journal_writer", str(path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    acknowledged: list[tuple[int, int, str]] = []
    try:
        for line in child.stdout:
            seq, i, nonce = line.split()
            acknowledged.append((int(seq), int(i), nonce))
            if len(acknowledged) == 300:
                os.kill(child.pid, signal.SIGKILL)  # mid-appends: the child never pauses
                break
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    store = Store.open(path)
    rows = {row.seq: row for row in store.take_batch(100_000)}
    for seq, i, nonce in acknowledged:
        assert rows[seq].nonce.hex() == nonce
        assert rows[seq].tap == record(i)
        assert store.last_entry(f"ticket:{i:016x}") == record(i).at
    assert len(rows) - len(acknowledged) in (0, 1)  # at most the append in progress
    store.close()
