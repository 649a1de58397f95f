"""Pages anyone may open: upcoming public sessions and a session's agenda."""

from flask import Blueprint, Response, abort, render_template, request, session
from flask_login import current_user

from forums.accounts.permissions import (
    can_facilitate,
    can_view_session,
    current_staff,
    visible_sessions_filter,
)
from forums.database import reads_only
from forums.i18n import current_language
from forums.sessions import queries, stamps
from forums.sessions.views import session_tool_links
from forums.signup import queries as signup_queries
from forums.web.cache import end_reads, kept
from forums.web.compression import KeptBody
from forums.web.conditional import conditional_response
from models import ForumSession, utcnow

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str:
    """Upcoming sessions the reader may see (public ones for the public)."""
    sessions = queries.upcoming_public_sessions(utcnow(), visible_sessions_filter(current_user))
    return render_template("sessions/public_index.html", sessions=sessions)


@bp.route("/sessions/<int:session_id>")
@reads_only
def session_page(session_id: int) -> Response:
    """A session's agenda; staff also get links to manage it. Never lists who attends.

    Answers If-None-Match / If-Modified-Since with a 304, so a reader on a slow link who opens the
    agenda again downloads nothing unless it changed (agenda edits raise the session's updated_at).
    """
    if _sees_everyones_page():
        return _everyones_page(session_id)
    forum_session = queries.session_with_agenda(session_id)
    if forum_session is None or not can_view_session(current_user, forum_session):
        abort(404)
    return conditional_response(_render(forum_session), mimetype="text/html", last_modified=forum_session.updated_at)


def _sees_everyones_page() -> bool:
    """Whether the reader gets the page every visitor gets in their language.

    That is someone not signed in, with no query string (the page's language links repeat it) and
    no message waiting to be flashed (``flask.flash`` keeps them in the session under ``_flashes``).
    """
    return not current_user.is_authenticated and not request.args and "_flashes" not in session


def _everyones_page(session_id: int) -> Response:
    """The agenda as every visitor sees it, kept per language while its stamp holds: one query."""
    found = stamps.agenda_stamp(session_id)
    if found is None or not can_view_session(current_user, found.forum_session):
        abort(404)

    def make() -> KeptBody:
        forum_session = queries.session_with_agenda(session_id)
        if forum_session is None:  # deleted since the stamp was read
            abort(404)
        return KeptBody(_render(forum_session))

    # Links in the page start with the script root, so a copy serves one mount point.
    page = kept("agenda", (session_id, current_language(), request.script_root), found.stamp, make)
    end_reads()
    return conditional_response(page, mimetype="text/html", last_modified=found.forum_session.updated_at)


def _render(forum_session: ForumSession) -> str:
    """The agenda page as the reader may see it (the tool links only for who may use them)."""
    may_facilitate = can_facilitate(current_user, forum_session.id)
    return render_template(
        "sessions/public_session.html",
        forum_session=forum_session,
        is_staff=current_staff(),
        can_facilitate=may_facilitate,
        tool_links=session_tool_links(forum_session.id) if may_facilitate else [],
        offers_signup=signup_queries.offers_signup(forum_session.id),
    )
