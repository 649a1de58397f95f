"""Check-in events: every check-in, undo, walk-in and paper line as it happened on a device (issue 18).

A device (the check-in page with JavaScript) records each action as an event with a random client id and
the device's time, applies it on the page at once and keeps it until the server has it. The server keeps
every event it received, applied or not, so the log says what each device saw; ``(session_id,
client_id)`` is unique, so a batch sent twice is taken once. The rules deciding each event's outcome are
``forums.checkin.sync``.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import Model, UTCDateTime, utcnow
from models.events import _enum


class CheckinEventKind(enum.StrEnum):
    """What the facilitator did on the device."""

    check_in = "check_in"
    undo = "undo"
    walk_in = "walk_in"
    #: a line of a signed paper sheet typed back (``/sessions/<id>/checkin/paper``)
    paper = "paper"


class CheckinOutcome(enum.StrEnum):
    """What the server made of an event (``forums.checkin.sync``)."""

    #: attendance changed as the device said
    applied = "applied"
    #: the person was attended already (another device, paper, the page): they count once
    counted_once = "counted_once"
    #: an undo of someone not attended: nothing to undo
    no_change = "no_change"
    #: an undo that may not win on its own: on the reconciliation list for staff
    reconcile = "reconcile"
    #: the session is cancelled: kept for staff, attendance unchanged
    refused = "refused"


class ReviewReason(enum.StrEnum):
    """Why staff should look at an event."""

    past_capacity = "past_capacity"
    #: the person had declined or been cancelled when the check-in reached the server
    not_expected = "not_expected"
    #: an offline walk-in whose name resembles someone already in the register
    possible_duplicate = "possible_duplicate"
    undo_conflict = "undo_conflict"
    session_cancelled = "session_cancelled"


REVIEW_LABELS = {
    ReviewReason.past_capacity: _l("Checked in past the session's capacity"),
    ReviewReason.not_expected: _l("Checked in although they had declined or were cancelled"),
    ReviewReason.possible_duplicate: _l("A walk-in who may already be in the register"),
    ReviewReason.undo_conflict: _l("An undo from another device, or earlier than the check-in"),
    ReviewReason.session_cancelled: _l("Checked in at a cancelled session"),
}

KIND_LABELS = {
    CheckinEventKind.check_in: _l("Check-in"),
    CheckinEventKind.undo: _l("Undo"),
    CheckinEventKind.walk_in: _l("Walk-in"),
    CheckinEventKind.paper: _l("Paper sheet"),
}


class CheckinEvent(Model):
    """One action at the door as a device recorded it, and what the server made of it."""

    __table_args__ = (
        sa.UniqueConstraint("session_id", "client_id"),
        sa.Index("ix_checkin_event_registration", "registration_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"))
    #: the device's random id for the event: the same id twice is the same event
    client_id: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[CheckinEventKind] = mapped_column(_enum(CheckinEventKind))
    #: the registration acted on (a walk-in's new one); None once it is erased
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registration.id", ondelete="SET NULL"))
    #: who was signed in on the device
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: the browser's random id for itself (``paper`` for a typed-back sheet)
    device_id: Mapped[str] = mapped_column(sa.String(80))
    #: when it happened, by the device's clock
    device_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the server took it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[CheckinOutcome] = mapped_column(_enum(CheckinOutcome))
    #: why staff should look at it; None when nothing needs a look
    review: Mapped[ReviewReason | None] = mapped_column(_enum(ReviewReason))
    #: when staff settled the review (or the reconciliation)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
