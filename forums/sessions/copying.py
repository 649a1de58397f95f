"""Copying a session, or a whole forum series, to new dates.

Rules:

- a copy is a new **draft**: it is published, like any session, once someone has looked at it;
- it keeps what the organisers built (title, description and their translations, venue, region,
  capacity, visibility, the agenda with its translations, the session's own balance policy, its
  facilitators) and leaves out who came: no registrations, and no speakers, since a speaker is a
  person of the register who is on the session's list;
- every time moves by the same amount, so the agenda keeps its shape: a session moved to a new day
  starts at the same wall-clock time in the display zone, and a series keeps the spacing of its
  sessions, its first session moved to the day chosen;
- a copied series is a new forum with the source's kind, description, retention and balance policy.

Operations flush and audit (``session.copy``, ``forum.copy``, naming the source); the view commits, so a
copy is made whole or not at all.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from forums.audit import log as audit
from forums.i18n import display_zone, to_local
from models import AgendaItem, BalancePolicy, Forum, ForumSession, Quota, SessionFacilitator, SessionStatus, db


def shift_to_day(starts_at: datetime, day: date) -> timedelta:
    """How far to move a session starting at ``starts_at`` so that it starts on ``day`` at the same local time."""
    local = to_local(starts_at)
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=display_zone())
    return moved - starts_at


def _copy_policy(source: BalancePolicy | None, **owner: int) -> None:
    if source is None:
        return
    db.session.add(BalancePolicy(**owner, quotas=[
        Quota(dimension_id=quota.dimension_id, category_id=quota.category_id, min_count=quota.min_count,
              max_count=quota.max_count, min_share=quota.min_share, max_share=quota.max_share,
              target_share=quota.target_share)
        for quota in source.quotas]))


def _policies(condition: sa.ColumnElement[bool]) -> list[BalancePolicy]:
    return list(db.session.scalars(sa.select(BalancePolicy).where(condition)
                                   .options(selectinload(BalancePolicy.quotas))))


def _copy(source: ForumSession, shift: timedelta, forum_id: int) -> ForumSession:
    """The copy of one session (loaded with its agenda), its own policy and facilitators."""
    copy = ForumSession(
        forum_id=forum_id, title=source.title, description=source.description,
        translations=dict(source.translations or {}), starts_at=source.starts_at + shift,
        ends_at=source.ends_at + shift, venue=source.venue, region_id=source.region_id, capacity=source.capacity,
        visibility=source.visibility, status=SessionStatus.draft,
        agenda=[AgendaItem(position=item.position, starts_at=item.starts_at + shift, ends_at=item.ends_at + shift,
                           title=item.title, translations=dict(item.translations or {}), kind=item.kind)
                for item in source.agenda],
    )
    db.session.add(copy)
    db.session.flush()
    for policy in _policies(BalancePolicy.session_id == source.id):
        _copy_policy(policy, session_id=copy.id)
    for user_id in db.session.scalars(sa.select(SessionFacilitator.user_id)
                                      .where(SessionFacilitator.session_id == source.id)):
        db.session.add(SessionFacilitator(session_id=copy.id, user_id=user_id))
    db.session.flush()
    audit.record("session.copy", "session", copy.id, detail=f"from session {source.id}")
    return copy


def _with_agenda(condition: sa.ColumnElement[bool]) -> list[ForumSession]:
    return list(db.session.scalars(sa.select(ForumSession).where(condition)
                                   .options(selectinload(ForumSession.agenda))
                                   .order_by(ForumSession.starts_at, ForumSession.id)))


def copy_session(source_id: int, day: date) -> ForumSession | None:
    """A draft copy of the session on ``day`` in the same forum (see the module's rules), or None without it."""
    found = _with_agenda(ForumSession.id == source_id)
    if not found:
        return None
    source = found[0]
    return _copy(source, shift_to_day(source.starts_at, day), source.forum_id)


def copy_forum(source_id: int, title: str, first_day: date) -> Forum | None:
    """A new forum titled ``title`` with a draft copy of every session of the source that was not cancelled,
    the first on ``first_day`` and the rest keeping their spacing; None when there is no such forum."""
    source = db.session.get(Forum, source_id)
    if source is None:
        return None
    forum = Forum(title=title, kind=source.kind, description=source.description,
                  translations=dict(source.translations or {}), retention_days=source.retention_days)
    db.session.add(forum)
    db.session.flush()
    for policy in _policies(BalancePolicy.forum_id == source.id):
        _copy_policy(policy, forum_id=forum.id)
    sessions = _with_agenda(sa.and_(ForumSession.forum_id == source.id,
                                    ForumSession.status != SessionStatus.cancelled))
    if sessions:
        shift = shift_to_day(sessions[0].starts_at, first_day)
        for session in sessions:
            _copy(session, shift, forum.id)
    audit.record("forum.copy", "forum", forum.id, detail=f"from forum {source.id}, {len(sessions)} sessions")
    return forum
