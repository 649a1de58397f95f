"""Staff accounts, API tokens and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from sqlalchemy.orm.interfaces import ORMOption

from models import Model, UTCDateTime, utcnow
from models.events import _enum


class Role(enum.StrEnum):
    """Staff roles; participants have no account, only a personal link."""

    admin = "admin"
    organiser = "organiser"
    facilitator = "facilitator"


#: the roles that see the whole register; facilitators only their sessions
STAFF_ROLES = frozenset({Role.admin, Role.organiser})

#: the longest name an API token may be given
NAME_LENGTH = 80


class User(UserMixin, Model):
    """A staff member who signs in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: exports show pseudonymous codes unless an admin granted this explicitly
    can_export_names: Mapped[bool] = mapped_column(default=False)
    #: raised at sign-out and when the account is disabled: older session cookies stop working
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the TOTP secret, encrypted (``forums.accounts.two_factor``); set at enrolment, shown only then
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    #: when the first code proved the enrolment; until then the secret does not guard sign-in
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last 30-second step whose code was accepted: that code and older ones are refused (replay)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    #: the forums an organiser is limited to (none: every forum), loaded with the signed-in user (``signed_in_loading``)
    forum_limits: Mapped[list[OrganiserForum]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    def get_id(self) -> str:
        """The id kept in the session cookie: it changes when the user signs out everywhere."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        """Admins and organisers see the whole register (organisers: of their forums, ``OrganiserForum``);
        facilitators only their sessions."""
        return self.role in STAFF_ROLES

    @property
    def has_two_factor(self) -> bool:
        """Whether sign-in asks this account for a second factor (an enrolment confirmed by a code)."""
        return self.totp_secret is not None and self.totp_confirmed_at is not None


class OrganiserForum(Model):
    """A forum an organiser is limited to; an organiser without any sees every forum (need-to-know,
    ``forums.accounts.permissions.forum_scope``)."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forum.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)


class RecoveryCode(Model):
    """A single-use code that stands in for the second factor, stored as a SHA-256 hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: when it was spent; a spent code signs nobody in again
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountPolicy(Model):
    """The rules for every staff account that an admin sets on a page: one row, ``id`` 1 (none: the defaults)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: every member of staff must sign in with a second factor; those without one enrol after their password
    require_two_factor: Mapped[bool] = mapped_column(default=False)


class ApiToken(Model):
    """A bearer token for the JSON API, stored as a SHA-256 hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: what its owner uses it for ("weekly report to HQ"), so a list of tokens says which one to revoke
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: from this moment on the token no longer signs anyone in; None: until it is revoked
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_live(self, now: datetime) -> bool:
        """Whether the token still signs its user in at ``now``: neither revoked nor expired (at ``expires_at``)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @classmethod
    def live_at(cls, now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
        """The SQL twin of :meth:`is_live`."""
        return sa.and_(cls.revoked_at.is_(None), sa.or_(cls.expires_at.is_(None), cls.expires_at > now))


class AuditEntry(Model):
    """Who did what to which object, and when; never the sensitive values themselves."""

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: e.g. the e-mail of a staff member, ``participant-link:12`` or ``cli``
    actor: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[int | None] = mapped_column()
    #: non-sensitive context, e.g. a selection seed or a row count
    detail: Mapped[str] = mapped_column(sa.String(500), default="")


def signed_in_loading() -> tuple[ORMOption, ...]:
    """How the signed-in user is loaded (cookie or token): with the forums they are limited to, in the same query.

    A function, not a constant: an option on ``User.forum_limits`` configures every mapper, which must wait
    until every model module is imported.
    """
    return (joinedload(User.forum_limits),)
