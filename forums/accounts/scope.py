"""Need-to-know by forum: what an organiser limited to some forums may see, applied to every query of a request.

Who is limited, and to which forums, is :func:`forums.accounts.permissions.forum_scope`. This module says
which rows belong to those forums, and applies it once for the whole app: before each request the reader's
scope is noted in ``flask.g``; every ORM ``SELECT`` of that request (pages, the JSON API, exports, counts,
relationship loads) then carries the criteria below. A row outside the scope is missing, exactly as if it
did not exist, so every ``object_or_404`` / ``session_or_abort`` / list / count of every feature, present
and future, answers as for a missing object (404) without a copy of the rule.

For a reader limited to forums F:

- a forum is seen when it is in F; a session, when its forum is in F (published public ones included:
  the staff app shows the reader's own forums only);
- a row that belongs to one session (a foreign key to it that may not be empty: agenda items, registrations,
  facilitator assignments, concerns and issues, lists of speakers, mail, check-in events, sign-ups, and any
  table added later; :data:`SESSION_ROWS`), when its session is seen;
- a person (the register), when they are registered (in any status) for a session of F, or speak at
  one, or are neither registered for nor speaking at any session: someone just added to the register,
  or not yet placed, can then be found and invited; a person known only from other forums is not seen,
  nor are their registrations there.

A forum a limited organiser creates becomes one of their forums (:func:`keep_new_forum_in_scope`).
Operations that rewrite a whole person (merging two records) are refused to a limited reader
(:func:`whole_register_required`): they would touch registrations the reader cannot see.
"""

from typing import Any

import sqlalchemy as sa
from flask import abort, g, request, session
from flask_login import current_user
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession

from forums.accounts.permissions import SCOPE_ATTRIBUTE, current_scope, forum_scope
from forums.accounts.tokens import presented_token
from models import (
    AgendaItem,
    AgendaSpeaker,
    Forum,
    ForumSession,
    Model,
    OrganiserForum,
    Participant,
    Registration,
    db,
)

# Core tables, not the mapped classes, inside the criteria: the criteria of one entity must not be
# filtered again by the criteria of another (and need not be: the forum is the only test).
_sessions = ForumSession.__table__
_registrations = Registration.__table__
_speakers = AgendaSpeaker.__table__
_items = AgendaItem.__table__


def _session_rows() -> tuple[tuple[type[Any], Any], ...]:
    """(mapped class, its column that names the session) of every class whose rows belong to one session."""
    found = []
    for mapper in Model.registry.mappers:
        for key in mapper.local_table.foreign_keys:
            if key.column is _sessions.c.id and not key.parent.nullable:
                found.append((mapper.class_, getattr(mapper.class_, mapper.get_property_by_column(key.parent).key)))
    return tuple(sorted(found, key=lambda pair: pair[0].__name__))


#: every mapped class whose rows belong to one session, with the column naming it: hidden with their session
SESSION_ROWS = _session_rows()


def _sessions_of(forum_ids: frozenset[int]) -> sa.Select[Any]:
    return sa.select(_sessions.c.id).where(_sessions.c.forum_id.in_(sorted(forum_ids)))


def scope_criteria(forum_ids: frozenset[int]) -> list[Any]:
    """The loader criteria that hide every row outside ``forum_ids`` (the rules in the module docstring)."""
    sessions = _sessions_of(forum_ids)
    in_scope_people = sa.union(
        sa.select(_registrations.c.participant_id).where(_registrations.c.session_id.in_(sessions)),
        sa.select(_speakers.c.participant_id).join(_items, _items.c.id == _speakers.c.agenda_item_id)
        .where(_items.c.session_id.in_(sessions)),
    )
    placed_anywhere = sa.union(sa.select(_registrations.c.participant_id), sa.select(_speakers.c.participant_id))
    options: list[tuple[type[Any], Any]] = [
        (Forum, Forum.id.in_(sorted(forum_ids))),
        (ForumSession, ForumSession.forum_id.in_(sorted(forum_ids))),
        *((entity, column.in_(sessions)) for entity, column in SESSION_ROWS),
        (Participant, sa.or_(Participant.id.in_(in_scope_people), Participant.id.not_in(placed_anywhere))),
    ]
    return [with_loader_criteria(entity, criteria, include_aliases=True) for entity, criteria in options]


def remember_scope() -> None:
    """A ``before_request`` hook: note the reader's forum scope for the queries of this request."""
    if "_user_id" not in session and presented_token(request) is None:
        return  # nobody signed in: no need to ask who (public pages stay as cheap as they were)
    setattr(g, SCOPE_ATTRIBUTE, forum_scope(current_user))


def keep_new_forum_in_scope(forum_id: int) -> None:
    """A forum made by an organiser limited to some forums becomes one of theirs (else it would vanish for them)."""
    scope = current_scope()
    if scope is None:
        return
    db.session.add(OrganiserForum(user_id=current_user.id, forum_id=forum_id))
    setattr(g, SCOPE_ATTRIBUTE, scope | {forum_id})


def whole_register_required() -> None:
    """403 for a reader limited to some forums: the action touches a person's records in every forum."""
    if current_scope() is not None:
        abort(403)


def _limit_to_scope(state: ORMExecuteState) -> None:
    # Relationship and column loads inherit the criteria from the statement that loaded their parent.
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    scope = current_scope()
    if scope is not None:
        state.statement = state.statement.options(*scope_criteria(scope))


sa.event.listen(OrmSession, "do_orm_execute", _limit_to_scope)
