"""Replica failover drill: book through the API while the PostgreSQL primary dies and its
standby takes over, then check that no confirmed booking was lost.

Run it on one machine with the PostgreSQL server binaries installed (``pg_config --bindir`` or
``/usr/lib/postgresql/*/bin``)::

    .venv/bin/python scripts/failover_drill.py [--mode synchronous|asynchronous]

It makes a primary and a streaming standby on two free loopback ports
(``backend.ops.replication``), migrates a ``faregate`` database on the primary, makes the
keyring and publishes the bundled sample feed (what ``faregate db upgrade``, ``keys init`` and
``gtfs load-sample`` do, see ``backend.ops.served``), and starts ``faregate serve`` (gunicorn
and its job runner, a process group of its own on a loopback port, rate limits off as every
client comes from one address) on the libpq multi-host URL naming both servers with
``target_session_attrs=read-write``. Client threads then book trips of the sample a few days
ahead (``backend.ops.booking_load``), each client its own trip instances so that they do not
compete for seats.

Once ``--before`` bookings are confirmed, the primary is stopped as a crash would stop it
(``pg_ctl stop -m immediate``) and the standby promoted (``pg_ctl promote``), while the clients
keep booking until ``--after`` more are confirmed. With ``--lag S`` the primary's WAL sender is
frozen S seconds before the crash, as a slow link leaves a standby behind: asynchronous
replication then loses the bookings confirmed meanwhile, synchronous replication holds their
confirmations until the standby has them (and so never confirms them, as the standby never
does). Clients retry a 503 or a failed connection every 0.1 s, sooner than ``Retry-After``
asks, to time the recovery finely. A booking counts as confirmed when its 201 arrived, and as
confirmed *before* the failover when its confirmation was first sent before the primary was
stopped: a booking the old primary may have committed.

The drill then reads the promoted server: every confirmed booking must be there (with
asynchronous replication, one confirmed in the last moments before the crash may be missing),
and the job runner must still run and work again (it logs the new bookings as webhook events).

Recovery time (``recovery_s``) runs from the primary's stop to the first booking confirmed
after it. The last line printed is one JSON object with the figures. Exit status: 0 when the
drill passed, 1 when a check failed (a confirmed booking missing in synchronous mode, nothing
confirmed after the failover, a 5xx other than 503, the job runner gone or idle), 2 when it
could not run. Everything it started (server, clusters, folders) is removed, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.ops.booking_load import BookingClients, Ledger, Trip  # noqa: E402
from backend.ops.clusters import ClusterError, find_server_binaries  # noqa: E402
from backend.ops.replication import ReplicaPair  # noqa: E402
from backend.ops.served import ServedFaregate  # noqa: E402
from backend.services.sample_feed import SAMPLE_FEED  # noqa: E402

DATABASE = "faregate"
# Sample trips a day runs, (trip, from, to); booked a few days ahead so that none departs
# during the drill.
SAMPLE_TRIPS = (
    ("AB1", "BEATTY_AIRPORT", "BULLFROG"),
    ("AB2", "BULLFROG", "BEATTY_AIRPORT"),
    ("BFC1", "BULLFROG", "FUR_CREEK_RES"),
    ("BFC2", "FUR_CREEK_RES", "BULLFROG"),
)
FIRST_DAY_AHEAD = 2
DAYS = 10
JOBS_WAIT_S = 30.0


def main(argv: list[str] | None = None) -> int:
    """Run the drill; the exit status."""
    args = _arguments(argv)
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so that the clean-up below runs
    bindir = find_server_binaries()
    if bindir is None:
        _say("no PostgreSQL server binaries (initdb, pg_ctl) found")
        return 2
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_say, "server, clusters and folders removed")
        try:
            pair = ReplicaPair(bindir, synchronous=args.mode == "synchronous")
            cleanup.callback(pair.close)
            folder = Path(tempfile.mkdtemp(prefix="faregate-drill-"))
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            _start_clusters(pair, args.mode)
            server = ServedFaregate(folder, pair.url(DATABASE), workers=args.workers)
            if args.server_log:
                cleanup.callback(_copy_log, server.log, Path(args.server_log))
            cleanup.callback(server.close)
            _start_server(server)
        except (ClusterError, OSError, RuntimeError) as error:
            _say(f"could not set the drill up: {error}")
            return 2
        figures = _drill(pair, server, args)
    print(json.dumps(figures), flush=True)
    return 0 if figures["passed"] else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("synchronous", "asynchronous"), default="synchronous")
    parser.add_argument("--clients", type=int, default=4, help="booking threads (1-16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (1-8)")
    parser.add_argument("--before", type=int, default=100, help="bookings before the failover")
    parser.add_argument("--after", type=int, default=50, help="bookings after the failover")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds each booking phase may last"
    )
    parser.add_argument(
        "--lag",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="hold the WAL back from the standby this long before the crash (0-10)",
    )
    parser.add_argument(
        "--server-log", metavar="PATH", help="keep the server's log (gunicorn, job runner) here"
    )
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 16 and 1 <= args.workers <= 8):
        parser.error("--clients must be 1 to 16 and --workers 1 to 8")
    if not (1 <= args.before <= 5000 and 1 <= args.after <= 5000):
        parser.error("--before and --after must be 1 to 5000")
    if not 0 <= args.lag <= 10:
        parser.error("--lag must be 0 to 10 seconds")
    if not 1 <= args.time_limit <= 600:
        parser.error("--time-limit must be 1 to 600 seconds")
    return args


def _start_clusters(pair: ReplicaPair, mode: str) -> None:
    """Start the primary and its standby, and make the empty Faregate database."""
    pair.start()
    pair.wait_streaming()
    _say(
        f"primary on 127.0.0.1:{pair.primary_port}, standby on 127.0.0.1:{pair.standby_port} "
        f"({mode} replication)"
    )
    with psycopg.connect(pair.conninfo(pair.primary_port), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DATABASE}")


def _start_server(server: ServedFaregate) -> None:
    """Migrate, make keys and load the sample feed; start ``faregate serve``."""
    server.prepare(datetime.now(UTC))
    _say("database migrated, keyring made, sample feed published")
    server.start()
    _say(f"faregate serve on {server.base_url}, database {server.env['FAREGATE_DATABASE_URL']}")


def _drill(pair: ReplicaPair, server: ServedFaregate, args: argparse.Namespace) -> dict[str, Any]:
    """Book, fail over, book again, and check the promoted server; the figures."""
    runner = server.job_runner_pid()
    ledger = Ledger()
    clients = BookingClients(server.port, _trips(args.clients), ledger)
    with clients.running(args.clients):
        if not ledger.wait_for(args.before, lambda _sent: True, args.time_limit):
            _say(f"only {len(ledger.confirmed())} bookings confirmed before the time limit")
        stopped_at = _fail_primary(pair, args.lag)
        _say(f"primary stopped with {len(ledger.confirmed())} bookings confirmed")
        pair.promote_standby()
        promote_s = time.monotonic() - stopped_at
        _say(f"standby promoted {promote_s:.2f} s after the primary stopped")
        ledger.wait_for(args.after, lambda sent: sent >= stopped_at, args.time_limit)
    figures: dict[str, Any] = {"mode": args.mode, "lag_s": args.lag}
    figures["promote_s"] = round(promote_s, 3)
    figures |= _check(pair.conninfo(pair.standby_port, DATABASE), ledger, stopped_at)
    figures["job_runner_survived"] = runner is not None and _alive(runner)
    problems = _problems(figures, ledger)
    for problem in problems:
        _say(f"FAILED: {problem}")
    figures["passed"] = not problems
    return figures


def _check(promoted: str, ledger: Ledger, stopped_at: float) -> dict[str, Any]:
    """What the promoted server (at ``promoted``) holds of the confirmed bookings, and what
    the clients saw."""
    confirmed = ledger.confirmed()
    before = [c.reference for c in confirmed if c.sent_at < stopped_at]
    later = [c for c in confirmed if c.sent_at >= stopped_at]
    after = [c.reference for c in later]
    recovery_s = min((c.at - stopped_at for c in later), default=None)
    if recovery_s is not None:
        _say(f"recovery: first booking confirmed {recovery_s:.2f} s after the primary stopped")
    _say("reading the promoted server")
    resumed_s = _jobs_resumed(promoted, after, stopped_at)
    return {
        "confirmed_before": len(before),
        "missing_after_failover": len(_missing(promoted, before)),
        "confirmed_after": len(after),
        "missing_confirmed_after": len(_missing(promoted, after)),
        "recovery_s": None if recovery_s is None else round(recovery_s, 3),
        "refusals": dict(ledger.refusals),
        "server_errors": sum(ledger.server_errors.values()),
        "jobs_resumed_s": None if resumed_s is None else round(resumed_s, 1),
    }


def _fail_primary(pair: ReplicaPair, lag_s: float) -> float:
    """Stop the primary as a crash would, after holding its WAL back from the standby for
    ``lag_s`` (not at all when 0); when it stopped (``time.monotonic()``)."""
    sender = None
    if lag_s > 0:
        sender = pair.stall_replication()
        _say(f"WAL held back from the standby for {lag_s:.1f} s before the crash")
        time.sleep(lag_s)
    stopped_at = time.monotonic()
    pair.fail_primary(sender)
    return stopped_at


def _problems(figures: dict[str, Any], ledger: Ledger) -> list[str]:
    """What went wrong, for people; empty when the drill passed."""
    problems = list(ledger.failures)
    if figures["missing_after_failover"] and figures["mode"] == "synchronous":
        problems.append(f"{figures['missing_after_failover']} confirmed booking(s) were lost")
    if figures["missing_confirmed_after"]:
        problems.append("bookings confirmed by the promoted server are missing from it")
    if not figures["confirmed_after"]:
        problems.append("no booking was confirmed after the failover within the time limit")
    if figures["server_errors"]:
        problems.append(f"5xx answers other than 503: {dict(ledger.server_errors)}")
    if not figures["job_runner_survived"]:
        problems.append("the job runner did not survive the failover")
    elif figures["jobs_resumed_s"] is None:
        problems.append(f"the job runner did no work within {JOBS_WAIT_S:.0f} s of the failover")
    return problems


def _trips(clients: int) -> list[list[Trip]]:
    """Each client's trip instances: disjoint, a few days ahead in the agency's time zone."""
    with (SAMPLE_FEED / "agency.txt").open(newline="", encoding="utf-8") as handle:
        zone = ZoneInfo(next(csv.DictReader(handle))["agency_timezone"])
    today = datetime.now(UTC).astimezone(zone).date()
    days: list[date] = [today + timedelta(days=FIRST_DAY_AHEAD + n) for n in range(DAYS)]
    every = [
        Trip(f"{trip}@{day.isoformat()}", board, alight)
        for day in days
        for trip, board, alight in SAMPLE_TRIPS
    ]
    return [every[client::clients] for client in range(clients)]


def _missing(conninfo: str, references: list[str]) -> list[str]:
    """The ``references`` the server at ``conninfo`` has no booking for."""
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT reference FROM booking WHERE reference = ANY(%s)", (references,)
        ).fetchall()
    return sorted(set(references) - {row[0] for row in rows})


def _jobs_resumed(conninfo: str, references: list[str], since: float) -> float | None:
    """Seconds from ``since`` until the job runner logged a booking confirmed after the
    failover as a webhook event; None when it did not within ``JOBS_WAIT_S``."""
    keys = [f"booking.created:{reference}" for reference in references]
    deadline = time.monotonic() + JOBS_WAIT_S
    while keys and time.monotonic() < deadline:
        with psycopg.connect(conninfo) as connection:
            row = connection.execute(
                "SELECT count(*) FROM webhook_event WHERE dedupe_key = ANY(%s)", (keys,)
            ).fetchone()
        if row is not None and row[0]:
            return time.monotonic() - since
        time.sleep(0.25)
    return None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _copy_log(log: Path, target: Path) -> None:
    """Copy the server's log out of the drill's folder before it is removed."""
    with contextlib.suppress(OSError):
        shutil.copyfile(log, target)


_STARTED = time.monotonic()


def _say(message: str) -> None:
    print(f"drill [{time.monotonic() - _STARTED:5.1f} s]: {message}", flush=True)


def _exit_on_signal(_signal: int, _frame: object) -> None:
    raise SystemExit(128 + signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
