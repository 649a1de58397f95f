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
from sqlalchemy.orm import InstrumentedAttribute

from forums.database import read_row
from models import (
    AgendaItem,
    AgendaSpeaker,
    Category,
    Forum,
    ForumSession,
    Participant,
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
    Forum.title, Forum.translations, Category.name_en, Category.name_ru, Category.name_tg,
)


#: the session's columns the stamp query reads, in this order: its id, visibility and status for ``can_view_session``,
#: and the two numbers of the stamp (``updated_at`` also gives the page's Last-Modified)
STAMP_SESSION_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    ForumSession.id, ForumSession.visibility, ForumSession.status, ForumSession.version, ForumSession.updated_at,
)


def covers(entity: type[Any], attribute: str) -> bool:
    """Whether the stamp changes whenever ``entity.attribute`` (a column or relationship) may show another value."""
    return entity in WHOLE_ROWS or any(
        column.class_ is entity and column.key == attribute for column in SHOWN_COLUMNS)


def _table_column(attribute: InstrumentedAttribute[Any]) -> sa.Column[Any]:
    """The table column a mapped attribute reads."""
    column: sa.Column[Any] = sa.inspect(attribute.class_).columns[attribute.key]
    return column


@functools.cache
def _stamp_query() -> sa.Select[Any]:
    """The session (bound as ``session_id``) with its shown columns and one aggregate row over its speakers.

    Written with the mapped tables' own columns, not the ORM's entities and attributes: loading an
    instance (identity map, every column and relationship) and the ORM's compile and result steps
    cost more than the query itself, on a path run for every reader. The SQL is the same.
    """
    session_id: sa.BindParameter[int] = sa.bindparam("session_id")
    sessions, items, speakers_, people, forums, categories = (
        model.__table__ for model in (ForumSession, AgendaItem, AgendaSpeaker, Participant, Forum, Category))
    # Reached through the session's agenda items by index: a subquery correlated to forum_session
    # made PostgreSQL scan every speaker of every session.
    speakers = (
        sa.select(
            sa.func.count().label("count"),
            sa.func.sum(people.c.id).label("ids"),
            sa.func.sum(people.c.version).label("versions"),
            sa.func.max(people.c.updated_at).label("latest"),
        )
        .select_from(items)
        .join(speakers_, speakers_.c.agenda_item_id == items.c.id)
        .join(people, people.c.id == speakers_.c.participant_id)
        .where(items.c.session_id == session_id)
        .subquery("speakers")
    )
    return (
        sa.select(*(_table_column(column) for column in (*STAMP_SESSION_COLUMNS, *SHOWN_COLUMNS)), *speakers.c)
        .select_from(sessions)
        .join(forums, forums.c.id == sessions.c.forum_id)
        .join(categories, categories.c.id == sessions.c.region_id)
        .join(speakers, sa.true())
        .where(sessions.c.id == session_id)
    )


@dataclass(frozen=True)
class AgendaStamp:
    """A session (``STAMP_SESSION_COLUMNS`` only, for the permission check) and the stamp of its public agenda."""

    forum_session: ForumSession
    stamp: tuple[Any, ...]


def agenda_stamp(session_id: int) -> AgendaStamp | None:
    """The session and its agenda's stamp in one query, or None when there is no such session.

    The session comes back as a transient ``ForumSession`` holding only ``STAMP_SESSION_COLUMNS``
    (never added to the database session): enough for ``can_view_session`` and Last-Modified; the
    page itself is rendered from its own query (``forums.sessions.queries.session_with_agenda``).
    """
    row = read_row(_stamp_query(), {"session_id": session_id})
    if row is None:
        return None
    session_id_, visibility, status, version, updated_at, *shown = row
    forum_session = ForumSession(id=session_id_, visibility=visibility, status=status, version=version,
                                 updated_at=updated_at)
    return AgendaStamp(forum_session, (version, updated_at, *shown))
