"""The public agenda's stamp: one query reading everything the page shows that can change.

``forums.sessions.public`` keeps the rendered agenda per session and language while this stamp
holds (``forums.web.cache``). The stamp is built from two declarations, and
``tests/web/test_cache.py`` renders the page and fails on any column the template reads that they
do not cover, so a field newly shown on the page cannot be served stale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, raiseload

from models import (
    AgendaItem,
    AgendaSpeaker,
    Category,
    Forum,
    ForumSession,
    Participant,
    db,
)

#: Rows the page may show any column of, because every change to them moves a number the stamp reads:
#: the session (its ``version``, raised by every ORM change, and ``updated_at``: times move forward,
#: so even after a restored backup has put old version numbers back a new edit gives a new stamp),
#: its agenda items (the agenda operations raise the session's SEQUENCE, hence its version), and the
#: speakers: their count and the sum of their ids (one added, removed or swapped, even by a bulk
#: delete) and the people's versions and latest ``updated_at``.
WHOLE_ROWS: frozenset[type[Any]] = frozenset({ForumSession, AgendaItem, AgendaSpeaker, Participant})

#: Columns of other rows the page shows (the forum's title, the region's names): the stamp reads them.
SHOWN_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    Forum.title, Category.name_en, Category.name_ru, Category.name_tg,
)


def covers(entity: type[Any], attribute: str) -> bool:
    """Whether the stamp changes whenever ``entity.attribute`` (a column or relationship) may show another value."""
    return entity in WHOLE_ROWS or any(
        column.class_ is entity and column.key == attribute for column in SHOWN_COLUMNS)


@functools.cache
def _stamp_query() -> sa.Select[Any]:
    """The session (bound as ``session_id``) with its shown columns and one aggregate row over its speakers."""
    session_id: sa.BindParameter[int] = sa.bindparam("session_id")
    # Reached through the session's agenda items by index: a subquery correlated to forum_session
    # made PostgreSQL scan every speaker of every session.
    speakers = (
        sa.select(
            sa.func.count().label("count"),
            sa.func.sum(Participant.id).label("ids"),
            sa.func.sum(Participant.version).label("versions"),
            sa.func.max(Participant.updated_at).label("latest"),
        )
        .select_from(AgendaItem)
        .join(AgendaSpeaker, AgendaSpeaker.agenda_item_id == AgendaItem.id)
        .join(Participant, Participant.id == AgendaSpeaker.participant_id)
        .where(AgendaItem.session_id == session_id)
        .subquery("speakers")
    )
    return (
        sa.select(ForumSession, *SHOWN_COLUMNS, *speakers.c)
        .join(Forum, Forum.id == ForumSession.forum_id)
        .join(Category, Category.id == ForumSession.region_id)
        .join(speakers, sa.true())
        .where(ForumSession.id == session_id)
        .options(raiseload("*"))
    )


@dataclass(frozen=True)
class AgendaStamp:
    """A session (its columns only, for the permission check) and the stamp of its public agenda."""

    forum_session: ForumSession
    stamp: tuple[Any, ...]


def agenda_stamp(session_id: int) -> AgendaStamp | None:
    """The session and its agenda's stamp in one query, or None when there is no such session."""
    row = db.session.execute(_stamp_query(), {"session_id": session_id}).first()
    if row is None:
        return None
    forum_session, *shown = row
    return AgendaStamp(forum_session, (forum_session.version, forum_session.updated_at, *shown))
