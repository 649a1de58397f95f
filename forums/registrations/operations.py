"""Changes to registrations that must hold under concurrency: capacity, waitlist, check-in.

Every function here works inside the caller's transaction and flushes; the view commits. Capacity
checks lock the session row first (``FOR UPDATE`` on PostgreSQL; on SQLite every transaction already
holds the write lock, see forums.database), so two requests can never both take the last seat.

Every change is audited here, in the same transaction, and never by the callers: whichever page, API,
link or command moves a registration, the log has one entry for it, and one ``registration.update``
entry with detail ``promoted`` for each person a freed seat moves up from the waitlist. Which status
may move to which, and by whom, is ``models.registrations.ALLOWED_TRANSITIONS``.

A cancelled session takes no registration change at all (no invitation, answer, status change,
check-in or draw) until staff reinstate it: each change reads the session's status under its lock and
raises ``SessionCancelled`` before changing anything. The app answers that exception the same way
from every page and API (``forums.registrations.views``), and the caller's transaction is rolled back.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from forums.audit import log as audit
from forums.balance import queries as balance_queries
from forums.mail import outbox
from models import (
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
    utcnow,
)
from models.registrations import INITIAL, SEATED, ChangedBy, is_allowed


class RegistrationError(Exception):
    """A registration change that cannot be made; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PassedOver:
    """A waitlisted person a free seat went past, because their seat would take the session off its policy."""

    registration: Registration
    #: the dimensions (keys, in catalogue order) whose policy their seat would have taken further off
    dimensions: tuple[str, ...]


class Promotion(list[Registration]):
    """The registrations a freed seat moved up from the waitlist, in order, and who was passed over."""

    def __init__(self, promoted: Iterable[Registration] = (), passed_over: Iterable[PassedOver] = ()) -> None:
        super().__init__(promoted)
        #: people ahead of those promoted (or left waiting while a seat stays free), with why
        self.passed_over: list[PassedOver] = list(passed_over)


class SessionCancelled(Exception):
    """A registration change or a draw asked of a cancelled session; nothing was changed.

    Not a ``RegistrationError``: callers that handle those (a duplicate, a full session) must not take
    this one for them; it reaches the app's handler instead.
    """

    def __init__(self, session_id: int) -> None:
        super().__init__(session_id)
        self.session_id = session_id


def lock_session(session_id: int) -> None:
    """Serialise capacity decisions for one session until the transaction ends."""
    db.session.execute(sa.select(ForumSession.id).where(ForumSession.id == session_id).with_for_update())


def lock_open_session(session_id: int) -> None:
    """Lock the session (``lock_session``) and raise ``SessionCancelled`` if it is cancelled: one query.

    The status is read under the lock, so a change racing a cancellation either runs before it or is refused.
    """
    _refuse_cancelled(sa.select(ForumSession.status).where(ForumSession.id == session_id).with_for_update(),
                      session_id)


def refuse_if_cancelled(session_id: int) -> None:
    """Raise ``SessionCancelled`` if the session is cancelled, without locking it (a draw's preview): one query."""
    _refuse_cancelled(sa.select(ForumSession.status).where(ForumSession.id == session_id), session_id)


def _refuse_cancelled(statement: sa.Select[SessionStatus], session_id: int) -> None:
    if db.session.scalar(statement) is SessionStatus.cancelled:
        raise SessionCancelled(session_id)


