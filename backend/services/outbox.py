"""The e-mail outbox: messages written in the caller's transaction, sent by SMTP afterwards.

``queue_email`` adds a message to the caller's transaction, so a change that is rolled back
sends nothing and a committed one is sent even if the process dies straight after. A message
with a ``dedupe_key`` already in the outbox is not queued again.

``send_due`` (the job runner's ``send_outbox``) sends the messages that are due:

1. **Claim.** In one short transaction it takes up to ``limit`` pending messages whose
   ``next_attempt_at`` has come, counts an attempt on each and moves its ``next_attempt_at``
   a lease (``CLAIM_LEASE``) ahead. On PostgreSQL the rows are read ``FOR UPDATE SKIP
   LOCKED``, so job runners on several servers each take other messages; SQLite's writer
   transaction lets one runner claim at a time. The database is not held while the mail
   server is talked to.
2. **Send** over one SMTP connection (``smtplib``, with STARTTLS and a login when configured).
3. **Record** each outcome: ``sent``; ``failed`` at once when the server refuses the message
   for good (a 5xx reply to the sender, the recipient or the content); otherwise (a 4xx reply,
   a connection that fails or times out, a failed TLS switch or login) it is tried again after
   ``backoff.retry_delay`` (30 s doubling up to an hour, with jitter), and given up as
   ``failed`` after ``MAX_ATTEMPTS`` attempts.

No message is lost: a runner that dies between claim and record leaves its messages pending,
tried again once the lease has passed. The price is that such a message may be sent twice;
each carries a ``Message-ID`` of its own outbox row, the same at every attempt, by which mail
software recognises a repeat.

With no mail server configured (``smtp_host`` empty) nothing is sent and nothing is counted:
messages stay queued until one is. Recipients and bodies are never logged, only outbox ids.
"""

from __future__ import annotations

import dataclasses
import logging
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import ServiceError
from backend.models import OutboxMessage
from backend.services.backoff import Uniform, retry_delay
from backend.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=15)
MAX_SUBJECT = 300
MAX_ERROR = 500
STATUSES = ("pending", "sent", "failed")


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server; an empty ``host`` means there is none."""

    host: str
    port: int = 25
    sender: str = "faregate@localhost"
    starttls: bool = False
    username: str = ""
    password_file: str = ""
    timeout_s: float = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings:
        """The ``smtp_*`` settings."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password_file=settings.smtp_password_file,
            timeout_s=settings.smtp_timeout_s,
        )

    @property
    def configured(self) -> bool:
        """Whether there is a mail server to send through."""
        return bool(self.host)


@dataclasses.dataclass
class SendReport:
    """What one ``send_due`` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclasses.dataclass(frozen=True)
class _Claimed:
    """A claimed message, as read when it was claimed."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    created_at: datetime
    attempts: int


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """How sending one message went: sent (no error), refused for good, or to try again."""

    message: _Claimed
    error: str | None = None
    permanent: bool = False


