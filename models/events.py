"""Forums, their sessions and agendas."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.people import Category, Participant
    from models.users import User


class ForumKind(enum.StrEnum):
    """The mission's instruments of dialogue."""

    round_table = "round_table"
    discussion_club = "discussion_club"
    economic_forum = "economic_forum"
    symposium = "symposium"
    seminar = "seminar"


class Visibility(enum.StrEnum):
    """Who may read a session's agenda."""

    public = "public"
    invitation = "invitation"


class SessionStatus(enum.StrEnum):
    """A session is drafted, then published; cancelling keeps it for the record."""

    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class AgendaKind(enum.StrEnum):
    """What happens during an agenda item."""

    opening = "opening"
    presentation = "presentation"
    discussion = "discussion"
    break_ = "break"
    closing = "closing"


#: what each kind, status, visibility and agenda kind is called on pages, in the reader's language
FORUM_KIND_LABELS = {
    ForumKind.round_table: _l("Round table"),
    ForumKind.discussion_club: _l("Discussion club"),
    ForumKind.economic_forum: _l("Economic forum"),
    ForumKind.symposium: _l("Symposium"),
    ForumKind.seminar: _l("Seminar"),
}
AGENDA_KIND_LABELS = {
    AgendaKind.opening: _l("Opening"),
    AgendaKind.presentation: _l("Presentation"),
    AgendaKind.discussion: _l("Discussion"),
    AgendaKind.break_: _l("Break"),
    AgendaKind.closing: _l("Closing"),
}
SESSION_STATUS_LABELS = {
    SessionStatus.draft: _l("Draft"),
    SessionStatus.published: _l("Published"),
    SessionStatus.cancelled: _l("Cancelled"),
}
VISIBILITY_LABELS = {Visibility.invitation: _l("By invitation only"), Visibility.public: _l("Public")}


def new_stamp() -> int:
    """A random change stamp: random rather than counted, so a restored backup cannot repeat one."""
    return secrets.randbits(52)


def _enum(enum_cls: type[enum.Enum]) -> sa.Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration on both backends.
    return sa.Enum(enum_cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class Forum(Model):
    """A series of sessions, e.g. the Discussion Club."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[ForumKind] = mapped_column(_enum(ForumKind))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: titles and descriptions in other languages, like a session's: {"ru": {"title": ..., "description": ...}}
    translations: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    #: days after a session ends before its personal data is purged; None keeps it
    retention_days: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    sessions: Mapped[list[ForumSession]] = relationship(
        back_populates="forum", order_by="ForumSession.starts_at"
    )

    __mapper_args__ = {"version_id_col": version}

    def localized(self, field: str, locale: str) -> str:
        """``title`` or ``description`` in ``locale``, falling back to the original."""
        return (self.translations or {}).get(locale, {}).get(field) or getattr(self, field)


class ForumSession(Model):
    """One meeting of a forum: a date, a venue, a region, a capacity and an agenda."""

    __tablename__ = "forum_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.Index("ix_forum_session_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: titles and descriptions in other languages: {"ru": {"title": ..., "description": ...}}
    translations: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"), index=True)
    capacity: Mapped[int] = mapped_column()
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.invitation)
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus), default=SessionStatus.draft)
    #: iCalendar SEQUENCE: raised on every change a calendar reader should notice
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    #: a new random number whenever the session's balance report may have changed (its registrations,
    #: their people's categories, the catalogue, its policy), set by database triggers (see the
    #: migration ``balance_stamp``) so that no write path can forget it; the ORM only sets the first one
    balance_stamp: Mapped[int] = mapped_column(sa.BigInteger, default=new_stamp, server_default="0")
    #: Chatham House: what is said may be used, who said it is not recorded; the list of speakers keeps
    #: categories only and the projector never shows names (``forums.floor``)
    is_chatham_house: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    forum: Mapped[Forum] = relationship(back_populates="sessions")
    region: Mapped[Category] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="forum_session",
        # Time order first, hand order only among items that start together (forums.sessions.scheduling).
        order_by="AgendaItem.starts_at, AgendaItem.position, AgendaItem.id",
        cascade="all, delete-orphan",
    )
    facilitators: Mapped[list[User]] = relationship(secondary="session_facilitator", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    def localized(self, field: str, locale: str) -> str:
        """``title``, ``description`` or ``venue`` in ``locale``, falling back to the original."""
        return (self.translations or {}).get(locale, {}).get(field) or getattr(self, field)


class AgendaItem(Model):
    """A timed part of a session: opening, presentation, discussion, break, closing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), index=True)
    #: the item's place in its agenda, which runs in time order; staff order only items that start together
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: {"ru": {"title": ...}, "tg": {"title": ...}}
    translations: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    kind: Mapped[AgendaKind] = mapped_column(_enum(AgendaKind))

    forum_session: Mapped[ForumSession] = relationship(back_populates="agenda")
    speakers: Mapped[list[AgendaSpeaker]] = relationship(
        back_populates="agenda_item", order_by="AgendaSpeaker.position", cascade="all, delete-orphan"
    )

    def localized(self, field: str, locale: str) -> str:
        """``title`` in ``locale``, falling back to the original."""
        return (self.translations or {}).get(locale, {}).get(field) or getattr(self, field)


class AgendaSpeaker(Model):
    """A participant published as a speaker of an agenda item: the only people public pages name."""

    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_item.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="speakers")
    participant: Mapped[Participant] = relationship()


class SessionFacilitator(Model):
    """A facilitator user assigned to check people in at one session."""

    __tablename__ = "session_facilitator"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)


class CheckinRequest(Model):
    """A check-in request id already applied, so a retried request counts once."""

    request_id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
