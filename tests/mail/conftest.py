"""A real SMTP server on loopback (aiosmtpd), started once per test run, whose answers each test chooses."""

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message the server accepted: its envelope and its parsed content."""

    envelope_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpHandler:
    """Answers as ``mode`` says: ``accept``, ``permanent`` (550 to every recipient), ``transient`` (451), ``drop``
    (closes the connection when the message is sent); recipients in ``refuse`` always get a 550."""

    mode: str = "accept"
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept or refuse one recipient."""
        if self.mode == "permanent" or address in self.refuse:
            return "550 5.1.1 No such user here"
        if self.mode == "transient":
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, or hang up on the sender."""
        if self.mode == "drop":
            server.transport.close()
            return "250 OK"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK queued"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    """The running server and the handler it answers with."""

    port: int
    handler: SmtpHandler


@pytest.fixture(scope="session")
def smtp_server_process() -> Iterator[SmtpServer]:
    """One aiosmtpd server on loopback for the whole run."""
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server_process: SmtpServer) -> SmtpServer:
    """The server, accepting everything and holding nothing yet."""
    handler = smtp_server_process.handler
    handler.mode = "accept"
    handler.refuse = set()
    handler.received = []
    return smtp_server_process


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: SmtpServer) -> dict[str, Any]:
    """The test app sends through the loopback server."""
    return {**app_config, "MAIL_HOST": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_TLS": "none",
            "MAIL_SENDER": "Dialogue Desk <desk@mission.example>", "MAIL_RETURN_PATH_DOMAIN": "bounce.example",
            "MAIL_BASE_URL": "https://desk.example.org"}
