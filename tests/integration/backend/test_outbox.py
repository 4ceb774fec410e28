"""The e-mail outbox, sent to a real SMTP server (aiosmtpd on 127.0.0.1) on both databases:
queued messages arrive, a temporary refusal or an unreachable server is retried later, a
permanent refusal fails at once, and nothing is sent or counted without a mail server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select, text

from backend.clock import utc_now
from backend.db import Database
from backend.errors import ServiceError
from backend.jobs import (
    OUTBOX_INTERVAL_S,
    WEBHOOK_INTERVAL_S,
    Messaging,
    add_jobs,
    inventory_for,
    send_outbox,
)
from backend.models import OutboxMessage
from backend.services import outbox
from backend.services.outbox import SmtpSettings
from backend.settings import Settings
from tests.harness.mailbox import Mailbox, free_port, smtp_server

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)  # past any first retry's wait


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on 127.0.0.1 and its port."""
    with smtp_server() as running:
        yield running


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The migrated database of each backend."""
    db = Database(database_url)
    yield db
    db.dispose()


def smtp_to(port: int, **changes: Any) -> SmtpSettings:
    """Settings for the test server on ``port``."""
    settings = SmtpSettings(
        host="127.0.0.1", port=port, sender="Faregate <noreply@faregate.test>", timeout_s=5
    )
    return dataclasses.replace(settings, **changes)


def queue(database: Database, n: int, *, at: datetime = NOW, **kwargs: Any) -> None:
    """Queue ``n`` messages, committed."""
    with database.sessions() as session:
        for i in range(n):
            outbox.queue_email(
                session,
                to=f"traveler{i}@example.org",
                subject=f"Your booking {i}",
                text=f"Hello {i}",
                now=at,
                **kwargs,
            )
        session.commit()


def messages(database: Database) -> list[OutboxMessage]:
    """Every message, oldest first."""
    with database.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_queued_mail_is_sent_through_the_smtp_server(
    database: Database, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    with database.sessions() as session:
        outbox.queue_email(
            session,
            to="ada@example.org",
            subject="Booking ABC123 confirmed",
            text="Your seats are booked.",
            html="<p>Your seats are <b>booked</b>.</p>",
            now=NOW,
        )
        session.commit()
    report = outbox.send_due(database, smtp_to(port), NOW)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [message] = box.received
    assert message["To"] == "ada@example.org"
    assert message["From"] == "Faregate <noreply@faregate.test>"
    assert message["Subject"] == "Booking ABC123 confirmed"
    assert message["Message-ID"].endswith("@faregate.test>")
    assert message.is_multipart()
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().strip() == "Your seats are booked."
    assert "<b>booked</b>" in html.get_content()
    assert box.envelopes == [("noreply@faregate.test", ["ada@example.org"])]
    [row] = messages(database)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, NOW, None)
    assert outbox.send_due(database, smtp_to(port), LATER).sent == 0  # sent once only


def test_a_temporary_refusal_is_retried_later_and_then_sent(
    database: Database, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    queue(database, 1)
    box.replies = ["451 4.3.0 Mailbox busy, try again later"]
    report = outbox.send_due(database, smtp_to(port), NOW)
    assert (report.sent, report.retried) == (0, 1)
    [row] = messages(database)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None
    assert "451" in row.last_error
    # The wait is 30 s with up to half of it taken off at random.
    assert NOW + timedelta(seconds=15) <= row.next_attempt_at <= NOW + timedelta(seconds=30)
    assert outbox.send_due(database, smtp_to(port), NOW + timedelta(seconds=10)).sent == 0
    assert outbox.send_due(database, smtp_to(port), LATER).sent == 1
    [row] = messages(database)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(box.received) == 1


def test_a_permanent_refusal_fails_at_once_and_the_others_still_go(
    database: Database, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    queue(database, 3)
    box.replies = ["550 5.1.1 No such mailbox"]
    report = outbox.send_due(database, smtp_to(port), NOW)
    assert (report.sent, report.retried, report.failed) == (2, 0, 1)
    rows = messages(database)
    assert [row.status for row in rows] == ["failed", "sent", "sent"]
    assert rows[0].last_error is not None
    assert rows[0].last_error.startswith("550")
    assert outbox.send_due(database, smtp_to(port), LATER).sent == 0


def test_an_unreachable_server_keeps_the_mail_and_gives_up_after_the_attempts(
    database: Database,
) -> None:
    queue(database, 2)
    down = smtp_to(free_port(), timeout_s=2)
    moment = NOW
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        report = outbox.send_due(database, down, moment)
        assert report.retried == 2, attempt
        moment += timedelta(hours=2)
    rows = messages(database)
    assert {(row.status, row.attempts) for row in rows} == {("pending", outbox.MAX_ATTEMPTS - 1)}
    assert all(row.last_error and "ConnectionRefused" in row.last_error for row in rows)
    assert outbox.send_due(database, down, moment).failed == 2
    assert {row.status for row in messages(database)} == {"failed"}


def test_mail_queued_while_the_server_was_down_is_sent_when_it_is_back(
    database: Database, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    queue(database, 2)
    assert outbox.send_due(database, smtp_to(free_port()), NOW).retried == 2
    assert outbox.send_due(database, smtp_to(port), LATER).sent == 2
    assert sorted(m["To"] for m in box.received) == [
        "traveler0@example.org",
        "traveler1@example.org",
    ]


def test_without_a_mail_server_mail_stays_queued_untouched(database: Database) -> None:
    queue(database, 1)
    assert outbox.send_due(database, SmtpSettings(host=""), NOW) == outbox.SendReport()
    [row] = messages(database)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)


def test_the_server_login_uses_the_password_file(database: Database, tmp_path: Path) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret pass")

    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (box, port):
        password_file = tmp_path / "smtp-password"
        password_file.write_text("s3cret pass\n")
        queue(database, 1)
        settings = smtp_to(port, username="faregate", password_file=str(password_file))
        assert outbox.send_due(database, settings, NOW).sent == 1
        password_file.write_text("wrong\n")
        queue(database, 1, dedupe_key="second")
        report = outbox.send_due(database, settings, NOW)
        assert report.retried == 1  # a refused login is the server's problem, not the mail's
    assert logins == [(b"faregate", b"s3cret pass"), (b"faregate", b"wrong")]
    assert len(box.received) == 1


def test_a_dedupe_key_queues_a_message_once(database: Database) -> None:
    with database.sessions() as session:
        first = outbox.queue_email(
            session, to="a@example.org", subject="s", text="t", now=NOW, dedupe_key="k1"
        )
        again = outbox.queue_email(
            session, to="a@example.org", subject="s", text="t", now=NOW, dedupe_key="k1"
        )
        session.commit()
    assert (first, again) == (True, False)
    assert len(messages(database)) == 1


def test_a_rolled_back_transaction_queues_nothing(database: Database) -> None:
    with database.sessions() as session:
        outbox.queue_email(session, to="a@example.org", subject="s", text="t", now=NOW)
        session.rollback()
    assert messages(database) == []


@pytest.mark.parametrize(
    ("to", "subject", "code"),
    [
        ("not an address", "s", "invalid_recipient"),
        ("a@example.org\r\nBcc: x@example.org", "s", "invalid_recipient"),
        ("a@example.org", "two\nlines", "invalid_subject"),
    ],
)
def test_header_injection_and_bad_addresses_are_refused(
    database: Database, to: str, subject: str, code: str
) -> None:
    with database.sessions() as session, pytest.raises(ServiceError) as refused:
        outbox.queue_email(session, to=to, subject=subject, text="t", now=NOW)
    assert refused.value.code == code


@pytest.mark.postgres
def test_runners_on_postgresql_skip_messages_another_runner_holds(
    postgres_url: str, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    database = Database(postgres_url)
    try:
        queue(database, 3)
        first_id = messages(database)[0].id
        with database.engine.connect() as other_runner:
            other_runner.execute(
                text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"), {"id": first_id}
            )
            assert outbox.send_due(database, smtp_to(port), NOW).sent == 2  # no waiting
            other_runner.rollback()
        assert outbox.send_due(database, smtp_to(port), NOW).sent == 1
        assert len(box.received) == 3
        assert len({m["To"] for m in box.received}) == 3
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM outbox_message"))
        database.dispose()


def test_the_job_runner_runs_the_outbox_and_webhook_jobs_every_few_seconds(
    settings: Settings, database: Database
) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    messaging = Messaging(database, SmtpSettings.from_settings(settings))
    add_jobs(scheduler, inventory_for(settings, database), messaging=messaging)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs["send_outbox"].trigger.interval.total_seconds() == OUTBOX_INTERVAL_S <= 10
    assert jobs["deliver_webhooks"].trigger.interval.total_seconds() == WEBHOOK_INTERVAL_S <= 10


def test_the_outbox_job_survives_a_mail_server_and_a_database_that_fail(
    database: Database, tmp_path: Path
) -> None:
    queue(database, 1, at=utc_now())
    down = Messaging(database, smtp_to(free_port(), timeout_s=2))
    assert send_outbox(down).retried == 1
    broken = Database(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    try:
        assert send_outbox(Messaging(broken, smtp_to(free_port()))) == outbox.SendReport()
    finally:
        broken.dispose()
