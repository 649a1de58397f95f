"""Who may see and do what: need-to-know rules shared by pages and the API."""

import sqlalchemy as sa
from flask_login import current_user

from models import ForumSession, SessionFacilitator, SessionStatus, User, Visibility, db


def current_staff() -> bool:
    """Whether the signed-in user is an admin or organiser."""
    return bool(current_user.is_authenticated and current_user.is_staff)


def is_facilitator_of(user: User, session_id: int) -> bool:
    """Whether ``user`` was assigned to facilitate this session."""
    return db.session.scalar(
        sa.select(SessionFacilitator.user_id)
        .where(SessionFacilitator.session_id == session_id, SessionFacilitator.user_id == user.id)
    ) is not None


def can_facilitate(user: User | None, session_id: int) -> bool:
    """Staff, or a facilitator assigned to the session: check-in and the live balance."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or is_facilitator_of(user, session_id)


def is_publicly_visible(forum_session: ForumSession) -> bool:
    """A public session is readable by anyone once it is published (or cancelled after that)."""
    return (forum_session.visibility is Visibility.public
            and forum_session.status is not SessionStatus.draft)


def can_view_session(user: User | None, forum_session: ForumSession) -> bool:
    """Anyone for a published public session; staff and its facilitators for any other."""
    return is_publicly_visible(forum_session) or can_facilitate(user, forum_session.id)


def visible_sessions_filter(user: User | None) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the sessions ``user`` may see."""
    public = sa.and_(ForumSession.visibility == Visibility.public, ForumSession.status != SessionStatus.draft)
    if user is None or not user.is_authenticated:
        return public
    if user.is_staff:
        return sa.true()
    assigned = sa.select(SessionFacilitator.session_id).where(SessionFacilitator.user_id == user.id)
    return sa.or_(public, ForumSession.id.in_(assigned))
