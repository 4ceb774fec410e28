"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for the moment)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Mailbox:
    """An aiosmtpd handler keeping what it receives; ``replies`` are given, one per message,
    instead of accepting it, before it accepts again."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.replies: list[str] = []
        self.lock = threading.Lock()
        self.port = 0  # where it listens, once started by ``smtp_server``

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Accept the message, or give the next scripted reply."""
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            content = envelope.content if isinstance(envelope.content, bytes) else b""
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.received.append(message)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def messages(self) -> list[EmailMessage]:
        """What has arrived so far."""
        with self.lock:
            return list(self.received)


@contextmanager
def smtp_server(**controller: Any) -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on 127.0.0.1 and its port, stopped afterwards."""
    box = Mailbox()
    port = free_port()
    running = Controller(box, hostname="127.0.0.1", port=port, **controller)
    running.start()
    try:
        yield box, port
    finally:
        running.stop()
