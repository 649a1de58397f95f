"""Changes to registrations that must hold under concurrency: capacity, waitlist, check-in.

Every function here works inside the caller's transaction and flushes; the view commits. Capacity
checks lock the session row first (``FOR UPDATE`` on PostgreSQL; on SQLite every transaction already
holds the write lock, see forums.database), so two requests can never both take the last seat.
"""

from datetime import datetime

import sqlalchemy as sa

from models import (
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from models.registrations import SEATED


class RegistrationError(Exception):
    """A registration change that cannot be made; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def lock_session(session_id: int) -> None:
    """Serialise capacity decisions for one session until the transaction ends."""
    db.session.execute(sa.select(ForumSession.id).where(ForumSession.id == session_id).with_for_update())


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
             status: RegistrationStatus) -> Registration:
    """Invite or register one person; a registration past capacity is waitlisted.

    Raises ``RegistrationError("duplicate")`` when the person already has a registration here.
    """
    if status not in (RegistrationStatus.invited, RegistrationStatus.registered):
        raise RegistrationError("bad_initial_status")
    lock_session(forum_session.id)
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
    return registration


def change_status(registration: Registration, status: RegistrationStatus) -> Registration:
    """Move a registration to ``status``; taking a seat needs a free one, freeing one promotes.

    Raises ``RegistrationError("full")`` when the new status needs a seat and none is free.
    """
    old = registration.status
    if status == old:
        return registration
    lock_session(registration.session_id)
    if status in SEATED and old not in SEATED:
        if seated_count(registration.session_id) >= registration.forum_session.capacity:
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
    # A seat freed goes to the waitlist; someone waitlisted while seats are free moves straight up.
    if (old in SEATED and status not in SEATED) or status is RegistrationStatus.waitlisted:
        promote_waitlisted(registration.forum_session)
    return registration


def promote_waitlisted(forum_session: ForumSession) -> list[Registration]:
    """Give free seats to the waitlist, first come first served; returns who moved up."""
    lock_session(forum_session.id)
    free = forum_session.capacity - seated_count(forum_session.id)
    if free <= 0:
        return []
    promoted = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == forum_session.id,
               Registration.status == RegistrationStatus.waitlisted)
        .order_by(Registration.waitlisted_at, Registration.id)
        .limit(free)
    ))
    for registration in promoted:
        registration.status = RegistrationStatus.registered
        registration.waitlisted_at = None
    db.session.flush()
    return promoted


def check_in(registration: Registration, at: datetime | None = None) -> Registration:
    """Mark a person as attended; checking in someone already attended changes nothing.

    Check-in does not enforce capacity: the person is in the room, and the count must say so.
    """
    if registration.status is RegistrationStatus.attended:
        return registration
    lock_session(registration.session_id)
    registration.status_before_checkin = registration.status
    registration.status = RegistrationStatus.attended
    registration.checked_in_at = at or utcnow()
    registration.waitlisted_at = None
    db.session.flush()
    return registration


def undo_check_in(registration: Registration) -> Registration:
    """Return a checked-in person to the status they had before check-in."""
    if registration.status is not RegistrationStatus.attended:
        return registration
    previous = registration.status_before_checkin or RegistrationStatus.confirmed
    registration.status = previous
    registration.status_before_checkin = None
    registration.checked_in_at = None
    if previous is RegistrationStatus.waitlisted:
        registration.waitlisted_at = utcnow()
    db.session.flush()
    if previous not in SEATED:
        promote_waitlisted(registration.forum_session)
    return registration


def _waitlist(registration: Registration) -> None:
    registration.status = RegistrationStatus.waitlisted
    registration.waitlisted_at = utcnow()
