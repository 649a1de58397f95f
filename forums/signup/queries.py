"""What the open registration pages read: a session's settings, its questions, a sign-up by its code."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload

from forums.people.operations import dimensions_with_categories, is_offered
from forums.signup import rules
from models import (
    Category,
    Dimension,
    ForumSession,
    OpenSignup,
    PersonalLink,
    SessionStatus,
    SignupSetting,
    Visibility,
    db,
    utcnow,
)


def setting_of(session_id: int) -> SignupSetting | None:
    """The session's open registration settings, or None when its organisers never set them: one query."""
    return db.session.get(SignupSetting, session_id)


def questions(setting: SignupSetting | None) -> list[Dimension]:
    """The dimensions the form asks about, in catalogue order, categories loaded: two queries (none if none).

    A retired dimension is asked no more (``forums.people.operations.is_offered``); its retired categories
    are left out of the answers by ``offered_categories``.
    """
    if setting is None or not setting.dimension_ids:
        return []
    chosen = set(setting.dimension_ids)
    return [dimension for dimension in dimensions_with_categories()
            if dimension.id in chosen and not dimension.is_retired]


def offered_categories(dimension: Dimension) -> list[Category]:
    """The categories of a dimension a person may choose now (``is_offered``), in catalogue order."""
    return [category for category in dimension.categories if is_offered(category)]


def takes_signups(forum_session: ForumSession, setting: SignupSetting | None) -> bool:
    """Whether the session's public form accepts sign-ups now (``rules.takes_signups``)."""
    return rules.takes_signups(
        is_open=bool(setting and setting.is_open),
        is_public=forum_session.visibility is Visibility.public,
        is_published=forum_session.status is SessionStatus.published,
        has_started=forum_session.starts_at <= utcnow(),
    )


def offers_signup(session_id: int) -> bool:
    """Whether the session's public page links to its form (its organisers opened it): one query.

    The page is kept while the session's stamp holds, so ``operations.save_settings`` touches the session.
    """
    return bool(db.session.scalar(sa.select(SignupSetting.is_open).where(SignupSetting.session_id == session_id)))


def signup_by_code(code: str) -> OpenSignup | None:
    """The sign-up a confirmation code belongs to: one query (codes longer than ours are nobody's)."""
    if not code or len(code) > 2 * rules.CODE_BYTES:
        return None
    return db.session.scalar(sa.select(OpenSignup).where(OpenSignup.code_hash == rules.code_hash(code)))


def session_for_signup(session_id: int) -> ForumSession | None:
    """The session a sign-up page is about, with its forum and region (the page shows them): one query."""
    return db.session.scalar(
        sa.select(ForumSession).where(ForumSession.id == session_id)
        .options(joinedload(ForumSession.forum), joinedload(ForumSession.region), raiseload("*"))
    )


def personal_token(participant_id: int) -> str | None:
    """The token of a person's personal link, if one was issued: one query."""
    return db.session.scalar(sa.select(PersonalLink.token).where(PersonalLink.participant_id == participant_id))


#: sessions the staff home's panel lists at most
PANEL_SESSIONS = 20


def open_sessions(now: datetime) -> list[tuple[ForumSession, int, int]]:
    """Upcoming sessions whose organisers opened registration, soonest first, with their confirmed sign-ups and
    those still waiting for confirmation (not expired): one query."""
    still_valid = now - timedelta(hours=rules.PENDING_HOURS)
    confirmed = sa.func.count(OpenSignup.id).filter(OpenSignup.confirmed_at.is_not(None))
    pending = sa.func.count(OpenSignup.id).filter(OpenSignup.confirmed_at.is_(None),
                                                  OpenSignup.created_at >= still_valid)
    rows = db.session.execute(
        sa.select(ForumSession, confirmed, pending)
        .join(SignupSetting, SignupSetting.session_id == ForumSession.id)
        .outerjoin(OpenSignup, OpenSignup.session_id == ForumSession.id)
        .where(SignupSetting.is_open.is_(True), ForumSession.starts_at > now,
               ForumSession.status == SessionStatus.published)
        .group_by(ForumSession.id)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(PANEL_SESSIONS)
        .options(raiseload("*"))
    )
    return [(forum_session, int(done), int(waiting)) for forum_session, done, waiting in rows]
