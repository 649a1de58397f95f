"""One query builder per staff page, each loading what its page shows in a fixed number of queries.

Every builder eager-loads the relations its template reads and ends with ``raiseload("*")``, so a
template that reaches for anything else fails in tests instead of quietly running a query per row.
The builders of objects a form saves (``*_for_editing``, ``session_with_forum``) leave that out:
the same object goes on to the services, which may load what they change.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload

from forums.i18n import display_zone
from forums.people.names import search_key
from models import (
    AgendaItem,
    AgendaSpeaker,
    Category,
    Dimension,
    Forum,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    User,
    db,
)
from models.registrations import SEATED

PER_PAGE = 50
#: words of a name search beyond this are ignored: each one is one more LIKE
MAX_SEARCH_WORDS = 6

Row = TypeVar("Row")


@dataclass
class Page(Generic[Row]):
    """One page of a list and where it sits among all pages."""

    items: list[Row]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.number < self.pages


def paged(statement: sa.Select[Any], number: int, *, scalars: bool = True) -> Page[Any]:
    """Page ``number`` (``PER_PAGE`` rows) of ``statement``, with the count of all its rows."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = max(1, number)
    limited = statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    rows = list(db.session.scalars(limited)) if scalars else [tuple(row) for row in db.session.execute(limited)]
    return Page(rows, number, total)


def _seated_count() -> sa.ScalarSelect[int]:
    """Seats taken in the outer query's session, as a correlated subquery."""
    return (sa.select(sa.func.count(Registration.id))
            .where(Registration.session_id == ForumSession.id, Registration.status.in_(SEATED))
            .correlate(ForumSession).scalar_subquery())


# Forums -------------------------------------------------------------------------------------------

def forum_list() -> list[tuple[Forum, int]]:
    """Every forum with its number of sessions, newest first."""
    sessions = (sa.select(sa.func.count(ForumSession.id)).where(ForumSession.forum_id == Forum.id)
                .correlate(Forum).scalar_subquery())
    rows = db.session.execute(
        sa.select(Forum, sessions).options(raiseload("*")).order_by(Forum.created_at.desc(), Forum.id.desc())
    )
    return [(forum, count) for forum, count in rows]


def forum_choices() -> list[tuple[int, str]]:
    """(id, title) of every forum, for selects."""
    return [(row.id, row.title) for row in db.session.execute(sa.select(Forum.id, Forum.title).order_by(Forum.title))]


def region_choices(locale: str) -> list[tuple[str, str]]:
    """(key, name) of every region, for selects."""
    regions = db.session.scalars(
        sa.select(Category).join(Dimension).where(Dimension.key == "region")
        .options(raiseload("*")).order_by(Category.position, Category.id)
    )
    return [(region.key, region.name(locale)) for region in regions]


# Sessions -----------------------------------------------------------------------------------------

@dataclass
class SessionFilter:
    """What the session list is narrowed to; dates are days in the display zone, both inclusive."""

    forum_id: int | None = None
    region: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=display_zone())


def session_list(user: User, filters: SessionFilter, page: int) -> Page[tuple[ForumSession, int]]:
    """Sessions the user manages (staff: all; facilitators: their own), soonest first, with seats taken."""
    statement = (
        sa.select(ForumSession, _seated_count())
        .options(joinedload(ForumSession.forum), joinedload(ForumSession.region), raiseload("*"))
        .order_by(ForumSession.starts_at, ForumSession.id)
    )
    if not user.is_staff:
        assigned = sa.select(SessionFacilitator.session_id).where(SessionFacilitator.user_id == user.id)
        statement = statement.where(ForumSession.id.in_(assigned))
    if filters.forum_id is not None:
        statement = statement.where(ForumSession.forum_id == filters.forum_id)
    if filters.region:
        statement = statement.where(ForumSession.region_id.in_(
            sa.select(Category.id).join(Dimension).where(Dimension.key == "region", Category.key == filters.region)))
    if filters.date_from:
        statement = statement.where(ForumSession.ends_at >= _local_midnight(filters.date_from))
    if filters.date_to:
        statement = statement.where(ForumSession.starts_at < _local_midnight(filters.date_to + timedelta(days=1)))
    return paged(statement, page, scalars=False)


def session_for_editing(session_id: int) -> ForumSession | None:
    """A session with its forum, region and agenda items (for the edit form and its time checks)."""
    return db.session.scalar(
        sa.select(ForumSession).where(ForumSession.id == session_id)
        .options(joinedload(ForumSession.forum), joinedload(ForumSession.region),
                 selectinload(ForumSession.agenda))
    )


def session_with_forum(session_id: int) -> ForumSession | None:
    """A session with its forum (the registrations page names it; adding people changes the session)."""
    return db.session.scalar(
        sa.select(ForumSession).where(ForumSession.id == session_id).options(joinedload(ForumSession.forum))
    )


