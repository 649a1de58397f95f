"""The mail outbox: one row per message to one recipient, written in the transaction of the change it reports."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow
from models.events import _enum
from models.registrations import Registration
from models.signup import OpenSignup


class MailKind(enum.StrEnum):
    """What a message is about; each kind has its templates in ``templates/mail/<kind>.txt`` and ``.html``."""

    invitation = "invitation"
    status = "status"
    moved = "moved"
    cancelled = "cancelled"
    reminder = "reminder"
    #: the confirmation link of an open sign-up (``forums.signup``): the one kind about a sign-up, not a registration
    signup_confirmation = "signup_confirmation"


class MailState(enum.StrEnum):
    """Where a message is: draft -> queued -> inflight -> sent (-> bounced), or awaiting_retry, failed, aborted."""

    #: written, waiting for staff to release it (bulk invitations)
    draft = "draft"
    #: waiting for a sender, from ``send_after`` on
    queued = "queued"
    #: claimed by a sender until ``lease_until``; a sender killed mid-send leaves it to be requeued after that
    inflight = "inflight"
    #: refused for now (4xx, no connection): tried again from ``send_after`` on
    awaiting_retry = "awaiting_retry"
    #: refused for good (5xx) or out of attempts: shown to staff, who may retry it
    failed = "failed"
    #: accepted by the SMTP server
    sent = "sent"
    #: accepted, then returned by the recipient's server as undeliverable
    bounced = "bounced"
    #: stopped by staff, or no longer true when its turn came (the person answered, the session was cancelled)
    aborted = "aborted"


#: what each kind and state is called on pages, in the reader's language
MAIL_KIND_LABELS = {
    MailKind.invitation: _l("Invitation"),
    MailKind.status: _l("Status change"),
    MailKind.moved: _l("Session moved"),
    MailKind.cancelled: _l("Session cancelled"),
    MailKind.reminder: _l("Reminder"),
    MailKind.signup_confirmation: _l("Sign-up confirmation"),
}
MAIL_STATE_LABELS = {
    MailState.draft: _l("Draft"),
    MailState.queued: _l("Queued"),
    MailState.inflight: _l("Being sent"),
    MailState.awaiting_retry: _l("Awaiting retry"),
    MailState.failed: _l("Failed"),
    MailState.sent: _l("Sent"),
    MailState.bounced: _l("Bounced"),
    MailState.aborted: _l("Aborted"),
}


class MailMessage(Model):
    """One message to one person about one registration, or about one open sign-up not yet confirmed (exactly
    one of the two); its text is composed when it is sent.

    Only ids, the address and the language are stored, not the text: an outbox row names nobody's
    political affiliation, and the message says what is true when it leaves (a moved time, a new agenda).
    """

    __tablename__ = "mail_message"
    __table_args__ = (
        sa.Index("ix_mail_message_state_send_after", "state", "send_after"),
        sa.Index("ix_mail_message_session_state", "session_id", "state"),
        sa.CheckConstraint("(registration_id IS NULL) <> (signup_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind))
    state: Mapped[MailState] = mapped_column(_enum(MailState))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"),
                                                        index=True)
    #: a sign-up's confirmation (``MailKind.signup_confirmation``); deleted with the sign-up
    signup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("open_signup.id", ondelete="CASCADE"), index=True)
    #: the registration's (or sign-up's) session, kept here so the outbox of one session needs no join
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"))
    #: the one recipient, as the register held it when the change was made; a message whose person's
    #: address changed since is aborted rather than sent to an address nobody confirmed
    recipient: Mapped[str] = mapped_column(sa.String(254))
    #: the language the message is written in (the person's first recorded language the app speaks)
    language: Mapped[str] = mapped_column(sa.String(8))
    #: for a status change, the status it reports (a later change makes it stale)
    detail: Mapped[str] = mapped_column(sa.String(40), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    #: not sent before this time (a reminder's time, a retry's backoff)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: an inflight message belongs to its sender until then
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(sa.String(80), default="")
    #: the SMTP server's last answer, or why the message was aborted
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    #: who wrote the message (None: the participant's own answer, a command, the waitlist)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: who released the draft
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration | None] = relationship()
    signup: Mapped[OpenSignup | None] = relationship()


class MailAddressHealth(Model):
    """Permanent bounces of one person's address: repeated ones flag the address in the register."""

    __tablename__ = "mail_address_health"
    __table_args__ = (sa.UniqueConstraint("participant_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(sa.String(254))
    permanent_bounces: Mapped[int] = mapped_column(default=0)
    last_bounce_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set once the bounces reach ``forums.mail.rules.FLAG_AFTER_BOUNCES``: no more mail goes there
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
