"""SQLite database files as servers open them: several opening a new file at once all get a
connection, the file in WAL mode."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, text

from backend.db import make_engine

OPENERS = 3
# Each round a new file. Before openers tried again, SQLite refused one of them in about one
# round in twenty: 200 rounds all pass only when none is refused.
ROUNDS = 200


def _open(
    engine: Engine, start: threading.Barrier, modes: list[str], failures: list[object]
) -> None:
    start.wait()
    try:
        with engine.connect() as connection:
            modes.append(connection.execute(text("PRAGMA journal_mode")).scalar_one())
    except BaseException as error:  # reported by the assertion below
        failures.append(error)


def test_servers_opening_a_new_file_at_once_all_connect(tmp_path: Path) -> None:
    failures: list[object] = []
    modes: list[str] = []
    for round_ in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'new{round_}.db'}"
        engines = [make_engine(url) for _ in range(OPENERS)]
        start = threading.Barrier(OPENERS)
        threads = [
            threading.Thread(target=_open, args=(engine, start, modes, failures))
            for engine in engines
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for engine in engines:
            engine.dispose()
    assert failures == []
    assert modes == ["wal"] * (OPENERS * ROUNDS)
