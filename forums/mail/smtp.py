"""SMTP delivery of one message to one recipient over a connection kept open between messages.

No Flask or database here: the sender gives it settings and messages, and gets back an outcome
(``delivery``) it can store. After any error the connection is dropped: its state is unknown, and the
next message opens a new one.
"""

import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from forums.mail import delivery

#: how a connection is secured: ``starttls`` upgrades a plain connection (port 587), ``ssl`` starts with
#: TLS (port 465), ``none`` sends in the clear (only to a relay on the same host)
TLS_MODES = ("starttls", "ssl", "none")


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as it goes over the wire: CRLF line ends. ``sendmail`` passes bytes through as they are,
    and a server reads bare LFs as one endless line (refused as too long, RFC 5321 4.5.3.1.6)."""
    return message.as_bytes(policy=email.policy.SMTP)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect."""

    host: str
    port: int
    tls: str = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = 30.0


class SmtpConnection:
    """One open connection to the server, opened on first use; use it as a context manager."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.tls not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {settings.tls!r}")
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        smtp: smtplib.SMTP
        if settings.tls == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        return smtp

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> delivery.Outcome:
        """Send ``message`` to ``recipient`` alone, the envelope sender ``envelope_from``; never raises SMTP errors."""
        try:
            if self._smtp is None:
                self._smtp = self._open()
            refused = self._smtp.sendmail(envelope_from, [recipient], wire_bytes(message))
        except (smtplib.SMTPException, OSError, UnicodeError) as error:
            self.close()
            return delivery.of_exception(error)
        # One recipient, so sendmail raises when it is refused; a refusal it returns instead (a server that
        # accepts the envelope oddly, a second recipient slipped in) must still not count as sent.
        return delivery.of_refusals(refused, recipient)

    def close(self) -> None:
        """Say goodbye if the server still listens; forget the connection either way."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __enter__(self) -> "SmtpConnection":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