def agenda_item_for_editing(item_id: int) -> AgendaItem | None:
    """An agenda item with its session (the form's date and speaker choices) and speakers (the form's)."""
    return db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.id == item_id)
        .options(joinedload(AgendaItem.forum_session), selectinload(AgendaItem.speakers))
    )


def speaker_choices(session_id: int) -> list[tuple[int, str]]:
    """(id, "name (organisation)") of the people who may speak at a session: those registered for it
    (any status but declined or cancelled) and its current speakers. Never the whole register."""
    registered = sa.select(Registration.participant_id).where(
        Registration.session_id == session_id,
        Registration.status.not_in([RegistrationStatus.declined, RegistrationStatus.cancelled]))
    speaking = (sa.select(AgendaSpeaker.participant_id).join(AgendaItem)
                .where(AgendaItem.session_id == session_id))
    rows = db.session.execute(sa.select(Participant.id, Participant.name, Participant.organisation)
                              .where(sa.or_(Participant.id.in_(registered), Participant.id.in_(speaking)))
                              .order_by(Participant.search_key, Participant.id))
    return [(row.id, f"{row.name} ({row.organisation})" if row.organisation else row.name) for row in rows]


# Participants -------------------------------------------------------------------------------------

def dimensions() -> list[Dimension]:
    """Every dimension with its categories, in display order."""
    return list(db.session.scalars(
        sa.select(Dimension).options(selectinload(Dimension.categories), raiseload("*"))
        .order_by(Dimension.position, Dimension.id)
    ))


def participant_filter(query: str, categories: Mapping[str, str]) -> sa.ColumnElement[bool]:
    """Names matching every word of ``query`` in any script, in every chosen category (dimension -> key)."""
    conditions: list[sa.ColumnElement[bool]] = [
        Participant.search_key.like(f"%{word}%") for word in search_key(query).split()[:MAX_SEARCH_WORDS]
    ]
    for dimension_key, category_key in categories.items():
        conditions.append(Participant.id.in_(
            sa.select(ParticipantCategory.participant_id)
            .join(Category, Category.id == ParticipantCategory.category_id)
            .join(Dimension, Dimension.id == Category.dimension_id)
            .where(Dimension.key == dimension_key, Category.key == category_key)
        ))
    return sa.and_(sa.true(), *conditions)


def participant_list(where: sa.ColumnElement[bool], page: int) -> Page[Participant]:
    """A page of the register, by name, with each person's categories."""
    return paged(
        sa.select(Participant).where(where)
        .options(selectinload(Participant.categories).joinedload(ParticipantCategory.category), raiseload("*"))
        .order_by(Participant.search_key, Participant.id),
        page,
    )


def participant_with_registrations(participant_id: int) -> Participant | None:
    """One person with categories and registrations (with their sessions)."""
    return db.session.scalar(
        sa.select(Participant).where(Participant.id == participant_id)
        .options(
            selectinload(Participant.categories).joinedload(ParticipantCategory.category),
            selectinload(Participant.registrations).joinedload(Registration.forum_session),
            raiseload("*"),
        )
    )


def participant_for_editing(participant_id: int) -> Participant | None:
    """One person with their categories (the edit form shows them; saving replaces them)."""
    return db.session.scalar(
        sa.select(Participant).where(Participant.id == participant_id).options(selectinload(Participant.categories))
    )


def registered_ids(session_id: int, participant_ids: Sequence[int]) -> set[int]:
    """Which of these people already have a registration for the session."""
    if not participant_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Registration.participant_id)
        .where(Registration.session_id == session_id, Registration.participant_id.in_(participant_ids))
    ))


# Registrations ------------------------------------------------------------------------------------

def status_counts(session_id: int) -> dict[RegistrationStatus, int]:
    """How many registrations of the session are in each status (zero included)."""
    counts = dict.fromkeys(RegistrationStatus, 0)
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count()).where(Registration.session_id == session_id)
        .group_by(Registration.status)
    )
    counts.update({status: count for status, count in rows})
    return counts


def registration_list(session_id: int, status: RegistrationStatus | None, page: int) -> Page[Registration]:
    """A page of a session's registrations, waitlist in order, with each person and categories."""
    statement = (
        sa.select(Registration).join(Participant).where(Registration.session_id == session_id)
        .options(
            joinedload(Registration.participant)
            .selectinload(Participant.categories).joinedload(ParticipantCategory.category),
            raiseload("*"),
        )
        .order_by(Registration.waitlisted_at.is_not(None), Registration.waitlisted_at, Participant.search_key,
                  Registration.id)
    )
    if status is not None:
        statement = statement.where(Registration.status == status)
    return paged(statement, page)
