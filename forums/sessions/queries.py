"""Query builders, one per page or resource, loading what the page shows in a fixed number of queries."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload

from models import AgendaItem, AgendaSpeaker, ForumSession, db


def session_with_agenda(session_id: int) -> ForumSession | None:
    """A session with its forum, region and agenda with speakers."""
    return db.session.scalar(
        sa.select(ForumSession)
        .where(ForumSession.id == session_id)
        .options(
            joinedload(ForumSession.forum),
            joinedload(ForumSession.region),
            selectinload(ForumSession.agenda)
            .selectinload(AgendaItem.speakers)
            .joinedload(AgendaSpeaker.participant),
            raiseload("*"),
        )
    )


def upcoming_public_sessions(now: datetime, where: sa.ColumnElement[bool], limit: int = 100) -> list[ForumSession]:
    """Sessions that have not ended, soonest first, with forum and region."""
    return list(db.session.scalars(
        sa.select(ForumSession)
        .where(ForumSession.ends_at >= now, where)
        .options(joinedload(ForumSession.forum), joinedload(ForumSession.region), raiseload("*"))
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(limit)
    ))


