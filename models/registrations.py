"""A person's relation to a session."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow
from models.events import _enum

if TYPE_CHECKING:
    from models.events import ForumSession
    from models.people import Participant


class RegistrationStatus(enum.StrEnum):
    """invited -> registered -> confirmed -> attended, or declined / cancelled / waitlisted."""

    invited = "invited"
    registered = "registered"
    confirmed = "confirmed"
    attended = "attended"
    declined = "declined"
    cancelled = "cancelled"
    waitlisted = "waitlisted"


#: what each status is called on pages, in the reader's language
STATUS_LABELS = {
    RegistrationStatus.invited: _l("Invited"),
    RegistrationStatus.registered: _l("Registered"),
    RegistrationStatus.confirmed: _l("Confirmed"),
    RegistrationStatus.attended: _l("Attended"),
    RegistrationStatus.declined: _l("Declined"),
    RegistrationStatus.cancelled: _l("Cancelled"),
    RegistrationStatus.waitlisted: _l("Waitlisted"),
}

# The status sets and transitions, written once here. Everything else (operations, queries, pages, the API,
# balance stages, check-in, selection) names one of these; tests/registrations/test_rules.py fails on a
# literal set of statuses anywhere else in forums/. The database schema's Enum (migrations) is the only copy.

_S = RegistrationStatus
#: every status
ALL = frozenset(RegistrationStatus)
#: statuses that hold a seat: capacity counts these
SEATED = frozenset({_S.registered, _S.confirmed, _S.attended})
#: statuses a registration may be created in (``operations.register``); past capacity ``registered`` is waitlisted
INITIAL = frozenset({_S.invited, _S.registered})
#: statuses that end a person's part in a session: not expected, not in their calendar, never drawn again
CLOSED = frozenset({_S.declined, _S.cancelled})
#: on the session's list: expected at the door (attended stays listed, so a check-in can be undone), the
#: session is in the person's calendar, they may be named a speaker
ON_LIST = ALL - CLOSED
#: on the list and not yet arrived: the people a cancellation of the session reaches
PENDING = ON_LIST - {_S.attended}
#: on the list and not waiting for a seat: invited or seated; a panel draw keeps every one of them
HOLDING = ON_LIST - {_S.waitlisted}
#: how far along a registration is, least to furthest: when two records of one person are merged, a session
#: both were on keeps the registration further along (``forums.people.merge``). A cancellation by the
#: organisers counts least; the person's own decline answers an invitation, so it is further than the
#: invitation; asking for a seat (waitlisted) is further than a decline, and a seat further still.
PROGRESS: tuple[RegistrationStatus, ...] = (_S.cancelled, _S.invited, _S.declined, _S.waitlisted, _S.registered,
                                            _S.confirmed, _S.attended)

#: statuses a move into is mailed to the person (``forums.mail``): a seat, a place on the waitlist, or the
#: organisers' cancellation. The invitation has a message of its own; a check-in, its undo and the person's own
#: decline need none.
MAILED = frozenset({_S.registered, _S.confirmed, _S.waitlisted, _S.cancelled})
#: whom a reminder goes to, by the audience staff choose (``forums.mail``): invited and silent, or holding a seat
#: not yet used (a chosen subset is anyone still on the list: ``PENDING``)
REMINDER_AUDIENCES: dict[str, frozenset[RegistrationStatus]] = {
    "silent": frozenset({_S.invited}),
    "seated": frozenset({_S.registered, _S.confirmed}),
}

#: registration statuses each balance stage counts (API contract, "The balance report"); the keys are
#: ``forums.balance.rules.STAGES``, in that order. Cancelled counts at no stage; declined and waitlisted
#: people were invited, so the invited stage counts them.
STAGE_STATUSES: dict[str, frozenset[RegistrationStatus]] = {
    "invited": ALL - {_S.cancelled},
    "registered": SEATED,
    "confirmed": frozenset({_S.confirmed, _S.attended}),
    "attended": frozenset({_S.attended}),
}


class ChangedBy(enum.StrEnum):
    """Who moves a registration from one status to another; ``ALLOWED_TRANSITIONS`` says to which."""

    #: organisers on the registrations page, the API or a panel draw
    staff = "staff"
    #: the person themselves, behind their personal link
    participant = "participant"
    #: a facilitator at the door: check-in and its undo
    checkin = "checkin"
    #: the waitlist rule: a free seat goes to the first waitlisted
    waitlist = "waitlist"


#: from each status, the statuses each kind of change may move a registration to (a move to the same
#: status is no change and always allowed). ``operations`` enforces it; capacity is checked on top:
#:
#: - staff may correct anything, to any status (setting ``attended`` by hand counts as a check-in);
#: - a participant accepts an invitation, or takes back their decline (a seat if one is free, else the
#:   waitlist), and declines anything not closed or attended; a cancellation is the organisers' decision;
#: - check-in moves anyone to attended (the person is in the room, capacity or not), and its undo returns an
#:   attended registration to the status it had before;
#: - the waitlist moves a waitlisted registration to registered when a seat is free.
ALLOWED_TRANSITIONS: dict[ChangedBy, dict[RegistrationStatus, frozenset[RegistrationStatus]]] = {
    ChangedBy.staff: {old: ALL - {old} for old in RegistrationStatus},
    ChangedBy.participant: {
        _S.invited: frozenset({_S.registered, _S.waitlisted, _S.declined}),
        _S.declined: frozenset({_S.registered, _S.waitlisted}),
        _S.registered: frozenset({_S.declined}),
        _S.confirmed: frozenset({_S.declined}),
        _S.waitlisted: frozenset({_S.declined}),
    },
    ChangedBy.checkin: {old: frozenset({_S.attended}) if old is not _S.attended else ALL - {_S.attended}
                        for old in RegistrationStatus},
    ChangedBy.waitlist: {_S.waitlisted: frozenset({_S.registered})},
}

#: from these a person may accept behind their personal link (a declined invitation can be taken back)
CAN_ACCEPT = frozenset(old for old, new in ALLOWED_TRANSITIONS[ChangedBy.participant].items() if _S.registered in new)
#: from these a person may decline
CAN_DECLINE = frozenset(old for old, new in ALLOWED_TRANSITIONS[ChangedBy.participant].items() if _S.declined in new)


def is_allowed(by: ChangedBy, old: RegistrationStatus, new: RegistrationStatus) -> bool:
    """Whether ``by`` may move a registration from ``old`` to ``new`` (``ALLOWED_TRANSITIONS``)."""
    return new == old or new in ALLOWED_TRANSITIONS[by].get(old, frozenset())


def in_order(statuses: frozenset[RegistrationStatus]) -> tuple[RegistrationStatus, ...]:
    """``statuses`` in the enum's order, for pages, documents and anything else shown in a fixed order."""
    return tuple(status for status in RegistrationStatus if status in statuses)


class Registration(Model):
    """A participant's registration for one session; one per person and session."""

    __table_args__ = (
        sa.UniqueConstraint("session_id", "participant_id"),
        sa.Index("ix_registration_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus))
    #: the status to return to when a check-in is undone
    status_before_checkin: Mapped[RegistrationStatus | None] = mapped_column(_enum(RegistrationStatus))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: waitlist order: the first waitlisted moves up when a seat frees
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    forum_session: Mapped[ForumSession] = relationship()
    participant: Mapped[Participant] = relationship(back_populates="registrations")
