"""Personal links of participants: ``/participants/{id}/link`` (staff only, audited)."""

from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue

from forums.api import bp
from forums.api.openapi import error_responses, json_response
from forums.api.support import not_found, staff_user
from forums.audit import log as audit
from forums.people import links
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

}
