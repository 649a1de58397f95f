"""Concerns of an economic forum: sent ahead, moderated, grouped into issues, heard, answered, followed up.

The stages, their order, their transitions and which stages each balance stage counts are written once
here, as the registration statuses are in ``models/registrations.py``; ``forums.concerns`` names them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow
from models.events import _enum

if TYPE_CHECKING:
    from models.events import AgendaItem, ForumSession
    from models.people import Category, Participant


class ConcernStage(enum.StrEnum):
    """submitted -> accepted (or declined) -> grouped -> on_agenda -> presented -> answered -> followed_up."""

    submitted = "submitted"
    accepted = "accepted"
    declined = "declined"
    grouped = "grouped"
    on_agenda = "on_agenda"
    presented = "presented"
    answered = "answered"
    followed_up = "followed_up"


#: what each stage is called on pages
STAGE_LABELS = {
    ConcernStage.submitted: _l("Submitted"),
    ConcernStage.accepted: _l("Accepted"),
    ConcernStage.declined: _l("Declined by moderation"),
    ConcernStage.grouped: _l("Grouped into an issue"),
    ConcernStage.on_agenda: _l("On the agenda"),
    ConcernStage.presented: _l("Presented"),
    ConcernStage.answered: _l("Answered"),
    ConcernStage.followed_up: _l("Followed up"),
}

_C = ConcernStage
#: the way forward, first to last; a declined concern leaves it after ``submitted``
PROGRESS: tuple[ConcernStage, ...] = (_C.submitted, _C.accepted, _C.grouped, _C.on_agenda, _C.presented,
                                      _C.answered, _C.followed_up)
#: the stages of an issue (a concern reaches them with its issue)
ISSUE_STAGES: tuple[ConcernStage, ...] = PROGRESS[PROGRESS.index(_C.grouped):]
#: concerns that reach the officials: accepted by moderation, at any later stage
REACHING = frozenset(PROGRESS[PROGRESS.index(_C.accepted):])

#: the balance stages of concerns, widest first: each counts the concerns that got at least that far
#: (``submitted`` counts every concern, declined ones too, as the invited stage counts declined invitations).
#: The balance report (``forums.balance.rules.compute_balance``) is run at these with the session's policy.
BALANCE_STAGES: tuple[str, ...] = tuple(stage.value for stage in PROGRESS)
STAGE_CONCERNS: dict[str, frozenset[ConcernStage]] = {
    stage.value: frozenset(ConcernStage) if stage is _C.submitted else frozenset(PROGRESS[position:])
    for position, stage in enumerate(PROGRESS)
}

#: the moves staff make on one concern (moderation and grouping); an issue's later stages move all its
#: concerns with it (``ISSUE_TRANSITIONS``). A declined concern may be reconsidered; grouping is undone by
#: taking the concern out of its issue (back to accepted).
CONCERN_TRANSITIONS: dict[ConcernStage, frozenset[ConcernStage]] = {
    _C.submitted: frozenset({_C.accepted, _C.declined}),
    _C.declined: frozenset({_C.accepted, _C.submitted}),
    _C.accepted: frozenset({_C.grouped, _C.declined}),
    _C.grouped: frozenset({_C.accepted}),
}
#: an issue moves one stage forward at a time, or one back to correct a mistake
ISSUE_TRANSITIONS: dict[ConcernStage, frozenset[ConcernStage]] = {
    stage: frozenset(ISSUE_STAGES[max(0, position - 1):position + 2]) - {stage}
    for position, stage in enumerate(ISSUE_STAGES)
}


def concern_move_allowed(old: ConcernStage, new: ConcernStage) -> bool:
    """Whether staff may move one concern from ``old`` to ``new`` (``CONCERN_TRANSITIONS``)."""
    return new in CONCERN_TRANSITIONS.get(old, frozenset())


def issue_move_allowed(old: ConcernStage, new: ConcernStage) -> bool:
    """Whether an issue may move from ``old`` to ``new`` (``ISSUE_TRANSITIONS``)."""
    return new in ISSUE_TRANSITIONS.get(old, frozenset())


class Channel(enum.StrEnum):
    """How a concern came in."""

    #: the participant, through their personal link, before the session
    link = "link"
    #: staff typed it in from the printed form
    paper = "paper"
    #: staff recorded it from the floor during the session
    floor = "floor"


CHANNEL_LABELS = {
    Channel.link: _l("Sent through the personal link"),
    Channel.paper: _l("Typed in from a paper form"),
    Channel.floor: _l("Recorded from the floor"),
}


class Anonymity(enum.StrEnum):
    """Who may know who raised a concern, per forum (rules: ``forums.concerns.anonymity``)."""

    #: named to officials and the public when the person agreed
    attributed = "attributed"
    #: known to staff, hidden from officials and the public
    staff_only = "staff_only"
    #: nobody is shown who raised it, staff included: categories only
    anonymous = "anonymous"


ANONYMITY_LABELS = {
    Anonymity.attributed: _l("Attributed: named when the person agrees"),
    Anonymity.staff_only: _l("Known to staff only: hidden from officials and the public"),
    Anonymity.anonymous: _l("Fully anonymous: categories only, for everyone"),
}


class AnswerState(enum.StrEnum):
    """What an official's answer says of the issue."""

    accepted = "accepted"
    under_study = "under_study"
    rejected = "rejected"


