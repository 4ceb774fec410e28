"""Where reservation writes run: writer transactions, one-statement connections, the claim
writers' lock, and idempotent replays; database refusals become 409/503 with a code.

Lock waits are bounded by ``lock_timeout`` (set once per connection): a request that cannot
get its locks in time gets 503 ``busy_try_again``, one that loses a race 409 ``seat_taken`` or
``sold_out``, one whose database is lost or refuses writes (a failover) 503
``database_unavailable``, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.db import Executor, core, database_unavailable, unavailable_refusal
from backend.errors import ConflictError, ServiceError
from backend.models import IdempotencyRecord
from backend.services.reservation_store import IdempotencyKey, Inventory, Outcome


@contextmanager
def writer(inventory: Inventory) -> Iterator[Session]:
    """A writer transaction with bounded lock waits; database refusals become 409/503."""
    with inventory.database.writer_sessions() as session:
        try:
            _bound_lock_waits(session, inventory.lock_timeout_ms)
            yield session
        except (IntegrityError, OperationalError, DBAPIError) as error:
            session.rollback()
            raise _database_refusal(error) from error


@contextmanager
def single_statements(inventory: Inventory) -> Iterator[Connection]:
    """A connection whose every statement commits on its own, with bounded lock waits and
    database refusals turned into 409/503, as in :func:`writer`."""
    with inventory.database.autocommit.connect() as connection:
        try:
            _bound_lock_waits(connection, inventory.lock_timeout_ms)
            yield connection
        except (IntegrityError, OperationalError, DBAPIError) as error:
            raise _database_refusal(error) from error


def _bound_lock_waits(session: Executor, milliseconds: int) -> None:
    """Give the session's PostgreSQL connection its lock timeout, once per connection.

    The setting stays with the connection (saving a round trip per transaction); work that
    may wait longer on locks, such as a feed import, sets its own for its transaction.
    """
    connection = core(session)
    if connection.dialect.name != "postgresql":
        return
    info = connection.connection.info
    if info.get(_LOCK_TIMEOUT_KEY) != milliseconds:
        connection.execute(text(f"SET lock_timeout = {int(milliseconds)}"))
        info[_LOCK_TIMEOUT_KEY] = milliseconds


_LOCK_TIMEOUT_KEY = "faregate_lock_timeout_ms"


def _database_refusal(error: DBAPIError) -> ServiceError:
    state = getattr(error.orig, "sqlstate", None) or ""
    text_ = str(error.orig)
    if state == "23P01" or "overlaps another claim" in text_:
        return ConflictError("seat_taken", "a seat was taken by another traveler meanwhile")
    if state == "23514" or "within_capacity" in text_:
        return ConflictError("sold_out", "not enough places left on these legs")
    if state in ("55P03", "40P01", "40001") or "database is locked" in text_:
        return ServiceError("busy_try_again", "too many travelers at once; try again", status=503)
    if state == "23505" and "idempotency_record" in text_:
        return _IdempotencyRaceError("idempotency_in_flight", "the same request is in progress")
    if database_unavailable(error):
        return unavailable_refusal(error)
    raise error


class _IdempotencyRaceError(ServiceError):
    """Two requests with one Idempotency-Key ran at once; the loser replays the winner."""

    status = 409


def _replay(session: Session, key: IdempotencyKey | None) -> Outcome | None:
    if key is None:
        return None
    record = session.get(IdempotencyRecord, (key.scope, key.key))
    if record is None:
        return None
    if record.request_hash != key.request_hash:
        raise ServiceError(
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
            status=422,
        )
    return Outcome(record.status_code, record.body)


def with_idempotency(
    inventory: Inventory,
    key: IdempotencyKey | None,
    run: Callable[[Session], Outcome],
    now: datetime,
) -> Outcome:
    """Run ``run`` in a writer transaction, once per idempotency key; replay otherwise."""

    def once() -> Outcome:
        with writer(inventory) as session:
            replay = _replay(session, key)
            if replay is not None:
                return replay
            if key is not None:
                # Claim the key first: a concurrent twin waits here, then replays this one.
                record = IdempotencyRecord(
                    scope=key.scope,
                    key=key.key,
                    request_hash=key.request_hash,
                    status_code=0,
                    body={},
                    created_at=now,
                )
                session.add(record)
                session.flush()
            outcome = run(session)
            if key is not None:
                record.status_code = outcome.status
                record.body = outcome.body
            session.commit()
            return outcome

    try:
        return once()
    except _IdempotencyRaceError:
        return once()


# How long an Idempotency-Key is remembered: a client retries within minutes, not days.
IDEMPOTENCY_KEPT = timedelta(hours=24)


def purge_idempotency_records(inventory: Inventory, now: datetime) -> int:
    """Forget the Idempotency-Keys used more than ``IDEMPOTENCY_KEPT`` before ``now``; how
    many."""
    with inventory.database.writer_sessions() as session:
        purged = session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - IDEMPOTENCY_KEPT)
        )
        session.commit()
    return int(purged.rowcount)  # type: ignore[attr-defined]


CLAIM_WRITERS_LOCK_CLASS = 0x46470001

# One advisory lock per seat of a trip instance, taken in the order of the lock keys; the
# statements of ``one_statement`` take them the same way.
_LOCK_CLAIM_WRITERS = text(
    """
    SELECT pg_advisory_xact_lock(CAST(:lock_class AS integer), key)
    FROM (SELECT DISTINCT hashtext(CAST(:trip_instance AS text) || ' ' || seat) AS key
          FROM unnest(CAST(:seats AS text[])) AS chosen (seat) ORDER BY key) AS keys
    """
)


def lock_claim_writers(session: Session, trip_instance: str, seats: Sequence[str]) -> None:
    """Wait for other writers of claims on these seats of the trip instance; block them until
    commit.

    On PostgreSQL every transaction that inserts or updates seat claims first takes a lock per
    seat it writes (``one_statement`` takes them inside its statements), always in the order
    of the lock keys, so that no two writers wait for each other. The exclusion constraint
    checks a new claim against the others after inserting it, so two uncommitted conflicting
    claims would each wait for the other's transaction: a deadlock, broken only after a
    second. With the locks, each check finds the earlier claims committed and refuses at once,
    and writers of different seats never wait. SQLite writers are serialized already.
    """
    if seats and session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            _LOCK_CLAIM_WRITERS,
            {
                "lock_class": CLAIM_WRITERS_LOCK_CLASS,
                "trip_instance": trip_instance,
                "seats": list(seats),
            },
        )
