"""Pages anyone may open: upcoming public sessions and a session's agenda."""

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from forums.accounts.permissions import (
    can_facilitate,
    can_view_session,
    current_staff,
    visible_sessions_filter,
)
from forums.sessions import queries
from forums.sessions.views import session_tool_links
from forums.web.conditional import conditional_response
from models import utcnow

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str:
    """Upcoming sessions the reader may see (public ones for the public)."""
    sessions = queries.upcoming_public_sessions(utcnow(), visible_sessions_filter(current_user))
    return render_template("sessions/public_index.html", sessions=sessions)


@bp.route("/sessions/<int:session_id>")
def session_page(session_id: int) -> Response:
    """A session's agenda; staff also get links to manage it. Never lists who attends.

    Answers If-None-Match / If-Modified-Since with a 304, so a reader on a slow link who opens the
    agenda again downloads nothing unless it changed (agenda edits raise the session's updated_at).
    """
    forum_session = queries.session_with_agenda(session_id)
    if forum_session is None or not can_view_session(current_user, forum_session):
        abort(404)
    may_facilitate = can_facilitate(current_user, session_id)
    page = render_template(
        "sessions/public_session.html",
        forum_session=forum_session,
        is_staff=current_staff(),
        can_facilitate=may_facilitate,
        tool_links=session_tool_links(session_id) if may_facilitate else [],
    )
    return conditional_response(page, mimetype="text/html", last_modified=forum_session.updated_at)
