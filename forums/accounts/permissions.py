"""Who may see and do what: need-to-know rules shared by pages and the API.

403 or 404: one answer for the same situation, on pages and in the API alike.

1. **Role first.** A signed-in user whose role may never use a page or call (a facilitator on a staff page, an
   organiser on an admin page) gets 403, whatever the id in the address: the page's existence is no secret.
   Anonymous readers get the sign-in page, or 401 from the API.
2. **Then the object.** An object that does not exist, or that the reader may not know exists (a session
   neither public nor theirs, someone else's token or registration), is a 404: a 403 would confirm it exists.
3. **Seen but not theirs.** An object the reader may see but not act on (the check-in or live balance of a
   published public session they do not facilitate) is a 403.

The role check is ``forums.web.staff_required`` / ``admins_only`` on pages and ``forums.api.support.staff_user``
in the API; the object check is :func:`session_or_abort` for sessions (the one kind whose visibility depends on
the reader) and :func:`object_or_404` for every kind only staff reach. ``tests/accounts/test_permissions_matrix.py``
holds every route to this rule.

**Need-to-know by forum.** An organiser may be limited to chosen forums (:func:`forum_scope`); for them every
other forum's sessions and people do not exist: 404, missing from every list, count and export. The rows each
forum owns, and the one hook that hides the others from every query, are ``forums.accounts.scope``.
"""

import enum
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy.orm.interfaces import ORMOption

from models import ForumSession, Model, Role, SessionFacilitator, SessionStatus, User, Visibility, db

Loaded = TypeVar("Loaded", bound=Model)


class Need(enum.Enum):
    """What a reader wants of a session."""

    #: its agenda: anyone for a published public session, staff and its facilitators for any other
    read = "read"
    #: its check-in and live balance: staff and its facilitators
    facilitate = "facilitate"
    #: everything else (editing, registrations, selection, exports): staff
    manage = "manage"


def is_staff(user: User | None) -> bool:
    """Whether ``user`` is signed in as an admin or organiser."""
    return bool(user is not None and user.is_authenticated and user.is_staff)


def forum_scope(user: User | None) -> frozenset[int] | None:
    """The ids of the forums ``user`` is limited to, or None for no limit by forum.

    Only organisers are limited, and only when an admin chose forums for them (``OrganiserForum``); an
    organiser without chosen forums, and every admin, sees every forum. Facilitators are not limited by forum:
    they already see only the sessions they were assigned to.
    """
    if user is None or not user.is_authenticated or user.role is not Role.organiser:
        return None
    # Loaded with the signed-in user (models.users.signed_in_loading): no query of its own on each request.
    return frozenset(limit.forum_id for limit in user.forum_limits) or None


#: the flask.g attribute holding the request's forum scope (``forums.accounts.scope``): absent or None, no limit
SCOPE_ATTRIBUTE = "forum_scope"


def current_scope() -> frozenset[int] | None:
    """The forums the current request's reader is limited to, or None (no limit, or no request)."""
    if not has_request_context():
        return None
    scope: frozenset[int] | None = g.get(SCOPE_ATTRIBUTE)
    return scope


def current_staff() -> bool:
    """Whether the signed-in user is an admin or organiser."""
    return is_staff(current_user)


def is_facilitator_of(user: User, session_id: int) -> bool:
    """Whether ``user`` was assigned to facilitate this session."""
    return db.session.scalar(
        sa.select(SessionFacilitator.user_id)
        .where(SessionFacilitator.session_id == session_id, SessionFacilitator.user_id == user.id)
    ) is not None


def can_facilitate(user: User | None, session_id: int) -> bool:
    """Staff (of the session's forum, for a limited organiser), or a facilitator assigned to the session: check-in
    and the live balance."""
    if user is None or not user.is_authenticated:
        return False
    if is_staff(user):
        # A limited organiser's ORM queries see their forums' sessions only: the session must be found.
        return current_scope() is None or db.session.scalar(
            sa.select(ForumSession.id).where(ForumSession.id == session_id)) is not None
    return is_facilitator_of(user, session_id)


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


def session_refusal(user: User | None, forum_session: ForumSession | None, need: Need) -> int | None:
    """The status that refuses ``need`` on the session by the rule above, or None when it is allowed.

    The caller has already sent anonymous readers of anything but ``Need.read`` to sign in (or a 401).
    """
    if need is Need.manage and not is_staff(user):
        return 403  # role first: no session is managed by anyone but staff
    if forum_session is None:
        return 404
    if need is Need.manage or (can_view_session(user, forum_session) if need is Need.read
                               else can_facilitate(user, forum_session.id)):
        return None
    return 403 if can_view_session(user, forum_session) else 404


def session_or_abort(session_id: int, need: Need, *options: ORMOption) -> ForumSession:
    """The session, loaded with ``options``, if the signed-in reader may do ``need``; else 403 or 404 by the rule."""
    forum_session = db.session.scalar(sa.select(ForumSession).where(ForumSession.id == session_id).options(*options))
    refusal = session_refusal(current_user, forum_session, need)
    if refusal is not None:
        abort(refusal)
    assert forum_session is not None  # session_refusal refuses a missing one
    return forum_session


def object_or_404(model: type[Loaded], object_id: int, *options: ORMOption, **filters: Any) -> Loaded:
    """An object of a kind only staff reach (the role was checked before), or 404; ``filters`` must match too
    (an agenda item of another session is as unknown as a missing one)."""
    # filter_by names the id column the way it names the others: the base class declares no ``id`` for mypy
    loaded = db.session.scalar(sa.select(model).filter_by(id=object_id, **filters).options(*options))
    if loaded is None:
        abort(404)
    return loaded
