"""Check-in and facilitator endpoints: ``/sessions/{id}/facilitators`` and ``/sessions/{id}/checkin``.

The check-in page's own JavaScript uses these too. ``GET /sessions/{id}/checkin/summary`` is an
extension of the contract: counts and the attended-stage balance, no names, so the page can poll it
every few seconds without reading (and auditing) the list each time.
"""

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.accounts.permissions import Need, session_or_abort
from forums.api import bp
from forums.api.errors import ApiError, invalid
from forums.api.openapi import PAGING_PARAMETERS, error_responses, json_response
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import iso_time
from forums.api.support import (
    int_field,
    json_body,
    not_found,
    page_limit,
    signed_in_user,
    staff_user,
    text_field,
)
from forums.audit import log as audit
from forums.checkin import door as checkin
from forums.registrations.api import registration_json
from models import ForumSession, db

#: longest search accepted; names are at most 200 characters
MAX_QUERY_LENGTH = 200


def checkin_session(session_id: int) -> ForumSession:
    """The session if the caller may run its check-in; 401 anonymous, else 403 or 404 by the rule of
    ``forums.accounts.permissions``."""
    signed_in_user()
    return session_or_abort(session_id, Need.facilitate)


def person_json(person: checkin.ExpectedPerson) -> dict[str, Any]:
    """A line of the check-in list as the contract gives it."""
    return {
        "registration_id": person.registration_id,
        "participant_id": person.participant_id,
        "name": person.name,
        "status": person.status.value,
        "checked_in_at": iso_time(person.checked_in_at),
    }


@bp.route("/sessions/<int:session_id>/facilitators", methods=["POST"])
def add_facilitator(session_id: int) -> ResponseReturnValue:
    """Assign an existing facilitator user to a session (staff only)."""
    staff_user()
    session_or_abort(session_id, Need.manage)
    data = json_body(allowed={"email"}, required={"email"})
    email = text_field(data, "email", max_length=254, required=True)
    try:
        user = checkin.assign_facilitator(session_id, email)
    except checkin.CheckinError as error:
        if error.code == "duplicate":
            raise ApiError(409, _("This facilitator is assigned to the session already.")) from None
        raise invalid({"email": _("No active facilitator account has this e-mail.")}) from None
    db.session.commit()
    return jsonify({"session_id": session_id, "user_id": user.id, "email": user.email}), 201


@bp.route("/sessions/<int:session_id>/checkin")
def checkin_list(session_id: int) -> ResponseReturnValue:
    """The people expected, narrowed by ``?q=`` in any script, with attended and expected counts."""
    forum_session = checkin_session(session_id)
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        raise invalid({"q": _("At most %(n)d characters.", n=MAX_QUERY_LENGTH)})
    limit = page_limit()
    after = None
    if request.args.get("cursor"):
        try:
            after = checkin.decode_position(request.args["cursor"])
        except ValueError:
            raise invalid({"cursor": _("Unknown cursor.")}) from None
    people, next_position = checkin.search_expected(session_id, query, after=after, limit=limit)
    counts = checkin.attendance(session_id, forum_session.capacity)
    audit.record("checkin.list", "session", session_id, detail=f"{len(people)} rows")
    db.session.commit()
    next_url = None
    if next_position is not None:
        next_url = url_for("api.checkin_list", session_id=session_id, q=query or None, limit=limit,
                           cursor=checkin.encode_position(next_position))
    return jsonify({
        "items": [person_json(person) for person in people],
        "next": next_url,
        "attended": counts.attended,
        "expected": counts.expected,
    })


@bp.route("/sessions/<int:session_id>/checkin", methods=["POST"])
def checkin_create(session_id: int) -> ResponseReturnValue:
    """Check a person in; the same person or the same ``request_id`` twice still counts once."""
    checkin_session(session_id)
    data = json_body(allowed={"registration_id", "request_id"}, required={"registration_id"})
    registration_id = int_field(data, "registration_id", minimum=1)
    request_id = text_field(data, "request_id", max_length=80) if "request_id" in data else None
    if request_id == "":
        raise invalid({"request_id": _("This field is required.")})
    try:
        registration = checkin.check_in_once(session_id, registration_id, request_id, via="api")
    except checkin.CheckinError as error:
        if error.code == "request_reused":
            raise ApiError(409, _("This request id was already used for someone else.")) from None
        # Not on this session's list: as unknown as a missing one (forums.accounts.permissions), and the refusal
        # is logged like every 404 (SECURITY.md T22).
        raise not_found() from None
    db.session.commit()
    return jsonify(registration_json(registration))


@bp.route("/sessions/<int:session_id>/checkin/<int:registration_id>", methods=["DELETE"])
def checkin_undo(session_id: int, registration_id: int) -> ResponseReturnValue:
    """Undo a check-in: the registration goes back to its status before check-in."""
    checkin_session(session_id)
    try:
        registration = checkin.undo_check_in(session_id, registration_id)
    except checkin.CheckinError:
        raise not_found() from None
    db.session.commit()
    return jsonify(registration_json(registration))


