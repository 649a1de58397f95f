"""The participant register: dimensions of representation, their categories, and people."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.registrations import Registration


#: the languages a participant may read, with what each is called on pages
LANGUAGE_LABELS = {"en": _l("English"), "ru": _l("Russian"), "tg": _l("Tajik"), "uz": _l("Uzbek"), "fa": _l("Persian")}
LANGUAGE_CODES = tuple(LANGUAGE_LABELS)


class Dimension(Model):
    """A dimension of representation (group, region, gender, or any staff add)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lowercase slug used by the API, e.g. ``group``
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_ru: Mapped[str] = mapped_column(sa.String(120), default="")
    name_tg: Mapped[str] = mapped_column(sa.String(120), default="")
    position: Mapped[int] = mapped_column(default=0)
    #: retired: kept on old records and in reports, no longer offered when a person is recorded
    is_retired: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    categories: Mapped[list[Category]] = relationship(
        back_populates="dimension", order_by="Category.position, Category.id"
    )

    def name(self, locale: str) -> str:
        """The display name in ``locale``, falling back to English."""
        return getattr(self, f"name_{locale}", "") or self.name_en


class Category(Model):
    """One value of a dimension, e.g. ``government`` in ``group``."""

    __table_args__ = (sa.UniqueConstraint("dimension_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(sa.ForeignKey("dimension.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_ru: Mapped[str] = mapped_column(sa.String(120), default="")
    name_tg: Mapped[str] = mapped_column(sa.String(120), default="")
    #: international observers attend but are not counted toward balance
    counts_toward_balance: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    #: retired: kept on old records and in reports, no longer offered when a person is recorded
    is_retired: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    dimension: Mapped[Dimension] = relationship(back_populates="categories")

    def name(self, locale: str) -> str:
        """The display name in ``locale``, falling back to English."""
        return getattr(self, f"name_{locale}", "") or self.name_en


class Participant(Model):
    """A person in the register. Only the fields the mission needs, nothing more."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: folded, transliterated name (forums.people.names.search_key) so one LIKE finds either script
    search_key: Mapped[str] = mapped_column(sa.String(400), index=True)
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: comma-separated language codes, e.g. ``ru,tg``
    languages: Mapped[str] = mapped_column(sa.String(40), default="")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when a facilitator added this person at the door while the register held someone else with
    #: a similar name that the facilitator was not shown: staff check whether they are the same person
    #: (None when nobody needs to; the other person's erasure clears it)
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: optimistic lock: a stale edit form is refused instead of silently overwriting
    version: Mapped[int] = mapped_column(default=1)

    categories: Mapped[list[ParticipantCategory]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def language_list(self) -> list[str]:
        """Languages as a list of codes."""
        return [code for code in self.languages.split(",") if code]


class ParticipantCategory(Model):
    """A participant's one category in one dimension."""

    __table_args__ = (sa.UniqueConstraint("participant_id", "dimension_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    dimension_id: Mapped[int] = mapped_column(sa.ForeignKey("dimension.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id", ondelete="CASCADE"), index=True)
    #: the person chose it on the open registration form (``forums.signup``); staff have not checked it
    is_self_declared: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    participant: Mapped[Participant] = relationship(back_populates="categories")
    category: Mapped[Category] = relationship()


class PersonalLink(Model):
    """An unguessable link that shows a participant their own sessions, without an account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    #: kept readable because staff must be able to hand the same link out again;
    #: replacing the row revokes the old link
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