def queue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    html: str | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Add an e-mail to ``to`` to the caller's transaction (the caller commits); False when a
    message with ``dedupe_key`` is already in the outbox, or ``to`` is in the reserved
    ``.invalid`` domain, so nothing new was queued."""
    recipient = to.strip()
    if not _is_address(recipient):
        raise ServiceError("invalid_recipient", f"{to!r} is not an e-mail address", status=422)
    if recipient.lower().endswith(".invalid"):
        return False  # never deliverable (RFC 2606), e.g. an erased traveler's placeholder
    if any(c in subject for c in "\r\n") or len(subject) > MAX_SUBJECT:
        raise ServiceError(
            "invalid_subject", f"a subject is one line of at most {MAX_SUBJECT} characters"
        )
    values = {
        "kind": "email",
        "recipient": recipient,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }
    if dedupe_key is None:
        session.execute(insert(OutboxMessage).values(values))
        return True
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        upsert(OutboxMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return session.execute(statement).first() is not None


def send_due(
    database: Database,
    smtp: SmtpSettings,
    now: datetime,
    *,
    limit: int = 50,
    uniform: Uniform | None = None,
) -> SendReport:
    """Send up to ``limit`` messages that are due, and record how each went."""
    if not smtp.configured:
        return SendReport()
    claimed = _claim(database, now, limit)
    if not claimed:
        return SendReport()
    outcomes = _send(smtp, claimed)
    return _record(database, outcomes, now, uniform)


def recent_messages(session: Session, *, limit: int = 50) -> Sequence[OutboxMessage]:
    """The newest messages, newest first."""
    return session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()


def counts_by_status(session: Session) -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    found = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in STATUSES}


def _is_address(text: str) -> bool:
    if any(c in text for c in '\r\n\t ,;<>"') or len(text) > 254:
        return False
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and parseaddr(text)[1] == text)


def _claim(database: Database, now: datetime, limit: int) -> list[_Claimed]:
    with database.writer_sessions() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + CLAIM_LEASE
            claimed.append(
                _Claimed(
                    id=row.id,
                    recipient=row.recipient,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    created_at=row.created_at,
                    attempts=row.attempts,
                )
            )
        session.commit()
    return claimed


def _send(smtp: SmtpSettings, claimed: list[_Claimed]) -> list[_Outcome]:
    """Send each message over one connection, opened again after one that broke."""
    outcomes: list[_Outcome] = []
    client: smtplib.SMTP | None = None
    try:
        for index, message in enumerate(claimed):
            if client is None:
                try:
                    client = _connect(smtp)
                except (OSError, smtplib.SMTPException) as error:
                    # The server cannot be reached or will not let us in: every message left
                    # waits for its next attempt.
                    reason = _describe(error)
                    log.warning("mail server %s:%s not usable: %s", smtp.host, smtp.port, reason)
                    outcomes.extend(_Outcome(rest, reason) for rest in claimed[index:])
                    break
            outcome = _send_one(client, smtp, message)
            outcomes.append(outcome)
            if outcome.error is not None and not outcome.permanent:
                _close(client)  # it may be broken: start afresh for the next message
                client = None
    finally:
        if client is not None:
            _close(client)
    return outcomes


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    try:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, _password(smtp.password_file))
    except BaseException:
        client.close()
        raise
    return client


def _password(path: str) -> str:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


def _send_one(client: smtplib.SMTP, smtp: SmtpSettings, message: _Claimed) -> _Outcome:
    try:
        email = _email(message, smtp.sender)
    except (ValueError, TypeError) as error:
        return _Outcome(message, f"cannot be written as an e-mail: {error}", permanent=True)
    try:
        client.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        replies = "; ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return _Outcome(message, f"recipient refused: {replies}", permanent=permanent)
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, ...
        permanent = 500 <= error.smtp_code < 600
        return _Outcome(message, _describe(error), permanent=permanent)
    except (OSError, smtplib.SMTPException) as error:  # disconnected, timed out, ...
        return _Outcome(message, _describe(error))
    return _Outcome(message)


def _email(message: _Claimed, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = Address(addr_spec=parseaddr(sender)[1]).domain or "localhost"
    stamp = int(message.created_at.timestamp())
    email["Message-ID"] = f"<outbox.{message.id}.{stamp}@{domain}>"
    email.set_content(message.body_text)
    if message.body_html is not None:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _record(
    database: Database, outcomes: list[_Outcome], now: datetime, uniform: Uniform | None
) -> SendReport:
    report = SendReport()
    with database.writer_sessions() as session:
        for outcome in outcomes:
            message = outcome.message
            row = update(OutboxMessage).where(
                OutboxMessage.id == message.id, OutboxMessage.status == "pending"
            )
            if outcome.error is None:
                report.sent += 1
                session.execute(row.values(status="sent", sent_at=now, last_error=None))
            elif outcome.permanent or message.attempts >= MAX_ATTEMPTS:
                report.failed += 1
                session.execute(row.values(status="failed", last_error=outcome.error))
            else:
                report.retried += 1
                wait = retry_delay(
                    message.attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP, uniform=uniform
                )
                session.execute(row.values(next_attempt_at=now + wait, last_error=outcome.error))
        session.commit()
    if report.retried or report.failed:
        log.warning(
            "outbox: %d sent, %d to try again, %d failed for good",
            report.sent,
            report.retried,
            report.failed,
        )
    elif report.sent:
        log.info("outbox: %d sent", report.sent)
    return report


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}".rstrip(": ")
    return text[:MAX_ERROR]


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(raw.split())[:MAX_ERROR]


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
