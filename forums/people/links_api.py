"""Personal links of participants, and a session's calendar file."""

from typing import Any

from flask import Response, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from forums.accounts.permissions import can_view_session
from forums.api import bp
from forums.api.openapi import error_responses, json_response
from forums.api.support import not_found, staff_user
from forums.audit import log as audit
from forums.i18n import current_language, display_zone
from forums.people import links
from forums.sessions import calendar as calendar_views
from forums.sessions import queries
from forums.web.conditional import conditional_response
from models import Participant, db


def _participant_or_404(participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise not_found()
    return participant


def personal_url(token: str) -> str:
    """The absolute address of the personal page behind ``token``."""
    return url_for("personal.home", token=token, _external=True)


@bp.route("/participants/<int:participant_id>/link", methods=("GET", "POST"))
def participant_link(participant_id: int) -> ResponseReturnValue:
    """The personal link (GET; issued on first use) or a new one that revokes the old (POST); staff only, audited."""
    staff_user()
    participant = _participant_or_404(participant_id)
    rotating = request.method == "POST"
    link = links.rotate(participant) if rotating else links.issue(participant)
    audit.record("participant.link_rotate" if rotating else "participant.link_read", "participant", participant.id)
    db.session.commit()
    return {"url": personal_url(link.token)}, 201 if rotating else 200


@bp.get("/sessions/<int:session_id>/calendar.ics")
def session_calendar(session_id: int) -> Response:
    """The session as one VEVENT, for anyone who may see the session."""
    forum_session = queries.session_with_agenda(session_id)
    if forum_session is None or not can_view_session(current_user, forum_session):
        raise not_found()
    locale = current_language()
    body = calendar_views.sessions_calendar(
        [forum_session], name=forum_session.localized("title", locale), locale=locale, zone=display_zone(),
        url_for_session=lambda each: url_for("public.session_page", session_id=each.id, _external=True),
    )
    response = conditional_response(body, mimetype="text/calendar", last_modified=forum_session.updated_at)
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    return response


_LINK_SCHEMA: dict[str, Any] = {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}
_PARTICIPANT_ID = [{"name": "participant_id", "in": "path", "required": True, "schema": {"type": "integer"}}]

PATHS: dict[str, Any] = {
    "/participants/{participant_id}/link": {
        "parameters": _PARTICIPANT_ID,
        "get": {
            "summary": "The participant's personal link (staff only; audited)",
            "responses": {"200": json_response("The personal page's address", _LINK_SCHEMA),
                          **error_responses(401, 403, 404)},
        },
        "post": {
            "summary": "Replace the personal link; the old one stops working (staff only; audited)",
            "responses": {"201": json_response("The new personal page's address", _LINK_SCHEMA),
                          **error_responses(401, 403, 404)},
        },
    },
    "/sessions/{session_id}/calendar.ics": {
        "get": {
            "summary": "The session as an iCalendar (RFC 5545) file with one VEVENT",
            "security": [{"bearer": []}, {}],
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {"description": "The calendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                "304": {"description": "Not modified since the copy the client holds"},
                **error_responses(401, 404),
            },
        },
    },
}
