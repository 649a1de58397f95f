"""The floor in the JSON API: ``GET /sessions/{id}/floor/report`` and ``GET /sessions/{id}/floor/lists/{list_id}``.

Staff and the session's facilitators read them (``Need.facilitate``); anyone else gets the 403 or 404 of
``forums.accounts.permissions``. A facilitator's report leaves out the dimensions with fewer counted people
present than the small-count threshold, as the report page does; reading a report is audited.
"""

from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from forums.accounts.permissions import Need, is_staff, session_or_abort
from forums.api import bp
from forums.api.openapi import error_responses, json_response
from forums.api.serialise import iso_time
from forums.api.support import not_found, signed_in_user
from forums.audit import log as audit
from forums.floor import queries


@bp.get("/sessions/<int:session_id>/floor/report")
def get_floor_report(session_id: int) -> ResponseReturnValue:
    """The floor balance of the session against the room (the report page's figures)."""
    user = signed_in_user()
    forum_session = session_or_abort(session_id, Need.facilitate)
    report = queries.session_report(forum_session)
    body = report.to_json()
    body["dimensions"] = [dimension.to_json() for dimension in queries.shown_dimensions(report, is_staff(user),
                                                                                 current_app.config["SMALL_COUNT_THRESHOLD"])]
    audit.record_read("floor.report", "session", session_id, detail=f"api, {len(report.people)} people")
    return jsonify(body)


@bp.get("/sessions/<int:session_id>/floor/lists/<int:list_id>")
def get_floor_list(session_id: int, list_id: int) -> ResponseReturnValue:
    """A list's state: who has the floor, the queue in order with each position's reason, the budgets."""
    signed_in_user()
    session_or_abort(session_id, Need.facilitate)
    floor_list = queries.load_list(list_id, session_id)
    if floor_list is None:
        raise not_found()
    state = queries.list_state(floor_list)

    def speech_json(speech: Any) -> dict[str, Any]:
        return {"id": speech.id, "kind": str(speech.kind), "state": str(speech.state),
                "participant_id": None if state.is_chatham_house else speech.participant_id,
                "categories": dict(speech.categories), "asked_at": iso_time(speech.asked_at),
                "seconds": round(state.seconds(speech), 1),
                "stretches": [{"started_at": iso_time(s.started_at), "ended_at": iso_time(s.ended_at)}
                              for s in speech.stretches]}

    return jsonify({
        "id": floor_list.id, "session_id": session_id, "agenda_item_id": floor_list.agenda_item_id,
        "policy": str(floor_list.policy), "dimension": floor_list.dimension_key,
        "alternate": [floor_list.alternate_first, floor_list.alternate_second] if floor_list.alternate_first else None,
        "speech_seconds": floor_list.speech_seconds,
        "current": speech_json(state.current) if state.current else None,
        "current_over": state.current_over,
        "queue": [{**speech_json(line.speech), "position": index + 1, "reason": line.position.reason,
                   "reason_category": line.position.category} for index, line in enumerate(state.queue)],
        "budgets": [{"category": line.category, "initial_seconds": line.initial, "added_seconds": line.added,
                     "used_seconds": round(line.used, 1), "left_seconds": round(line.left, 1), "over": line.over}
                    for line in state.budgets],
    })


_CATEGORY = {"type": "object", "properties": {
    "key": {"type": "string"}, "counts_toward_balance": {"type": "boolean"}, "present": {"type": "integer"},
    "attendance_share": {"type": "number"}, "requests": {"type": "integer"}, "speeches": {"type": "integer"},
    "seconds": {"type": "number"}, "time_share": {"type": "number"},
    "mean_wait_seconds": {"type": ["number", "null"]}, "never_spoke": {"type": "boolean"}}}

SCHEMAS: dict[str, Any] = {
    "FloorReport": {
        "type": "object",
        "required": ["session_id", "gallagher_unit", "requests", "speeches", "seconds", "dimensions", "people"],
        "properties": {
            "session_id": {"type": "integer"},
            "gallagher_unit": {"const": "percentage_points"},
            "requests": {"type": "integer"}, "speeches": {"type": "integer"}, "seconds": {"type": "number"},
            "dimensions": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "counted_present": {"type": "integer"},
                "counted_seconds": {"type": "number"},
                "gallagher": {"type": ["number", "null"],
                              "description": "sqrt(0.5 * sum((100*time_share - 100*attendance_share)^2)) "
                                             "over counting categories, in percentage points"},
                "never_spoke": {"type": "array", "items": {"type": "string"}},
                "categories": {"type": "array", "items": _CATEGORY}}}},
            "people": {"type": "array", "description": "empty in a Chatham House session",
                       "items": {"type": "object", "properties": {
                           "participant_id": {"type": "integer"}, "name": {"type": "string"},
                           "speeches": {"type": "integer"}, "seconds": {"type": "number"}}}},
        },
    },
    "FloorList": {"type": "object", "required": ["id", "session_id", "policy", "queue", "budgets"],
                  "properties": {"id": {"type": "integer"}, "session_id": {"type": "integer"},
                                 "agenda_item_id": {"type": ["integer", "null"]},
                                 "policy": {"enum": ["first_come", "first_time", "balance", "alternate"]},
                                 "dimension": {"type": "string"}, "speech_seconds": {"type": "integer"},
                                 "current": {"type": ["object", "null"]}, "current_over": {"type": "boolean"},
                                 "queue": {"type": "array", "items": {"type": "object"}},
                                 "budgets": {"type": "array", "items": {"type": "object"}}}},
}

_SESSION = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}

PATHS: dict[str, Any] = {
    "/sessions/{session_id}/floor/report": {"get": {
        "summary": "The floor balance of a session against the room (staff and its facilitators; audited)",
        "parameters": [_SESSION],
        "responses": {"200": json_response("The floor report", {"$ref": "#/components/schemas/FloorReport"}),
                      **error_responses(401, 403, 404)}}},
    "/sessions/{session_id}/floor/lists/{list_id}": {"get": {
        "summary": "A list of speakers: the floor, the queue in order with reasons, the budgets",
        "parameters": [_SESSION, {"name": "list_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": json_response("The list", {"$ref": "#/components/schemas/FloorList"}),
                      **error_responses(401, 403, 404)}}},
}
