"""Query builders of the desk's pages, each in a fixed number of queries whatever the size of the database.

Every builder eager-loads what its page reads and ends with ``raiseload("*")``, so a template that reaches
for anything else fails in tests instead of quietly running a query per row.
"""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload

from forums.i18n import display_zone
from forums.people import queries as people_queries
from forums.web.paging import Page, paged
from models import (
    AuditEntry,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    SessionStatus,
    User,
    db,
)

#: lines a home panel lists at most; the rest are a click away on the session list
HOME_LIMIT = 20
#: how far ahead the home's "this week" reaches, from the start of today in the display zone
WEEK = timedelta(days=7)
#: entries of a session's history its page shows; the audit log has the rest
HISTORY_LIMIT = 15

#: a session's forum and region: what every line naming a session shows
SESSION_LINE_LOADING = (joinedload(ForumSession.forum), joinedload(ForumSession.region), raiseload("*"))


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day in the display zone."""
    return datetime.combine(now.astimezone(display_zone()).date(), time(0), tzinfo=display_zone())


def week_sessions(user: User, now: datetime) -> list[ForumSession]:
    """Sessions from the start of today for a week, not cancelled, soonest first; facilitators see their own."""
    statement = (
        sa.select(ForumSession)
        .where(ForumSession.ends_at >= start_of_day(now), ForumSession.starts_at < start_of_day(now) + WEEK,
               ForumSession.status != SessionStatus.cancelled)
        .options(*SESSION_LINE_LOADING)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(HOME_LIMIT)
    )
    if not user.is_staff:
        statement = statement.where(ForumSession.id.in_(
            sa.select(SessionFacilitator.session_id).where(SessionFacilitator.user_id == user.id)))
    return list(db.session.scalars(statement))


def upcoming_sessions(now: datetime, limit: int = HOME_LIMIT) -> list[ForumSession]:
    """Sessions that have not ended and are not cancelled, soonest first (the ones whose balance can still change)."""
    return list(db.session.scalars(
        sa.select(ForumSession)
        .where(ForumSession.ends_at >= now, ForumSession.status != SessionStatus.cancelled)
        .options(*SESSION_LINE_LOADING)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(limit)
    ))


def drafts(now: datetime) -> list[ForumSession]:
    """Drafts that have not ended, soonest first."""
    return list(db.session.scalars(
        sa.select(ForumSession)
        .where(ForumSession.ends_at >= now, ForumSession.status == SessionStatus.draft)
        .options(*SESSION_LINE_LOADING)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(HOME_LIMIT)
    ))


def unanswered_invitations(now: datetime) -> list[tuple[ForumSession, int]]:
    """Sessions that have not ended, are not cancelled and have invitations nobody answered, with how many."""
    waiting = (sa.select(Registration.session_id, sa.func.count().label("invited"))
               .where(Registration.status == RegistrationStatus.invited)
               .group_by(Registration.session_id).subquery())
    rows = db.session.execute(
        sa.select(ForumSession, waiting.c.invited)
        .join(waiting, waiting.c.session_id == ForumSession.id)
        .where(ForumSession.ends_at >= now, ForumSession.status != SessionStatus.cancelled)
        .options(*SESSION_LINE_LOADING)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(HOME_LIMIT)
    )
    return [(forum_session, int(count)) for forum_session, count in rows]


#: what the session page reads of the session itself: forum, region, agenda items, facilitators
SESSION_PAGE_LOADING = (
    joinedload(ForumSession.forum),
    joinedload(ForumSession.region),
    selectinload(ForumSession.agenda),
    selectinload(ForumSession.facilitators),
    raiseload("*"),
)


def session_history(session_id: int) -> list[AuditEntry]:
    """The latest audit entries about the session, newest first."""
    return list(db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "session", AuditEntry.object_id == session_id)
        .options(raiseload("*"))
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_LIMIT)
    ))


def not_on_session(session_id: int) -> sa.ColumnElement[bool]:
    """People with no registration for the session, whatever its status (a declined person is asked again by
    changing their registration, not by a second one)."""
    return Participant.id.not_in(sa.select(Registration.participant_id).where(Registration.session_id == session_id))


def candidates(session_id: int, where: sa.ColumnElement[bool], page: int) -> Page[Participant]:
    """A page of the register matching ``where`` and not on the session, by name, with categories."""
    return people_queries.participant_list(sa.and_(where, not_on_session(session_id)), page)


def candidate_ids(session_id: int, where: sa.ColumnElement[bool], limit: int) -> list[int]:
    """Ids of up to ``limit`` + 1 people matching ``where`` and not on the session (one more tells "too many")."""
    return list(db.session.scalars(
        sa.select(Participant.id).where(where, not_on_session(session_id))
        .order_by(Participant.search_key, Participant.id).limit(limit + 1)))


def _registrations(session_id: int, status: RegistrationStatus | None,
                   where: sa.ColumnElement[bool]) -> sa.Select[Registration]:
    statement = sa.select(Registration).join(Participant).where(Registration.session_id == session_id, where)
    if status is not None:
        statement = statement.where(Registration.status == status)
    return statement.order_by(Participant.search_key, Registration.id)


def registrations_page(session_id: int, status: RegistrationStatus | None, where: sa.ColumnElement[bool],
                       page: int) -> Page[Registration]:
    """A page of the session's registrations in ``status`` whose people match ``where``, with people and categories."""
    return paged(_registrations(session_id, status, where).options(
        joinedload(Registration.participant).selectinload(Participant.categories)
        .joinedload(ParticipantCategory.category),
        raiseload("*")), page)


def registrations_chosen(session_id: int, status: RegistrationStatus | None, where: sa.ColumnElement[bool],
                         ids: list[int] | None, limit: int) -> list[Registration]:
    """Up to ``limit`` + 1 registrations of the session: those with ``ids`` (ticked) or every match of the filter,
    with their people's names (for the confirmation), in name order."""
    statement = (_registrations(session_id, None, sa.true()).where(Registration.id.in_(ids)) if ids is not None
                 else _registrations(session_id, status, where))
    return list(db.session.scalars(statement.options(joinedload(Registration.participant),
                                                     joinedload(Registration.forum_session)).limit(limit + 1)))


def people_named(participant_ids: list[int]) -> list[tuple[int, str]]:
    """(id, name) of these people, by name: whom a confirmation lists."""
    return [(row.id, row.name) for row in db.session.execute(
        sa.select(Participant.id, Participant.name).where(Participant.id.in_(participant_ids))
        .order_by(Participant.search_key, Participant.id))]
