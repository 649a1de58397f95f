"""A person's relation to a session."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import UTCDateTime, db, utcnow
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

#: statuses that hold a seat: capacity counts these
SEATED = frozenset({RegistrationStatus.registered, RegistrationStatus.confirmed, RegistrationStatus.attended})


class Registration(db.Model):
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
