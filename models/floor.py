"""The floor: lists of speakers, requests for the floor, stretches of speaking, budgets and projector tokens.

Records, not counters: totals, budgets and reports are derived from ``Speech`` and ``SpeechStretch`` rows
(``forums.floor.rules``), so a corrected record corrects them all.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow
from models.events import _enum, new_stamp

if TYPE_CHECKING:
    from models.events import AgendaItem, ForumSession
    from models.people import Participant


class FloorPolicy(enum.StrEnum):
    """How a list orders its ordinary requests (``forums.floor.rules.POLICIES``)."""

    first_come = "first_come"
    first_time = "first_time"
    balance = "balance"
    alternate = "alternate"


class SpeechKind(enum.StrEnum):
    """What a request for the floor is for (``forums.floor.rules.KINDS``)."""

    contribution = "contribution"
    pro = "pro"
    contra = "contra"
    reply = "reply"
    point_of_order = "point_of_order"
    interposed_question = "interposed_question"


class SpeechState(enum.StrEnum):
    """Where a request stands: waiting, speaking, paused, done, or skipped by the facilitator."""

    waiting = "waiting"
    speaking = "speaking"
    paused = "paused"
    done = "done"
    skipped = "skipped"


#: the states of a speech holding the floor (at most one per list)
ON_FLOOR = frozenset({SpeechState.speaking, SpeechState.paused})

#: what each policy, kind and state is called on pages, in the reader's language
FLOOR_POLICY_LABELS = {
    FloorPolicy.first_come: _l("First come, first served"),
    FloorPolicy.first_time: _l("First-time speakers first"),
    FloorPolicy.balance: _l("Balance: next from the category furthest below its share"),
    FloorPolicy.alternate: _l("Strict alternation of two categories"),
}
SPEECH_KIND_LABELS = {
    SpeechKind.contribution: _l("Contribution"),
    SpeechKind.pro: _l("For"),
    SpeechKind.contra: _l("Against"),
    SpeechKind.reply: _l("Reply to a speech"),
    SpeechKind.point_of_order: _l("Point of order"),
    SpeechKind.interposed_question: _l("Interposed question"),
}
SPEECH_STATE_LABELS = {
    SpeechState.waiting: _l("Waiting"),
    SpeechState.speaking: _l("Speaking"),
    SpeechState.paused: _l("Paused"),
    SpeechState.done: _l("Done"),
    SpeechState.skipped: _l("Skipped"),
}


class FloorList(Model):
    """A list of speakers of a session, or of one agenda item of it."""

    __tablename__ = "floor_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), index=True)
    #: None: the list of the whole session
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_item.id", ondelete="CASCADE"),
                                                       index=True)
    policy: Mapped[FloorPolicy] = mapped_column(_enum(FloorPolicy), default=FloorPolicy.first_come)
    #: the dimension the balance and alternation policies, the budgets and the projector's bars look at
    dimension_key: Mapped[str] = mapped_column(sa.String(40), default="group")
    #: the two categories of ``dimension_key`` that alternate (policy ``alternate``)
    alternate_first: Mapped[str] = mapped_column(sa.String(40), default="")
    alternate_second: Mapped[str] = mapped_column(sa.String(40), default="")
    #: the time one speech is given, in seconds; past it the clock shows the speech as over (0: no limit)
    speech_seconds: Mapped[int] = mapped_column(default=180)
    #: a new random number on every change to the list, its speeches or budgets: pages and the projector
    #: poll it (ETag) instead of the whole list
    stamp: Mapped[int] = mapped_column(sa.BigInteger, default=new_stamp)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum_session: Mapped[ForumSession] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    speeches: Mapped[list[Speech]] = relationship(back_populates="floor_list", cascade="all, delete-orphan",
                                                  order_by="Speech.asked_at, Speech.id")
    budgets: Mapped[list[FloorBudget]] = relationship(back_populates="floor_list", cascade="all, delete-orphan",
                                                      order_by="FloorBudget.id")


class Speech(Model):
    """A request for the floor and, once given it, the speech: kept with the speaker's categories of that moment."""

    __tablename__ = "floor_speech"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("floor_list.id", ondelete="CASCADE"), index=True)
    #: who asked; None in a Chatham House session (no name is kept) or once the person was erased
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participant.id", ondelete="SET NULL"),
                                                       index=True)
    kind: Mapped[SpeechKind] = mapped_column(_enum(SpeechKind), default=SpeechKind.contribution)
    state: Mapped[SpeechState] = mapped_column(_enum(SpeechState), default=SpeechState.waiting)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the speaker's category key per dimension key when they asked: {"group": "uto", "gender": "woman"}
    categories: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: the place the facilitator moved this request to (smaller first); None when not moved
    moved_rank: Mapped[int | None] = mapped_column()
    #: the speech a reply answers
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("floor_speech.id", ondelete="SET NULL"))
    #: typed back from a paper timing sheet after the session
    from_paper: Mapped[bool] = mapped_column(default=False)

    floor_list: Mapped[FloorList] = relationship(back_populates="speeches")
    participant: Mapped[Participant | None] = relationship()
    stretches: Mapped[list[SpeechStretch]] = relationship(back_populates="speech", cascade="all, delete-orphan",
                                                          order_by="SpeechStretch.started_at, SpeechStretch.id")


class SpeechStretch(Model):
    """One stretch of speaking, from a start (or resume) to a stop (or pause); ``ended_at`` None while it runs."""

    __tablename__ = "floor_stretch"
    __table_args__ = (sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    speech_id: Mapped[int] = mapped_column(sa.ForeignKey("floor_speech.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    speech: Mapped[Speech] = relationship(back_populates="stretches")


class FloorBudget(Model):
    """Speaking time given to one category of the list's dimension: at first, and added since."""

    __tablename__ = "floor_budget"
    __table_args__ = (sa.UniqueConstraint("list_id", "category_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("floor_list.id", ondelete="CASCADE"))
    category_key: Mapped[str] = mapped_column(sa.String(40))
    initial_seconds: Mapped[int] = mapped_column()
    added_seconds: Mapped[int] = mapped_column(default=0)

    floor_list: Mapped[FloorList] = relationship(back_populates="budgets")


class FloorDisplay(Model):
    """A projector's display token for one list: shown once, stored as a SHA-256 hash, revocable.

    It opens that list's projector page and its state, nothing else.
    """

    __tablename__ = "floor_display"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("floor_list.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the projector shows bars without category names
    hide_labels: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    floor_list: Mapped[FloorList] = relationship()
