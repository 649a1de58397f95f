"""The rules of mail to participants, pure: which changes are mailed, when, to whom, how often tried again.

No Flask, database or model import: the statuses come in as strings, so these rules are tested without an app.
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

#: the registration statuses a status-change message reports (the invitation has its own message; a
#: check-in, an undone check-in and the person's own decline need none)
MAILED_STATUSES = frozenset({"registered", "confirmed", "waitlisted", "cancelled"})

#: reminder audiences: who hears a reminder, by registration status
REMINDER_STAGES: dict[str, frozenset[str]] = {
    #: invited and silent: they have not answered yet
    "silent": frozenset({"invited"}),
    #: holding a seat: registered or confirmed (attended ones are already there)
    "seated": frozenset({"registered", "confirmed"}),
}
#: the hours before a session a reminder may be set for, shortest to longest
REMINDER_HOURS_CHOICES = (2, 24, 48, 72, 168)


def mails_status_change(old: str, new: str) -> bool:
    """Whether moving a registration from ``old`` to ``new`` is worth a message: only into a mailed status."""
    return new != old and new in MAILED_STATUSES


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


#: statuses that end a person's part in a session (as ``models.registrations.CLOSED``): they hear nothing more
#: about it but the status change that closed it
_CLOSED = frozenset({"declined", "cancelled"})


def stale_reason(kind: str, detail: str, registration_status: str, session_status: str, session_over: bool,
                 address_matches: bool) -> str | None:
    """Why a message written earlier is no longer true when its turn to be sent comes, or None to send it.

    Checked by the sender right before sending, so no message says something that stopped being so:
    the person's address must still be the one it was written for; nothing but a cancellation notice
    goes out about a cancelled session, and nothing at all about one that is over; an invitation only
    while the person is still invited to a published session; a status change only while the person is
    still in that status; a reminder only while the person is still in the audience it was meant for
    (``REMINDER_STAGES``, or anyone not closed for a chosen subset); a notice of a move only to
    people still on the list.
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
        return None if registration_status == detail else "status_changed"
    if kind == "reminder":
        audience = REMINDER_STAGES.get(detail)
        fits = registration_status in audience if audience is not None else registration_status not in _CLOSED
        return None if fits else "status_changed"
    return None if registration_status not in _CLOSED else "status_changed"