@bp.route("/sessions/<int:session_id>/checkin/summary")
def checkin_summary(session_id: int) -> ResponseReturnValue:
    """Counts and the attended-stage balance for the live panel; no names, so not audited.

    Staff get the exact report; a facilitator the coarse one (``forums.balance.coarse``), whose
    ``detail`` is ``"coarse"``: where each category stands, no counts, nothing below the threshold.
    """
    forum_session = checkin_session(session_id)
    threshold = None if signed_in_user().is_staff else current_app.config["SMALL_COUNT_THRESHOLD"]
    return jsonify(checkin.live_summary(forum_session, threshold))


_REGISTRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "participant_id", "session_id", "status", "checked_in_at"],
    "properties": {
        "id": {"type": "integer"},
        "participant_id": {"type": "integer"},
        "session_id": {"type": "integer"},
        "status": {"type": "string"},
        "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

_SESSION_ID = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SCHEMAS: dict[str, Any] = {
    "CheckinRegistration": _REGISTRATION_SCHEMA,
    "CheckinList": {
        "type": "object",
        "required": ["items", "next", "attended", "expected"],
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object",
                "required": ["registration_id", "participant_id", "name", "status", "checked_in_at"],
                "properties": {
                    "registration_id": {"type": "integer"},
                    "participant_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "status": {"type": "string"},
                    "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
                },
            }},
            "next": {"type": ["string", "null"]},
            "attended": {"type": "integer"},
            "expected": {"type": "integer"},
        },
    },
    "CheckinSummary": {
        "type": "object",
        "required": ["session_id", "attended", "expected", "seated", "capacity", "balance"],
        "properties": {
            "session_id": {"type": "integer"},
            "attended": {"type": "integer"},
            "expected": {"type": "integer"},
            "seated": {"type": "integer"},
            "capacity": {"type": "integer"},
            "balance": {"type": ["object", "null"],
                        "description": "the attended-stage balance report for staff; for a facilitator a "
                                       "coarse one (detail: coarse) with each category's status only, no "
                                       "counts, and no category while fewer than k people are present"},
        },
    },
}

_REGISTRATION_RESPONSE = json_response("The registration", {"$ref": "#/components/schemas/CheckinRegistration"})

PATHS: dict[str, Any] = {
    "/sessions/{session_id}/facilitators": {
        "post": {
            "summary": "Assign an existing facilitator user to the session (staff only)",
            "parameters": [_SESSION_ID],
            "requestBody": body_schema({"type": "object", "required": ["email"], "additionalProperties": False,
                                        "properties": {"email": {"type": "string", "maxLength": 254}}}),
            "responses": {
                "201": json_response("Assigned", {
                    "type": "object", "required": ["session_id", "user_id", "email"],
                    "properties": {"session_id": {"type": "integer"}, "user_id": {"type": "integer"},
                                   "email": {"type": "string"}},
                }),
                **error_responses(400, 401, 403, 404, 409, 415, 422),
            },
        },
    },
    "/sessions/{session_id}/checkin": {
        "get": {
            "summary": "The people expected (invited, registered, confirmed, waitlisted, attended), searchable "
                       "in any script; audited",
            "parameters": [_SESSION_ID,
                           {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH}},
                           *PAGING_PARAMETERS],
            "responses": {
                "200": json_response("The list, sorted by name", {"$ref": "#/components/schemas/CheckinList"}),
                **error_responses(401, 403, 404, 422),
            },
        },
        "post": {
            "summary": "Check a person in; repeating it, or its request_id, counts once",
            "parameters": [_SESSION_ID],
            "requestBody": body_schema({
                "type": "object", "required": ["registration_id"], "additionalProperties": False,
                "properties": {"registration_id": {"type": "integer", "minimum": 1},
                               "request_id": {"type": "string", "minLength": 1, "maxLength": 80}},
            }),
            "responses": {"200": _REGISTRATION_RESPONSE, **error_responses(400, 401, 403, 404, 409, 415, 422)},
        },
    },
    "/sessions/{session_id}/checkin/{registration_id}": {
        "delete": {
            "summary": "Undo a check-in: back to the status before it",
            "parameters": [_SESSION_ID, {"name": "registration_id", "in": "path", "required": True,
                                         "schema": {"type": "integer"}}],
            "responses": {"200": _REGISTRATION_RESPONSE, **error_responses(401, 403, 404)},
        },
    },
    "/sessions/{session_id}/checkin/summary": {
        "get": {
            "summary": "Attended, expected, seats and the attended-stage balance (extension; no names)",
            "parameters": [_SESSION_ID],
            "responses": {
                "200": json_response("The summary", {"$ref": "#/components/schemas/CheckinSummary"}),
                **error_responses(401, 403, 404),
            },
        },
    },
}
