"""Writing and moving outbox rows, inside the caller's transaction: a change and its mail commit or roll back together.

The hooks (``registration_added``, ``status_changed``, ``session_changed``) are called by the operations
that make those changes (``forums.registrations.operations``, ``forums.sessions.operations``) right after
they flush; the staff actions (``release``, ``retry``, ``abort``, ``schedule_reminders``) are audited here.
A person without an e-mail address, or whose address is flagged after repeated bounces, gets no row.
``signup_submitted`` is the open sign-up's confirmation sender (``forums.signup.confirmation.add_sender``).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forums.audit import log as audit
from forums.mail import rules, settings
from forums.signup import confirmation
from forums.signup.confirmation import ConfirmationLink
from models import (
    ForumSession,
    MailAddressHealth,
    MailKind,
    MailMessage,
    MailState,
    Participant,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
    utcnow,
)
from models.registrations import MAILED, PENDING, REMINDER_AUDIENCES

#: what each reason a message was stopped (``rules.stale_reason``) means, on the outbox page
STALE_REASON_LABELS = {
    "address_changed": _l("The person's address changed after the message was written."),
    "session_over": _l("The session is over."),
    "session_reinstated": _l("The session was reinstated."),
    "session_cancelled": _l("The session was cancelled."),
    "session_draft": _l("The session is not published."),
    "answered": _l("The person has answered."),
    "status_changed": _l("The person's status changed."),
    "address_flagged": _l("The address bounced repeatedly."),
    "signup_confirmed": _l("The sign-up was confirmed already."),
    "signup_expired": _l("The sign-up's link has expired."),
}

#: states staff may stop (a message on its way out cannot be called back from the SMTP server)
ABORTABLE = frozenset({MailState.draft, MailState.queued, MailState.awaiting_retry, MailState.failed})
#: states staff may send again
RETRYABLE = frozenset({MailState.failed, MailState.aborted, MailState.awaiting_retry})
#: states of a message that is done: kept for the retention period, then purged
FINISHED = frozenset({MailState.sent, MailState.bounced, MailState.failed, MailState.aborted})


def rowcount(result: sa.Result[Any]) -> int:
    """The rows a bulk UPDATE or DELETE touched (its result is a CursorResult; execute is typed for any statement)."""
    return cast("sa.CursorResult[Any]", result).rowcount or 0


class MailError(Exception):
    """A staff action on mail that cannot be done; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _author_id() -> int | None:
    """The signed-in member of staff writing the message, if any."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return int(current_user.id)
    return None


def _address(participant: Participant) -> str:
    return participant.email.strip()


def is_flagged(participant_id: int, address: str) -> bool:
    """Whether the person's address was flagged after repeated permanent bounces."""
    return db.session.scalar(
        sa.select(MailAddressHealth.id).where(MailAddressHealth.participant_id == participant_id,
                                              MailAddressHealth.address == address,
                                              MailAddressHealth.flagged_at.is_not(None))) is not None


def flagged_addresses(participant_ids: set[int]) -> set[tuple[int, str]]:
    """(person, address) of these people's addresses flagged after repeated permanent bounces: one query."""
    return {(participant_id, address) for participant_id, address in db.session.execute(
        sa.select(MailAddressHealth.participant_id, MailAddressHealth.address)
        .where(MailAddressHealth.participant_id.in_(participant_ids), MailAddressHealth.flagged_at.is_not(None)))}


def language_of(participant: Participant) -> str:
    """The language the person's mail is written in (``rules.mail_language``)."""
    return rules.mail_language(participant.language_list, current_app.config["LANGUAGES"],
                               current_app.config["BABEL_DEFAULT_LOCALE"])


def write(registration: Registration, participant: Participant, kind: MailKind, *, state: MailState = MailState.queued,
          detail: str = "", send_after: datetime | None = None) -> MailMessage | None:
    """Add one message about ``registration`` to its person; None when they have no usable address."""
    address = _address(participant)
    if not address or is_flagged(participant.id, address):
        return None
    message = MailMessage(kind=kind, state=state, registration_id=registration.id,
                          session_id=registration.session_id, recipient=address, language=language_of(participant),
                          detail=detail, send_after=send_after or utcnow(), created_by_id=_author_id())
    db.session.add(message)
    return message


