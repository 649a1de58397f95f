"""How an SMTP answer decides a message's fate, pure: sent, tried again soon or later, or failed for good.

Classified as pretix does: a connection that could not be made or was dropped is tried again soon (the
server is restarting, the link is down); a 4xx answer later (the server asks us to come back); a 5xx answer
about the recipient never (the address does not exist). A 5xx about our own credentials or sender is a
fault of our settings, not of the message: it is tried again later, so fixing the settings delivers it.
``smtplib.SMTP.sendmail`` raises nothing when some recipients are refused and others accepted; it returns
the refusals. We send to one recipient per message, and still read that return value (``of_refusals``).
"""

import smtplib
from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """The server accepted the message."""


@dataclass(frozen=True)
class Retry:
    """Refused for now; ``speed`` is ``quick`` (no connection) or ``slow`` (a 4xx answer, our settings)."""

    speed: str
    reason: str


@dataclass(frozen=True)
class Failed:
    """Refused for good: a 5xx answer about the recipient or the message."""

    reason: str


Outcome = Sent | Retry | Failed


def _text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    # One line, bounded: it is shown on the outbox page and stored in a 500-character column.
    return f"{code} {' '.join(text.split())}"[:480]


def of_reply(code: int, message: bytes | str) -> Outcome:
    """The outcome of an SMTP reply about the recipient or the message: 2xx sent, 4xx later, 5xx failed."""
    if 200 <= code < 300:
        return Sent()
    if 400 <= code < 500:
        return Retry("slow", _text(code, message))
    if code >= 500:
        return Failed(_text(code, message))
    # Anything else (1xx, 3xx, nonsense) is not an acceptance: try again later rather than call it sent.
    return Retry("slow", _text(code, message))


def of_refusals(refused: dict[str, tuple[int, bytes]], recipient: str) -> Outcome:
    """The outcome of ``sendmail``'s return value for our one recipient: empty means accepted."""
    if not refused:
        return Sent()
    code, message = refused.get(recipient) or next(iter(refused.values()))
    return of_reply(code, message)


def of_exception(error: BaseException) -> Outcome:
    """The outcome of an exception raised while connecting, signing in or sending."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Every recipient refused: with one recipient, that one's answer decides.
        code, message = next(iter(error.recipients.values()), (550, b"recipient refused"))
        return of_reply(code, message)
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return Retry("slow", "our settings: " + _text(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return Retry("quick", f"connection: {' '.join(str(error).split())}"[:480])
    if isinstance(error, smtplib.SMTPResponseException):
        return of_reply(error.smtp_code, error.smtp_error)
    if isinstance(error, UnicodeError):
        # An address smtplib cannot put in an ASCII command: no server will take it as it stands.
        return Failed("the address is not plain ASCII and the server was not asked for SMTPUTF8")
    if isinstance(error, OSError | smtplib.SMTPException):
        return Retry("quick", f"connection: {type(error).__name__} {' '.join(str(error).split())}"[:480])
    raise error
