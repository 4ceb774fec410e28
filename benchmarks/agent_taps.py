"""Validator agent benchmark: whole taps through the runtime, journal on disk.

In one run it
  (a) builds and installs the realistic rule bundle of ``benchmarks/decide.py`` (3 keys,
      500 products, 10,000 deny-list entries, 200 trip manifests) in an agent whose store
      (sqlite3, WAL, synchronous=FULL) lives in a temporary directory, at an entry gate;
  (b) prepares a pool of 1,000 presentations as readers would deliver them: period passes
      as QR text (40 %) and as NDEF messages (30 %), UID-only cards (15 %), revoked tickets
      (10 %) and tampered ones (5 %); taps arrive every TAP_INTERVAL of simulated time, so
      a pass comes back after 1,000 s, outside the 600 s passback window;
  (c) runs WARM_UP taps, checkpoints the WAL, then times each of TAPS taps with
      ``perf_counter_ns`` around ``Runtime.handle``: decide + journal commit (fsync) +
      gate command to a gate that writes a log file;
  (d) checkpoints the WAL again and divides the database file's growth by TAPS;
  (e) measures the floor of the journal commit on this disk: FLOOR_COMMITS bare one-row
      INSERT + COMMIT in a scratch sqlite3 database beside it, same pragmas (WAL,
      synchronous=FULL); fsync latency varies with the host's other disk traffic, so read
      the tap figures against it.
The last line printed is one JSON object: ``p50_ms``, ``p99_ms``, ``journal_bytes_per_tap``,
and the commit floor's ``commit_floor_p50_ms`` and ``commit_floor_p99_ms``.
Run it from the project root: ``.venv/bin/python benchmarks/agent_taps.py``.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from decide import NOW, build, credential_keys, pass_ticket, taps

from fares.credentials import Credential, issue
from fares.keys import KeySet, SigningKey
from fares.media import ndef_message, qr_text
from fares.rules import DeviceRole
from hardware.ports import GateCommand, MediaEvent, Technology
from validator_agent.bundles import BundleKeeper
from validator_agent.config import AgentConfig, FailurePolicy
from validator_agent.runtime import Runtime
from validator_agent.store import Store

TAPS = 10_000
WARM_UP = 500
POOL = 1_000
Pool = list[tuple[Technology, object]]
TAP_INTERVAL = timedelta(seconds=1)
FLOOR_COMMITS = 2_000


class SteppingClock:
    """Simulated time: the benchmark moves it on by TAP_INTERVAL per tap."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        """The simulated time."""
        return self.current


class LogFileGate:
    """A gate that writes each command to a log file (the ``log:`` gate's work)."""

    name = "log"

    def __init__(self, path: Path) -> None:
        self._log = logging.getLogger("benchmark.gate")
        self._log.propagate = False
        self._log.setLevel(logging.INFO)
        self._handler = logging.FileHandler(path)
        self._log.addHandler(self._handler)

    def show(self, command: GateCommand) -> None:
        """Log the verdict and message."""
        self._log.info("%s %s", command.verdict.value, command.message)

    def close(self) -> None:
        """Close the log file."""
        self._log.removeHandler(self._handler)
        self._handler.close()


def presentations(keys: list[SigningKey], revoked: list[str]) -> Pool:
    """The pool: (technology, payload or UID bytes) as the readers would deliver them."""
    pool: list[tuple[Technology, object]] = []
    for i in range(POOL):
        slot = i % 20
        key = keys[1 + (i % 2)]
        credential = pass_ticket(key)
        blob = issue(credential, key)
        if slot < 8:
            pool.append((Technology.QR, qr_text(blob)))
        elif slot < 14:
            pool.append((Technology.NFC_TYPE4, ndef_message(blob)))
        elif slot < 17:
            pool.append((Technology.NFC_UID, secrets.token_bytes(7)))
        elif slot < 19:
            pool.append((Technology.QR, qr_text(issue(_revoked(credential, revoked), key))))
        else:
            damaged = bytearray(blob)
            damaged[len(damaged) // 2] ^= 0x04
            pool.append((Technology.QR, qr_text(bytes(damaged))))
    return pool


def _revoked(credential: Credential, revoked: list[str]) -> Credential:
    """The credential with a ticket id from the bundle's deny list."""
    return replace(credential, ticket_id=revoked[secrets.randbelow(len(revoked))])


def event(item: tuple[Technology, object], at: datetime) -> MediaEvent:
    """The reader event of one pool item."""
    technology, value = item
    if technology is Technology.NFC_UID:
        assert isinstance(value, bytes)
        return MediaEvent("nfc", technology, at, uid=value)
    assert isinstance(value, bytes | str)
    return MediaEvent("reader", technology, at, uid=None, payload=value)


def agent(directory: Path, trusted: KeySet, clock: SteppingClock) -> tuple[Runtime, Store]:
    """An entry gate agent with its store in ``directory``."""
    config = AgentConfig(
        device_id="gate-bench", role=DeviceRole.GATE_ENTRY, stop_id="CENTRAL",
        area_ids=frozenset({"zone_a"}), network_id=None, vehicle_id=None,
        server_urls=("http://127.0.0.1:9",), sync_interval_s=30, readers=("bench:",),
        gates=("log:",), store_path=directory / "agent.db", trusted_keys=trusted,
        failure_policy=FailurePolicy.FAIL_CLOSED,
    )  # fmt: skip
    store = Store.open(config.store_path)
    keeper = BundleKeeper(store, trusted, clock)
    gate = LogFileGate(directory / "gate.log")
    return Runtime(config, store, keeper, [gate], clock), store


def run_taps(runtime: Runtime, pool: Pool, clock: SteppingClock, *, first: int, count: int,
             outcomes: dict[str, int] | None = None) -> list[int]:  # fmt: skip
    """Run ``count`` taps, each TAP_INTERVAL after the last; nanoseconds per tap."""
    samples = []
    timer = time.perf_counter_ns
    for i in range(count):
        clock.current += TAP_INTERVAL
        tap = event(pool[(first + i) % len(pool)], clock.current)
        begin = timer()
        outcome = runtime.handle(tap)
        samples.append(timer() - begin)
        if outcomes is not None:
            reason = outcome.decision.reason if outcome.decision else None
            code = "allowed" if reason is None else reason.value
            outcomes[code] = outcomes.get(code, 0) + 1
        if outcomes is not None and (i + 1) % 2000 == 0:
            print(f"{i + 1} taps, p99 so far {_ms(samples, 99):.2f} ms", flush=True)
    return samples


def commit_floor(directory: Path) -> list[int]:
    """Nanoseconds of bare durable one-row commits, the journal's lower bound."""
    connection = sqlite3.connect(directory / "floor.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, row BLOB)")
    row, samples, timer = secrets.token_bytes(160), [], time.perf_counter_ns
    for _ in range(FLOOR_COMMITS):
        begin = timer()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (row) VALUES (?)", (row,))
        connection.execute("COMMIT")
        samples.append(timer() - begin)
    connection.close()
    return samples


def _ms(samples: list[int], percentile: int) -> float:
    return statistics.quantiles(samples, n=100)[percentile - 1] / 1e6


def main() -> None:
    """Run the benchmark and print its figures."""
    keys = credential_keys()
    _, manifests, revoked = taps(keys)
    server = SigningKey.generate(100, NOW - timedelta(days=10), NOW + timedelta(days=365))
    blob = build(server, keys, manifests, revoked)
    pool = presentations(keys, revoked)
    clock = SteppingClock(NOW)
    with tempfile.TemporaryDirectory(prefix="agent-bench-") as name:
        directory = Path(name)
        runtime, store = agent(directory, KeySet([server.public_key()]), clock)
        installed = runtime.install_bundle(blob)
        print(f"bundle: {len(blob)} bytes, installed: {installed.__class__.__name__}", flush=True)
        run_taps(runtime, pool, clock, first=0, count=WARM_UP)
        store.checkpoint()
        size_before = (directory / "agent.db").stat().st_size
        outcomes: dict[str, int] = {}
        samples = run_taps(runtime, pool, clock, first=WARM_UP, count=TAPS, outcomes=outcomes)
        store.checkpoint()
        growth = (directory / "agent.db").stat().st_size - size_before
        print(f"outcomes: {outcomes}", flush=True)
        print(f"journal backlog: {store.journal_counts()}", flush=True)
        runtime.stop()
        store.close()
        floor = commit_floor(directory)
        print(f"commit floor: p50 {_ms(floor, 50):.3f} ms, p99 {_ms(floor, 99):.3f} ms",
              flush=True)  # fmt: skip
    print(json.dumps({"taps": TAPS, "p50_ms": round(_ms(samples, 50), 3),
                      "p99_ms": round(_ms(samples, 99), 3),
                      "max_ms": round(max(samples) / 1e6, 3),
                      "journal_bytes_per_tap": round(growth / TAPS, 1),
                      "commit_floor_p50_ms": round(_ms(floor, 50), 3),
                      "commit_floor_p99_ms": round(_ms(floor, 99), 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