def registration_added(registration: Registration) -> None:
    """An invitation is written as a draft for staff to release; a registration made by staff is reported."""
    if registration.status is RegistrationStatus.invited:
        write(registration, registration.participant, MailKind.invitation, state=MailState.draft)
    else:
        status_changed(registration, RegistrationStatus.invited)


def status_changed(registration: Registration, old: RegistrationStatus) -> None:
    """Report a move into a mailed status (``models.registrations.MAILED``) of a published session."""
    if registration.forum_session.status is SessionStatus.draft:
        return
    if registration.status != old and registration.status in MAILED:
        write(registration, registration.participant, MailKind.status, detail=registration.status.value)


def signup_submitted(link: ConfirmationLink) -> bool:
    """Queue the confirmation link of a new sign-up that gave an e-mail address; returns whether one was queued.

    Nothing is queued when this app sends no mail (``settings.is_configured``): the page shows the link
    instead. The row keeps no code: the sender gives the sign-up a fresh one when it writes the message
    (``forums.mail.compose``), so no confirmation code is ever stored readable.
    """
    signup = link.signup
    address = signup.email.strip()
    if not address or not settings.is_configured():
        return False
    db.session.add(MailMessage(kind=MailKind.signup_confirmation, state=MailState.queued, signup_id=signup.id,
                               session_id=signup.session_id, recipient=address, language=link.language,
                               send_after=utcnow()))
    db.session.flush()
    return True


# Registered when this module is imported (the app's views import it), like the features' home panels.
confirmation.add_sender(signup_submitted)


def session_changed(forum_session: ForumSession, *, was_published: bool, moved: bool, cancelled: bool) -> None:
    """Tell everyone still expected (``PENDING``) that a session published before the change moved or was
    cancelled (nobody was told of a draft, so nobody is told it changed)."""
    if not (moved or cancelled) or not was_published:
        return
    kind = MailKind.cancelled if cancelled else MailKind.moved
    rows = db.session.execute(
        sa.select(Registration, Participant).join(Registration.participant)
        .where(Registration.session_id == forum_session.id, Registration.status.in_(PENDING),
               Participant.email != "")
    ).all()
    for registration, participant in rows:
        write(registration, participant, kind)


def _session_drafts(session_id: int) -> list[MailMessage]:
    return list(db.session.scalars(
        sa.select(MailMessage).where(MailMessage.session_id == session_id, MailMessage.state == MailState.draft)
        .order_by(MailMessage.id).with_for_update()))


def release(forum_session: ForumSession, releaser_id: int) -> tuple[int, int]:
    """Queue the session's drafts; returns (released, left because their author may not release them).

    A confidential session's drafts (``rules.is_confidential``) need a member of staff other than the one
    who wrote them (``rules.may_release``). A session not yet published, or cancelled, releases nothing:
    ``MailError("session_not_published")``. Audited as ``mail.release`` with the count.
    """
    if forum_session.status is not SessionStatus.published:
        raise MailError("session_not_published")
    confidential = rules.is_confidential(forum_session.visibility.value)
    released, held = 0, 0
    now = utcnow()
    for message in _session_drafts(forum_session.id):
        if not rules.may_release(message.created_by_id, releaser_id, confidential):
            held += 1
            continue
        message.state = MailState.queued
        message.released_by_id = releaser_id
        message.send_after = now
        released += 1
    db.session.flush()
    if released:
        audit.record("mail.release", "session", forum_session.id, detail=str(released))
    return released, held


def retry(message: MailMessage) -> None:
    """Send a failed, aborted or waiting message again now, with a fresh count of tries. Audited."""
    if message.state not in RETRYABLE:
        raise MailError("not_retryable")
    message.state = MailState.queued
    message.attempts = 0
    message.send_after = utcnow()
    message.last_error = ""
    db.session.flush()
    audit.record("mail.retry", "mail_message", message.id)


