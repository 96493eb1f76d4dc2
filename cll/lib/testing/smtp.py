"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it receives.

Use the ``smtp_server`` fixture (register it with ``pytest_plugins = ["cll.lib.testing.smtp"]``
in a conftest, or import it). It points Django's mailer at the server for the test, so mail
goes through the real SMTP backend: connection errors, reply codes and headers are the ones
production sees. ``stop()`` and ``start()`` keep the same port, so a test can take the relay
down and bring it back; ``data_reply`` / ``rcpt_reply`` make it answer with an error code.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    # Number of the SMTP connection it came in on: tells a reused session from new ones.
    session: int

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class RecordingHandler:
    """aiosmtpd handler: accepts (or refuses, on demand) and records every message."""

    messages: list[ReceivedMessage] = field(default_factory=list)
    # e.g. "451 4.3.0 Try again later" or "550 5.1.1 No such user": returned instead of 250.
    data_reply: str | None = None
    rcpt_reply: str | None = None
    _received: threading.Condition = field(default_factory=threading.Condition)
    _sessions: itertools.count = field(default_factory=itertools.count)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        if not hasattr(session, "cll_number"):
            session.cll_number = next(self._sessions)
        with self._received:
            self.messages.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=bytes(envelope.original_content or envelope.content),
                    session=session.cll_number,
                )
            )
            self._received.notify_all()
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An SMTP server on a fixed port of 127.0.0.1 that can be stopped and started again."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None):
        self.port = port or free_port(self.host)
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    def start(self) -> None:
        if self._controller is not None:
            return
        # A stopped controller has closed its event loop, so each start needs a new one.
        controller = Controller(
            self.handler, hostname=self.host, port=self.port, server_hostname="smtp.test"
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    @property
    def data_reply(self) -> str | None:
        """Reply to DATA instead of 250 (e.g. "451 4.3.0 Try again later"); None accepts."""
        return self.handler.data_reply

    @data_reply.setter
    def data_reply(self, reply: str | None) -> None:
        self.handler.data_reply = reply

    @property
    def rcpt_reply(self) -> str | None:
        """Reply to RCPT TO instead of 250 (e.g. "550 5.1.1 No such user"); None accepts."""
        return self.handler.rcpt_reply

    @rcpt_reply.setter
    def rcpt_reply(self, reply: str | None) -> None:
        self.handler.rcpt_reply = reply

    @property
    def sessions(self) -> set[int]:
        """The SMTP connections that carried at least one message."""
        return {message.session for message in self.messages}

    def clear(self) -> None:
        self.handler.messages.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived (for deliveries from another thread)."""
        deadline = time.monotonic() + timeout
        with self.handler._received:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} messages, received {len(self.messages)}"
                    )
                self.handler._received.wait(remaining)
        return list(self.messages)

    def mailer_settings(self) -> dict:
        """Settings that route Django's default mailer to this server."""
        options = {"host": self.host, "port": self.port, "timeout": 5}
        if hasattr(django_settings, "MAILERS"):
            # Django 6.1's MAILERS, once the project opts in; other aliases are kept.
            mailers = dict(django_settings.MAILERS)
            mailers["default"] = {"BACKEND": SMTP_BACKEND, "OPTIONS": options}
            return {"MAILERS": mailers}
        return {
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server that Django's mailer sends to for the duration of the test."""
    # aiosmtpd logs every connection at INFO: noise in a failing test's output.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    server = SmtpServer()
    server.start()
    for name, value in server.mailer_settings().items():
        setattr(settings, name, value)
    try:
        yield server
    finally:
        server.stop()
        server_log.setLevel(level)
