"""What a bounce report says, pure: which of our messages it is about, and whether the failure is permanent.

A bounce comes back to the message's VERP address (``verp``), which the receiving server writes into
``X-Original-To``, ``Delivered-To`` or ``Envelope-To`` (``To`` keeps it too, as the report's recipient).
Whether it is final comes from the RFC 3464 delivery-status part: ``Action: failed`` or a ``Status``
of 5.x.x is permanent; ``delayed`` or 4.x.x is a warning that the server keeps trying, and is ignored.
A report without a delivery-status part counts as permanent only when its text names a 5.x.x status
or a 5xx reply; anything less certain is left alone rather than taken for a dead address.
"""

import email
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

#: the headers that may carry the address a report was sent to, most reliable first
RECIPIENT_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "To")
#: a permanent enhanced status code (RFC 3463), else a 5xx reply, in a report's text: the first is more precise
_PERMANENT_IN_TEXT = (re.compile(r"(?<![\d.])5\.\d{1,3}\.\d{1,3}(?![\d.])"), re.compile(r"(?<![\d.])5\d\d(?=[ -])"))


@dataclass(frozen=True)
class Bounce:
    """A report about one of our messages."""

    message_id: int
    permanent: bool
    #: the DSN status (``5.1.1``) or what was found in the text, for the outbox page
    status: str


def _delivery_statuses(report: Message) -> list[tuple[str, str]]:
    """(Action, Status) of each recipient in the report's delivery-status parts."""
    found = []
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        groups = payload if isinstance(payload, list) else []
        for group in groups:
            if isinstance(group, Message) and (group.get("Action") or group.get("Status")):
                found.append((str(group.get("Action", "")).strip().lower(), str(group.get("Status", "")).strip()))
    return found


def _text_of(report: Message) -> str:
    texts = []
    for part in report.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


def parse(raw: bytes, message_id_of: Callable[[str], int | None]) -> Bounce | None:
    """The bounce ``raw`` reports, or None when it names none of our messages (``message_id_of`` decides)."""
    report = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = None
    for header in RECIPIENT_HEADERS:
        for _name, address in getaddresses(report.get_all(header, [])):
            message_id = message_id_of(address)
            if message_id is not None:
                break
        if message_id is not None:
            break
    if message_id is None:
        return None
    statuses = _delivery_statuses(report)
    if statuses:
        for action, status in statuses:
            if action == "failed" or status.startswith("5"):
                return Bounce(message_id, True, status or action)
        action, status = statuses[0]
        return Bounce(message_id, False, status or action)
    text = _text_of(report)
    for pattern in _PERMANENT_IN_TEXT:
        match = pattern.search(text)
        if match is not None:
            return Bounce(message_id, True, match.group(0))
    return Bounce(message_id, False, "")