def seated_count(session_id: int) -> int:
    """Registrations that hold a seat: registered, confirmed or attended."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration)
        .where(Registration.session_id == session_id, Registration.status.in_(SEATED))
    ) or 0


def free_seats(forum_session: ForumSession) -> int:
    """Seats not yet taken (never negative)."""
    return max(0, forum_session.capacity - seated_count(forum_session.id))


def register(forum_session: ForumSession, participant: Participant,
             status: RegistrationStatus, *, via: str = "") -> Registration:
    """Invite or register one person (a status of ``INITIAL``); a registration past capacity is waitlisted.

    Audited as ``registration.create`` with the status it got, and ``via`` (``walk-in``, ``selection``)
    when given. Raises ``RegistrationError("bad_initial_status")`` for any other status and
    ``RegistrationError("duplicate")`` when the person already has a registration here.
    """
    if status not in INITIAL:
        raise RegistrationError("bad_initial_status")
    lock_open_session(forum_session.id)
    exists = db.session.scalar(
        sa.select(Registration.id).where(Registration.session_id == forum_session.id,
                                         Registration.participant_id == participant.id)
    )
    if exists is not None:
        raise RegistrationError("duplicate")
    is_full = seated_count(forum_session.id) >= forum_session.capacity
    registration = Registration(forum_session=forum_session, participant=participant, status=status)
    if status is RegistrationStatus.registered and is_full:
        _waitlist(registration)
    db.session.add(registration)
    db.session.flush()
    audit.record("registration.create", "registration", registration.id, detail=_detail(registration.status, via))
    outbox.registration_added(registration)
    return registration


def change_status(registration: Registration, status: RegistrationStatus, *, by: ChangedBy = ChangedBy.staff,
                  via: str = "") -> Promotion:
    """Move a registration to ``status`` as ``by`` may; taking a seat needs a free one, freeing one promotes.

    The rule is ``models.registrations.ALLOWED_TRANSITIONS``: staff may move any status to any other, a
    participant may accept (from invited or declined, to registered or waitlisted) and decline (from
    anything not closed or attended). Moving to the status it has is no change: nothing happens and nothing
    is audited. A change is audited as ``registration.accept`` / ``registration.decline`` under the
    person's link when ``by`` is the participant, else as ``registration.update`` with the new status (and
    ``via``); each person moved up from the waitlist gets an entry of their own (``promote_waitlisted``).

    Returns the registrations that moved up from the waitlist (and who was passed over, ``promote_waitlisted``).
    Raises ``RegistrationError("not_allowed")`` for a move ``by`` may not make, ``RegistrationError("full")``
    when the new status needs a seat and none is free, and ``SessionCancelled`` when the session is cancelled;
    each before anything changes.
    """
    old = registration.status
    if status == old:
        return Promotion()
    if not is_allowed(by, old, status):
        raise RegistrationError("not_allowed")
    lock_open_session(registration.session_id)
    takes_a_seat = status in SEATED and old not in SEATED
    if takes_a_seat and seated_count(registration.session_id) >= registration.forum_session.capacity:
        raise RegistrationError("full")
    registration.status = status
    if status is RegistrationStatus.waitlisted:
        _waitlist(registration)
    else:
        registration.waitlisted_at = None
    if status is RegistrationStatus.attended:
        # Attendance set by hand is a check-in: it has a time, and undoing it knows where to return.
        registration.status_before_checkin = old
        registration.checked_in_at = utcnow()
    else:
        registration.checked_in_at = None
        registration.status_before_checkin = None
    db.session.flush()
    actor = _actor(by, registration)
    if by is ChangedBy.participant:
        audit.record("registration.decline" if status is RegistrationStatus.declined else "registration.accept",
                     "registration", registration.id, detail=status.value, actor=actor)
    else:
        audit.record("registration.update", "registration", registration.id, detail=_detail(status, via))
    outbox.status_changed(registration, old)
    # A seat freed goes to the waitlist; someone waitlisted while seats are free moves straight up.
    if (old in SEATED and status not in SEATED) or status is RegistrationStatus.waitlisted:
        return promote_waitlisted(registration.forum_session, actor=actor)
    return Promotion()


def promote_waitlisted(forum_session: ForumSession, *, actor: str | None = None) -> Promotion:
    """Give free seats to the waitlist as far as the session's balance policy allows; returns who moved up.

    The rule, seat by seat (``forums.balance.rules.seat_order``, counted at the ``registered`` stage, where
    seats are): the first person on the waitlist (earliest ``waitlisted_at``, then id) whose seat keeps the
    session within its policy moves up. Keeping within means no category within its limits leaves them,
    none above its maximum gains the person, and none below its minimum falls further below. Everyone
    ahead of them whose seat would take the session further off is passed over: they stay waitlisted, in
    their place, and each is audited as ``registration.passed_over`` with the dimensions that stopped them
    (``Promotion.passed_over`` says the same to the caller). A seat nobody on the waitlist can take that way
    stays free for staff to give: staff may move anyone (``ALLOWED_TRANSITIONS``). Without a policy, or
    with one that nobody on the waitlist troubles, it is first come, first served.

    The one move ``ChangedBy.waitlist`` makes (waitlisted to registered). Each promotion is audited as
    ``registration.update`` with detail ``promoted``, under ``actor`` (the person whose answer freed the
    seat) or else the signed-in user; whatever freed the seat (a status change, a larger capacity, an
    undone check-in, an erasure) calls this and needs to record nothing about it. A cancelled session
    promotes nobody: its list stays as it was when it was cancelled.
    """
    try:
        lock_open_session(forum_session.id)
    except SessionCancelled:
        return Promotion()
    free = forum_session.capacity - seated_count(forum_session.id)
    if free <= 0:
        return Promotion()
    waiting = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == forum_session.id,
               Registration.status == RegistrationStatus.waitlisted)
        .order_by(Registration.waitlisted_at, Registration.id)
    ))
    if not waiting:
        return Promotion()
    taken, passed = balance_queries.waitlist_seats(
        forum_session.id, [(registration.id, registration.participant_id) for registration in waiting], free)
    by_id = {registration.id: registration for registration in waiting}
    promotion = Promotion([by_id[registration_id] for registration_id in taken],
                          [PassedOver(by_id[registration_id], dimensions) for registration_id, dimensions in passed])
    for registration in promotion:
        registration.status = RegistrationStatus.registered
        registration.waitlisted_at = None
    db.session.flush()
    for registration in promotion:
        audit.record("registration.update", "registration", registration.id, detail="promoted", actor=actor)
        outbox.status_changed(registration, RegistrationStatus.waitlisted)
    for skipped in promotion.passed_over:
        audit.record("registration.passed_over", "registration", skipped.registration.id,
                     detail=",".join(skipped.dimensions), actor=actor)
    return promotion


def mark_attended(registration: Registration, *, via: str = "door", at: datetime | None = None) -> Registration:
    """Set a registration to attended, from any status and past capacity; one already attended stays as it is.

    Check-in does not enforce capacity: the person is in the room, and the count must say so. This
    guarantees the status only: it trusts the caller's copy of the registration and knows nothing of
    request ids, so a tap that must count once goes through ``forums.checkin.door.check_in_once``.
    Audited as ``checkin.check_in`` with ``via`` (``page``, ``api``, ``paper``, ``walk-in``). Nobody
    attends a cancelled session: ``SessionCancelled``.
    """
    if registration.status is RegistrationStatus.attended:
        return registration
    lock_open_session(registration.session_id)
    registration.status_before_checkin = registration.status
    registration.status = RegistrationStatus.attended
    registration.checked_in_at = at or utcnow()
    registration.waitlisted_at = None
    db.session.flush()
    audit.record("checkin.check_in", "registration", registration.id, detail=via)
    return registration


def unmark_attended(registration: Registration) -> Registration:
    """Return an attended registration to its status before check-in (confirmed if unknown); others stay.

    Audited as ``checkin.undo``; a seat it frees goes to the waitlist (``promote_waitlisted``). A
    cancelled session's list does not change: ``SessionCancelled``.
    """
    if registration.status is not RegistrationStatus.attended:
        return registration
    lock_open_session(registration.session_id)
    previous = registration.status_before_checkin or RegistrationStatus.confirmed
    registration.status = previous
    registration.status_before_checkin = None
    registration.checked_in_at = None
    if previous is RegistrationStatus.waitlisted:
        registration.waitlisted_at = utcnow()
    db.session.flush()
    audit.record("checkin.undo", "registration", registration.id)
    if previous not in SEATED:
        promote_waitlisted(registration.forum_session)
    return registration


def _waitlist(registration: Registration) -> None:
    registration.status = RegistrationStatus.waitlisted
    registration.waitlisted_at = utcnow()


def _detail(status: RegistrationStatus, via: str) -> str:
    """An audit entry's detail: the status a registration got, and how when the caller says (never a name)."""
    return f"{status.value} via {via}" if via else status.value


def _actor(by: ChangedBy, registration: Registration) -> str | None:
    """Who the log names: the person's own link for their answers, else the signed-in user (``audit.record``)."""
    return f"participant-link:{registration.participant_id}" if by is ChangedBy.participant else None