ANSWER_STATE_LABELS = {
    AnswerState.accepted: _l("Accepted"),
    AnswerState.under_study: _l("Under study"),
    AnswerState.rejected: _l("Rejected"),
}


class CommitmentStatus(enum.StrEnum):
    """Where a promise stands."""

    open = "open"
    done = "done"
    dropped = "dropped"


COMMITMENT_STATUS_LABELS = {
    CommitmentStatus.open: _l("Open"),
    CommitmentStatus.done: _l("Done"),
    CommitmentStatus.dropped: _l("Dropped"),
}

#: languages a concern may be written in and translated into
CONCERN_LANGUAGES = ("en", "ru", "tg")


class ConcernSettings(Model):
    """A forum's rules for concerns: anonymity and how many concerns per organisation reach officials."""

    __tablename__ = "concern_settings"

    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forum.id", ondelete="CASCADE"), primary_key=True)
    anonymity: Mapped[Anonymity] = mapped_column(_enum(Anonymity), default=Anonymity.staff_only)
    #: accepted concerns per organisation and session; None for no limit
    max_per_organisation: Mapped[int | None] = mapped_column()


class ConcernIssue(Model):
    """An issue: one or more concerns grouped to be put before officials together; none is ever deleted."""

    __tablename__ = "concern_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    stage: Mapped[ConcernStage] = mapped_column(_enum(ConcernStage), default=ConcernStage.grouped)
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_item.id", ondelete="SET NULL"),
                                                       index=True)
    #: set when this issue was merged into another: it stays, empty, pointing where its concerns went
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("concern_issue.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    forum_session: Mapped[ForumSession] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    concerns: Mapped[list[Concern]] = relationship(back_populates="issue", order_by="Concern.id")
    answers: Mapped[list[ConcernAnswer]] = relationship(back_populates="issue", order_by="ConcernAnswer.id",
                                                        cascade="all, delete-orphan")


class Concern(Model):
    """A complaint, demand or question raised for a session, with the submitter's categories at submission."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_session.id", ondelete="CASCADE"), index=True)
    submitter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participant.id", ondelete="SET NULL"),
                                                     index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    #: the language the concern was written in (one of CONCERN_LANGUAGES)
    language: Mapped[str] = mapped_column(sa.String(2))
    text: Mapped[str] = mapped_column(sa.Text)
    #: staff translations: {"ru": {"text": ..., "done": true}}; ``done`` False is a draft
    translations: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    stage: Mapped[ConcernStage] = mapped_column(_enum(ConcernStage), default=ConcernStage.submitted)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    issue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("concern_issue.id", ondelete="SET NULL"), index=True)
    #: the submitter's organisation at submission, for the per-organisation limit
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the submitter agreed to be named to officials and the public (only an attributed forum names anyone)
    agrees_to_be_named: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    forum_session: Mapped[ForumSession] = relationship()
    submitter: Mapped[Participant | None] = relationship()
    issue: Mapped[ConcernIssue | None] = relationship(back_populates="concerns")
    categories: Mapped[list[ConcernCategory]] = relationship(back_populates="concern", cascade="all, delete-orphan")
    endorsements: Mapped[list[Endorsement]] = relationship(back_populates="concern", cascade="all, delete-orphan")

    def translation(self, language: str) -> str:
        """The text in ``language``: the original, or a translation marked done, else the original."""
        entry = (self.translations or {}).get(language) or {}
        translated = entry.get("text") if language != self.language and entry.get("done") else None
        return str(translated) if translated else self.text


class ConcernCategory(Model):
    """The submitter's category in one dimension when the concern was submitted (kept as it was)."""

    __tablename__ = "concern_category"

    concern_id: Mapped[int] = mapped_column(sa.ForeignKey("concern.id", ondelete="CASCADE"), primary_key=True)
    dimension_id: Mapped[int] = mapped_column(sa.ForeignKey("dimension.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id", ondelete="CASCADE"), index=True)

    concern: Mapped[Concern] = relationship(back_populates="categories")
    category: Mapped[Category] = relationship()


class Endorsement(Model):
    """A registered participant's support of a concern: once each, enforced by the database."""

    __table_args__ = (sa.UniqueConstraint("concern_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(sa.ForeignKey("concern.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    concern: Mapped[Concern] = relationship(back_populates="endorsements")


class ConcernAnswer(Model):
    """An official's answer to an issue: drafted by staff, then published (participants see it then)."""

    __tablename__ = "concern_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(sa.ForeignKey("concern_issue.id", ondelete="CASCADE"), index=True)
    official: Mapped[str] = mapped_column(sa.String(200))
    authority: Mapped[str] = mapped_column(sa.String(200))
    answered_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[AnswerState] = mapped_column(_enum(AnswerState))
    #: None while a draft
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issue: Mapped[ConcernIssue] = relationship(back_populates="answers")
    commitments: Mapped[list[Commitment]] = relationship(back_populates="answer", order_by="Commitment.id",
                                                         cascade="all, delete-orphan")


class Commitment(Model):
    """A promise made in an answer: who owns it, by when, and where it stands."""

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("concern_answer.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owner: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[CommitmentStatus] = mapped_column(_enum(CommitmentStatus), default=CommitmentStatus.open)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    answer: Mapped[ConcernAnswer] = relationship(back_populates="commitments")

    @hybrid_method
    def is_overdue_on(self, today: date) -> Any:
        """Still open and due before ``today``: a bool on a commitment, the same rule as SQL on the class."""
        return (self.status == CommitmentStatus.open) & (self.due_on < today)
