"""Open registration for public sessions: what the organisers ask, and sign-ups waiting for confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import Model, UTCDateTime, utcnow


class SignupSetting(Model):
    """Whether a public session takes open registration, and which questions its form asks.

    The name is always asked: the door checks people in by name, and the register needs one.
    """

    __tablename__ = "signup_setting"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"),
                                            primary_key=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    asks_organisation: Mapped[bool] = mapped_column(default=True)
    #: an e-mail address or a phone number, for the confirmation link and for reaching the person
    asks_contact: Mapped[bool] = mapped_column(default=True)
    #: ids of the dimensions the form asks about, in catalogue order (each answer optional)
    dimension_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OpenSignup(Model):
    """A sign-up through the public form: pending until its confirmation link is opened and confirmed.

    Only a hash of the confirmation code is kept. The answers wait here until confirmation, when they
    become a register entry and a registration and are cleared from this row (``forums.signup.operations``).
    """

    __tablename__ = "open_signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the confirmation code, hex
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: the category id chosen per dimension id (as strings, JSON keys); a dimension answered
    #: "prefer not to say" or left blank is absent
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: the version of the consent notice the person agreed to, and when
    consent_notice: Mapped[str] = mapped_column(sa.String(40))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registration.id", ondelete="SET NULL"))
