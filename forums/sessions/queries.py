"""Query builders of the sessions feature: one per page or resource, in a fixed number of queries.

Every builder eager-loads the relations its template reads and ends with ``raiseload("*")``, so a
template that reaches for anything else fails in tests instead of quietly running a query per row.
The builders of objects a form saves (``*_for_editing``, ``session_with_forum``) leave that out:
the same object goes on to the operations, which may load what they change.
"""


from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload

from forums.i18n import display_zone
from forums.web.paging import Page, paged
from models import (
    AgendaItem,
    AgendaSpeaker,
    Category,
    Dimension,
    Forum,
    ForumSession,
    Participant,
    Registration,
    SessionFacilitator,
    User,
    db,
)
from models.registrations import CLOSED, SEATED

#: what a session's agenda page, calendar file and print read: forum, region, agenda items with speakers
AGENDA_LOADING = (
    joinedload(ForumSession.forum),
    joinedload(ForumSession.region),
    selectinload(ForumSession.agenda).selectinload(AgendaItem.speakers).joinedload(AgendaSpeaker.participant),
    raiseload("*"),
)


def session_with_agenda(session_id: int) -> ForumSession | None:
    """A session with its forum, region and agenda with speakers."""
    return db.session.scalar(sa.select(ForumSession).where(ForumSession.id == session_id).options(*AGENDA_LOADING))


def upcoming_public_sessions(now: datetime, where: sa.ColumnElement[bool], limit: int = 100) -> list[ForumSession]:
    """Sessions that have not ended, soonest first, with forum and region."""
    return list(db.session.scalars(
        sa.select(ForumSession)
        .where(ForumSession.ends_at >= now, where)
        .options(joinedload(ForumSession.forum), joinedload(ForumSession.region), raiseload("*"))
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(limit)
    ))


def _seated_count() -> sa.ScalarSelect[int]:
    """Seats taken in the outer query's session, as a correlated subquery."""
    return (sa.select(sa.func.count(Registration.id))
            .where(Registration.session_id == ForumSession.id, Registration.status.in_(SEATED))
            .correlate(ForumSession).scalar_subquery())


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


def agenda_item_to_delete(item_id: int) -> AgendaItem | None:
    """An agenda item with its session, forum and speakers, for the page that asks before deleting it."""
    return db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.id == item_id)
        .options(joinedload(AgendaItem.forum_session).joinedload(ForumSession.forum),
                 selectinload(AgendaItem.speakers).joinedload(AgendaSpeaker.participant),
                 raiseload("*"))
    )


def speaker_choices(session_id: int) -> list[tuple[int, str]]:
    """(id, "name (organisation)") of the people who may speak at a session: those registered for it
    (any status but declined or cancelled) and its current speakers. Never the whole register."""
    registered = sa.select(Registration.participant_id).where(
        Registration.session_id == session_id,
        Registration.status.not_in(CLOSED))
    speaking = (sa.select(AgendaSpeaker.participant_id).join(AgendaItem)
                .where(AgendaItem.session_id == session_id))
    rows = db.session.execute(sa.select(Participant.id, Participant.name, Participant.organisation)
                              .where(sa.or_(Participant.id.in_(registered), Participant.id.in_(speaking)))
                              .order_by(Participant.search_key, Participant.id))
    return [(row.id, f"{row.name} ({row.organisation})" if row.organisation else row.name) for row in rows]