def abort(message: MailMessage) -> None:
    """Stop a message that has not left; it stays listed as aborted. Audited."""
    if message.state not in ABORTABLE:
        raise MailError("not_abortable")
    message.state = MailState.aborted
    db.session.flush()
    audit.record("mail.abort", "mail_message", message.id)


def reminder_audience(session_id: int, stage: str, chosen_ids: Sequence[int]) -> list[tuple[Registration, Participant]]:
    """The registrations a reminder goes to: an audience of ``REMINDER_AUDIENCES``, or the ``chosen`` ones
    still on the list."""
    statement = (sa.select(Registration, Participant).join(Registration.participant)
                 .where(Registration.session_id == session_id))
    if stage == "chosen":
        statement = statement.where(Registration.id.in_(chosen_ids), Registration.status.in_(PENDING))
    else:
        statement = statement.where(Registration.status.in_(REMINDER_AUDIENCES[stage]))
    return [(registration, participant) for registration, participant in db.session.execute(
        statement.order_by(Registration.id))]


def schedule_reminders(forum_session: ForumSession, stage: str, hours_before: int,
                       chosen_ids: Iterable[int] = ()) -> int:
    """Queue a reminder to each person of the audience, sent ``hours_before`` the session (at once if that is
    past); returns how many were written (people without an address get none). Audited as ``mail.remind``."""
    if stage != "chosen" and stage not in REMINDER_AUDIENCES:
        raise MailError("bad_stage")
    if forum_session.status is not SessionStatus.published or forum_session.ends_at <= utcnow():
        raise MailError("session_not_published")
    send_after = max(rules.reminder_time(forum_session.starts_at, hours_before), utcnow())
    written = 0
    for registration, participant in reminder_audience(forum_session.id, stage, list(chosen_ids)):
        written += write(registration, participant, MailKind.reminder, detail=stage, send_after=send_after) is not None
    db.session.flush()
    audit.record("mail.remind", "session", forum_session.id, detail=f"{stage} {hours_before}h {written}")
    return written


def purge_finished(now: datetime, retention_days: int) -> int:
    """Delete finished messages (``FINISHED``) last touched more than ``retention_days`` ago; returns how many.

    Audited as ``mail.purge`` with the count when anything was deleted.
    """
    cutoff = now - timedelta(days=retention_days)
    deleted = rowcount(db.session.execute(
        sa.delete(MailMessage).where(MailMessage.state.in_(FINISHED), MailMessage.updated_at < cutoff)))
    if deleted:
        audit.record("mail.purge", "mail_message", None, detail=str(deleted))
    return deleted


def record_bounce(message_id: int, permanent: bool, status: str) -> MailMessage | None:
    """Note a bounce report about a message; returns it, or None when it is gone (purged, erased).

    A permanent bounce marks the message ``bounced`` (the registration's address is failing) and counts
    against the person's address; at ``rules.FLAG_AFTER_BOUNCES`` the address is flagged in the register
    and written to no more. A temporary one (the server keeps trying) only notes the status. Audited as
    ``mail.bounce`` with the status, never the address.
    """
    message = db.session.get(MailMessage, message_id, options=[sa.orm.joinedload(MailMessage.registration)])
    if message is None:
        return None
    message.last_error = f"bounce {status}"[:500]
    if permanent:
        message.state = MailState.bounced
    # A sign-up's address belongs to nobody in the register yet: only the message is marked.
    if permanent and message.registration is not None:
        now = utcnow()
        participant_id = message.registration.participant_id
        health = db.session.scalar(sa.select(MailAddressHealth).where(
            MailAddressHealth.participant_id == participant_id, MailAddressHealth.address == message.recipient))
        if health is None:
            health = MailAddressHealth(participant_id=participant_id, address=message.recipient, permanent_bounces=0)
            db.session.add(health)
        health.permanent_bounces += 1
        health.last_bounce_at = now
        if health.permanent_bounces >= rules.FLAG_AFTER_BOUNCES and health.flagged_at is None:
            health.flagged_at = now
    db.session.flush()
    audit.record("mail.bounce", "mail_message", message.id,
                 detail=f"{'permanent' if permanent else 'delayed'} {status}")
    return message
