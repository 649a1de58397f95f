"""The rules of mail to participants, pure: when a message is sent, how often it is tried, who releases it.

No Flask, database or model import, so these rules are tested without an app; the status sets they are
given live in ``models.registrations`` (``MAILED``, ``REMINDER_AUDIENCES``, ``CLOSED``).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

#: a message is tried this many times in all before it fails for good (Indico's 10 retries, plus the first try)
MAX_ATTEMPTS = 11
#: the first wait after a refusal, by how slow the cause is to clear (``delivery.Retry``); each retry doubles it
FIRST_BACKOFF = {"quick": timedelta(minutes=1), "slow": timedelta(minutes=15)}
#: the longest wait between two tries
MAX_BACKOFF = timedelta(hours=6)
#: how long a sender owns a message it claimed; past it the message goes back to the queue
LEASE = timedelta(minutes=5)
#: permanent bounces after which a person's address is flagged in the register and no longer written to
FLAG_AFTER_BOUNCES = 2
#: days an outbox row of a finished message is kept (``FLASK_MAIL_RETENTION_DAYS`` may change it)
DEFAULT_RETENTION_DAYS = 30

#: the hours before a session a reminder may be set for, shortest to longest
REMINDER_HOURS_CHOICES = (2, 24, 48, 72, 168)


def backoff(attempts: int, speed: str) -> timedelta:
    """The wait before try ``attempts + 1``: the first wait for ``speed``, doubled per try, at most ``MAX_BACKOFF``."""
    return min(FIRST_BACKOFF[speed] * 2 ** max(0, attempts - 1), MAX_BACKOFF)


def out_of_attempts(attempts: int) -> bool:
    """Whether a message tried ``attempts`` times may not be tried again."""
    return attempts >= MAX_ATTEMPTS


def mail_language(recorded: Sequence[str], spoken: Sequence[str], default: str) -> str:
    """The first of the person's recorded languages the app speaks, else ``default``."""
    return next((code for code in recorded if code in spoken), default)


def is_confidential(visibility: str) -> bool:
    """A session by invitation only is confidential: who is invited to it is not public either, so its
    invitations need a second member of staff to release them."""
    return visibility == "invitation"


def may_release(created_by: int | None, releaser: int, confidential: bool) -> bool:
    """Whether ``releaser`` may release drafts ``created_by`` wrote: anyone on staff, except that the drafts of
    a confidential session need someone other than their author (four eyes)."""
    return not confidential or created_by != releaser


def reminder_time(starts_at: datetime, hours_before: int) -> datetime:
    """When a reminder ``hours_before`` a session is sent."""
    return starts_at - timedelta(hours=hours_before)


def stale_reason(kind: str, registration_status: str, session_status: str, session_over: bool,
                 address_matches: bool, *, reported: str, audience: frozenset[str] | None,
                 closed: frozenset[str]) -> str | None:
    """Why a message written earlier is no longer true when its turn to be sent comes, or None to send it.

    Checked by the sender right before sending, so no message says something that stopped being so:
    the person's address must still be the one it was written for; nothing but a cancellation notice
    goes out about a cancelled session, and nothing at all about one that is over; an invitation only
    while the person is still invited to a published session; a status change only while the person is
    still in the status it ``reported``; a reminder only while the person is still in its ``audience``
    (or, for a chosen subset, not ``closed``); a notice of a move only to people not ``closed``.
    The status sets come from ``models.registrations`` (``REMINDER_AUDIENCES``, ``CLOSED``).
    """
    if not address_matches:
        return "address_changed"
    if session_over:
        return "session_over"
    if kind == "cancelled":
        return None if session_status == "cancelled" else "session_reinstated"
    if session_status == "cancelled":
        return "session_cancelled"
    if session_status == "draft":
        return "session_draft"
    if kind == "invitation":
        return None if registration_status == "invited" else "answered"
    if kind == "status":
        return None if registration_status == reported else "status_changed"
    if kind == "reminder" and audience is not None:
        return None if registration_status in audience else "status_changed"
    return None if registration_status not in closed else "status_changed"
