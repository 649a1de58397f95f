"""Forums, sessions, their agendas and calendar files: ``/forums``, ``/sessions``, ``/sessions/{id}/agenda``,
``/sessions/{id}/calendar.ics``.

``PATCH`` and ``DELETE /sessions/{id}/agenda/{item_id}`` extend the contract. Anyone may read a
published public session; staff and its facilitators may read any other; only staff change them.
A session the caller may not see is a 404, never a 403, so its existence does not leak.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, raiseload, selectinload

from forums.accounts.permissions import Need, can_view_session, session_or_abort, visible_sessions_filter
from forums.api import bp
from forums.api.errors import ApiError
from forums.api.openapi import (
    PAGING_PARAMETERS,
    error_responses,
    json_response,
    list_of,
)
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import (
    NO_NUL,
    VERSION_SCHEMA,
    WRITE_ERRORS,
    check_types,
    expected_version,
    input_schemas,
    iso_time,
    path_parameter,
    text_schema,
)
from forums.api.support import (
    json_body,
    not_found,
    paginate,
    parse_time,
    query_id,
    signed_in_user,
    staff_session,
    staff_user,
)
from forums.i18n import current_language, display_zone
from forums.sessions import calendar as calendar_views
from forums.sessions import limits, queries
from forums.sessions import operations as session_operations
from forums.sessions.operations import AGENDA_TRANSLATED, SESSION_TRANSLATED
from forums.web.conditional import conditional_response
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    Forum,
    ForumKind,
    ForumSession,
    SessionStatus,
    Visibility,
    db,
)

#: JSON types of a session's writable fields (times are parsed separately)
SESSION_FIELDS: dict[str, type] = {
    "forum_id": int, "title": str, "description": str, "translations": dict, "starts_at": str,
    "ends_at": str, "venue": str, "region": str, "capacity": int, "visibility": str, "status": str,
}
#: fields a session's JSON shows but no one writes; named so a client echoing a GET gets told why
SESSION_READ_ONLY = ("id", "agenda")
AGENDA_FIELDS: dict[str, type] = {
    "title": str, "starts_at": str, "ends_at": str, "kind": str, "speaker_ids": list, "translations": dict,
}
#: what serialising a session touches, loaded in a fixed number of queries whatever the rows
SESSION_LOADING = (
    joinedload(ForumSession.region),
    selectinload(ForumSession.agenda).selectinload(AgendaItem.speakers).joinedload(AgendaSpeaker.participant),
    raiseload("*"),
)
# A "+" in a query string arrives as a space when the client did not encode it.
_UNENCODED_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


# JSON shapes (keys as in shared/contracts/API.md; fields may be added, never renamed) ----------------

def forum_json(forum: Forum) -> dict[str, Any]:
    """A forum (a series of sessions)."""
    return {
        "id": forum.id,
        "title": forum.title,
        "kind": forum.kind.value,
        "description": forum.description,
        "retention_days": forum.retention_days,
        "version": forum.version,
    }


def agenda_item_json(item: AgendaItem) -> dict[str, Any]:
    """An agenda item; speakers are the only people a public reader sees, by name and organisation."""
    return {
        "id": item.id,
        "position": item.position,
        "starts_at": iso_time(item.starts_at),
        "ends_at": iso_time(item.ends_at),
        "title": item.title,
        "kind": item.kind.value,
        "translations": item.translations or {},
        "speakers": [
            {"name": speaker.participant.name, "organisation": speaker.participant.organisation}
            for speaker in item.speakers
        ],
    }


def session_json(forum_session: ForumSession) -> dict[str, Any]:
    """A session with its agenda (region and agenda with speakers loaded beforehand)."""
    return {
        "id": forum_session.id,
        "forum_id": forum_session.forum_id,
        "title": forum_session.title,
        "description": forum_session.description,
        "translations": forum_session.translations or {},
        "starts_at": iso_time(forum_session.starts_at),
        "ends_at": iso_time(forum_session.ends_at),
        "venue": forum_session.venue,
        "region": forum_session.region.key,
        "capacity": forum_session.capacity,
        "visibility": forum_session.visibility.value,
        "status": forum_session.status.value,
        "version": forum_session.version,
        "agenda": [agenda_item_json(item) for item in forum_session.agenda],
    }


def _loaded_session(session_id: int) -> ForumSession | None:
    return db.session.scalar(
        sa.select(ForumSession).where(ForumSession.id == session_id).options(*SESSION_LOADING)
        .execution_options(populate_existing=True)
    )


def _saved_session(session_id: int) -> ForumSession:
    """A session this request has just saved, loaded afresh for its answer."""
    forum_session = _loaded_session(session_id)
    assert forum_session is not None  # committed by this request a moment ago
    return forum_session


def _time_changes(data: dict[str, Any], allowed: dict[str, type]) -> dict[str, Any]:
    """The body's fields with times parsed, after checking every field's JSON type."""
    check_types(data, allowed)
    _check_translations(data)
    changes = {field: value for field, value in data.items() if field in allowed}
    for field in ("starts_at", "ends_at"):
        if field in changes:
            changes[field] = parse_time(changes[field], field)
    return changes


def _check_translations(data: dict[str, Any]) -> None:
    # The services check languages and field names but would store any value as text.
    translations = data.get("translations") or {}
    if any(isinstance(texts, dict) and any(not isinstance(text, str | None) for text in texts.values())
           for texts in translations.values()):
        raise ApiError(422, _("Some values are not valid."),
                       {"translations": _('Expected {"ru": {"title": "..."}, "tg": {...}}.')})


def _query_time(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    return parse_time(_UNENCODED_OFFSET.sub(r"+\1", raw.strip()), name)


@bp.route("/sessions")
def list_sessions() -> ResponseReturnValue:
    """Sessions the caller may see, by ``?forum=`` and overlapping ``?from=`` .. ``?to=``."""
    statement = sa.select(ForumSession).where(visible_sessions_filter(current_user)).options(*SESSION_LOADING)
    forum = query_id("forum")
    if forum is not None:
        statement = statement.where(ForumSession.forum_id == forum)
    since, until = _query_time("from"), _query_time("to")
    if since is not None:
        statement = statement.where(ForumSession.ends_at >= since)
    if until is not None:
        statement = statement.where(ForumSession.starts_at <= until)
    return jsonify(paginate(statement, ForumSession.id, session_json))


@bp.route("/sessions", methods=["POST"])
def create_session() -> ResponseReturnValue:
    """Schedule a session (staff); it starts as a draft unless ``status`` says otherwise."""
    staff_user()
    data = json_body(allowed=SESSION_FIELDS,
                     required={"forum_id", "title", "starts_at", "ends_at", "region", "capacity"})
    forum_session = session_operations.create_session(_time_changes(data, SESSION_FIELDS))
    db.session.commit()
    return jsonify(session_json(_saved_session(forum_session.id))), 201


@bp.route("/sessions/<int:session_id>")
def get_session(session_id: int) -> ResponseReturnValue:
    """A session with its agenda and speakers."""
    forum_session = _loaded_session(session_id)
    if forum_session is None or not can_view_session(current_user, forum_session):
        raise not_found()
    return jsonify(session_json(forum_session))


@bp.route("/sessions/<int:session_id>", methods=["PATCH"])
def update_session(session_id: int) -> ResponseReturnValue:
    """Change any writable fields of a session (staff); a stale ``version`` is a 409."""
    forum_session = staff_session(session_id)
    data = json_body(allowed={*SESSION_FIELDS, *SESSION_READ_ONLY, "version"})
    read_only = {field: _("This field cannot be changed.") for field in SESSION_READ_ONLY if field in data}
    if read_only:
        raise ApiError(422, _("Some values are not valid."), read_only)
    version = expected_version(data)
    session_operations.update_session(forum_session, _time_changes(data, SESSION_FIELDS), expected_version=version)
    db.session.commit()
    return jsonify(session_json(_saved_session(session_id)))


@bp.route("/sessions/<int:session_id>/agenda", methods=["POST"])
def add_agenda_item(session_id: int) -> ResponseReturnValue:
    """Add an item within the session's time (staff); overlapping items are allowed."""
    forum_session = staff_session(session_id)
    data = json_body(allowed=AGENDA_FIELDS, required={"title", "starts_at", "ends_at", "kind"})
    item = session_operations.add_agenda_item(forum_session, _time_changes(data, AGENDA_FIELDS))
    db.session.commit()
    return jsonify(agenda_item_json(item)), 201


def _agenda_item(forum_session: ForumSession, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.session_id != forum_session.id:
        raise not_found()
    return item


@bp.route("/sessions/<int:session_id>/agenda/<int:item_id>", methods=["PATCH"])
def update_agenda_item(session_id: int, item_id: int) -> ResponseReturnValue:
    """Change an agenda item, or move it to ``position`` (0 is first) in the agenda (staff).

    Agendas run in time order (``forums.sessions.scheduling``): a new start time moves the item, and
    ``position`` only moves it among the items that start at the same time (any other place is a 422).
    """
    item = _agenda_item(staff_session(session_id), item_id)
    data = json_body(allowed={*AGENDA_FIELDS, "position"})
    check_types(data, {"position": int})
    changes = _time_changes(data, AGENDA_FIELDS)
    if changes:
        session_operations.update_agenda_item(item, changes)
    if data.get("position") is not None:
        session_operations.move_agenda_item(item, data["position"] - item.forum_session.agenda.index(item))
    db.session.commit()
    return jsonify(agenda_item_json(item))


@bp.route("/sessions/<int:session_id>/agenda/<int:item_id>", methods=["DELETE"])
def delete_agenda_item(session_id: int, item_id: int) -> ResponseReturnValue:
    """Remove an item from the agenda (staff)."""
    session_operations.delete_agenda_item(_agenda_item(staff_session(session_id), item_id))
    db.session.commit()
    return "", 204


# Forums -------------------------------------------------------------------------------------------

#: JSON types of a forum's writable fields
FORUM_FIELDS: dict[str, type] = {"title": str, "kind": str, "description": str, "retention_days": int}


@bp.route("/forums")
def list_forums() -> ResponseReturnValue:
    """Forums, oldest first (signed-in users)."""
    signed_in_user()
    return jsonify(paginate(sa.select(Forum), Forum.id, forum_json))


@bp.route("/forums", methods=["POST"])
def create_forum() -> ResponseReturnValue:
    """Add a forum (staff)."""
    staff_user()
    data = json_body(allowed={"title", "kind", "description", "retention_days"}, required={"title", "kind"})
    check_types(data, FORUM_FIELDS)
    forum = session_operations.create_forum(data["title"], data["kind"], data.get("description"),
                                            data.get("retention_days"))
    db.session.commit()
    return jsonify(forum_json(forum)), 201


def _forum(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        raise not_found()
    return forum


@bp.route("/forums/<int:forum_id>")
def get_forum(forum_id: int) -> ResponseReturnValue:
    """One forum (signed-in users)."""
    signed_in_user()
    return jsonify(forum_json(_forum(forum_id)))


@bp.route("/forums/<int:forum_id>", methods=["PATCH"])
def update_forum(forum_id: int) -> ResponseReturnValue:
    """Change some of a forum's fields (staff); a stale ``version`` is a 409."""
    staff_user()
    forum = _forum(forum_id)
    data = json_body(allowed={*FORUM_FIELDS, "version"})
    check_types(data, FORUM_FIELDS)
    session_operations.update_forum(
        forum,
        data.get("title", forum.title),
        data.get("kind", forum.kind.value),
        data.get("description", forum.description),
        data.get("retention_days", forum.retention_days),
        expected_version=expected_version(data),
    )
    db.session.commit()
    return jsonify(forum_json(forum))


# Calendar -----------------------------------------------------------------------------------------

@bp.get("/sessions/<int:session_id>/calendar.ics")
def session_calendar(session_id: int) -> Response:
    """The session as one VEVENT, for anyone who may see the session."""
    forum_session = session_or_abort(session_id, Need.read, *queries.AGENDA_LOADING)
    locale = current_language()
    body = calendar_views.sessions_calendar(
        [forum_session], name=forum_session.localized("title", locale), locale=locale, zone=display_zone(),
        url_for_session=lambda each: url_for("public.session_page", session_id=each.id, _external=True),
    )
    response = conditional_response(body, mimetype="text/calendar", last_modified=forum_session.updated_at)
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    return response


# OpenAPI ------------------------------------------------------------------------------------------

TIME_SCHEMA = {"type": "string", "format": "date-time",
               "description": "ISO 8601 with an offset, e.g. 2026-12-03T10:00:00+05:00"}
SESSION_ID = path_parameter("session_id")
ITEM_ID = path_parameter("item_id")
#: OpenAPI security requirements: no credentials, or a bearer token
ANYONE: list[dict[str, list[str]]] = [{}, {"bearer": []}]


def _translations(fields: Mapping[str, int]) -> dict[str, Any]:
    """Texts in other languages, e.g. ``{"ru": {"title": "..."}}``, each field as long as ``fields`` allows."""
    texts = {"type": "object", "additionalProperties": False,
             "properties": {field: {"type": ["string", "null"], "maxLength": longest, "pattern": NO_NUL}
                            for field, longest in fields.items()}}
    return {"type": "object", "additionalProperties": False,
            "properties": {language: texts for language in ("en", "ru", "tg")}}


SESSION_INPUT, SESSION_PATCH = input_schemas({
    "forum_id": {"type": "integer"},
    "title": text_schema(limits.TITLE_MAX, required=True),
    "description": text_schema(limits.DESCRIPTION_MAX),
    "translations": _translations(SESSION_TRANSLATED),
    "starts_at": TIME_SCHEMA,
    "ends_at": {**TIME_SCHEMA, "description": "after starts_at"},
    "venue": text_schema(limits.VENUE_MAX),
    "region": {"type": "string", "description": "a category key of dimension region"},
    "capacity": {"type": "integer", "minimum": limits.CAPACITY_MIN, "maximum": limits.CAPACITY_MAX},
    "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
    "status": {"type": "string", "enum": [s.value for s in SessionStatus]},
}, ["forum_id", "title", "starts_at", "ends_at", "region", "capacity"], {"version": VERSION_SCHEMA})
AGENDA_INPUT, AGENDA_PATCH = input_schemas({
    "title": text_schema(limits.AGENDA_TITLE_MAX, required=True),
    "starts_at": TIME_SCHEMA,
    "ends_at": TIME_SCHEMA,
    "kind": {"type": "string", "enum": [k.value for k in AgendaKind]},
    "speaker_ids": {"type": "array", "items": {"type": "integer"}, "description": "participant ids"},
    "translations": _translations(AGENDA_TRANSLATED),
}, ["title", "starts_at", "ends_at", "kind"],
    {"position": {"type": "integer", "description": "the item's place in the agenda, 0 first; agendas run in "
                                                     "time order, so only among the items that start at the "
                                                     "same time"}})

SESSION_REF = {"$ref": "#/components/schemas/Session"}
AGENDA_ITEM_REF = {"$ref": "#/components/schemas/AgendaItem"}

FORUM_ID = path_parameter("forum_id")

FORUM_INPUT, FORUM_PATCH = input_schemas({
    "title": text_schema(limits.TITLE_MAX, required=True),
    "kind": {"type": "string", "enum": [kind.value for kind in ForumKind]},
    "description": text_schema(limits.DESCRIPTION_MAX),
    "retention_days": {"type": ["integer", "null"], "minimum": limits.RETENTION_DAYS_MIN,
                       "maximum": limits.RETENTION_DAYS_MAX,
                       "description": "days after a session ends before its personal data is purged"},
}, ["title", "kind"], {"version": VERSION_SCHEMA})


SCHEMAS: dict[str, Any] = {
    "Forum": {
        "type": "object",
        "required": ["id", "title", "kind", "description", "retention_days", "version"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": [kind.value for kind in ForumKind]},
            "description": {"type": "string"},
            "retention_days": {"type": ["integer", "null"]},
            "version": {"type": "integer"},
        },
    },
    "AgendaItem": {
        "type": "object",
        "required": ["id", "position", "starts_at", "ends_at", "title", "kind", "translations", "speakers"],
        "properties": {
            "id": {"type": "integer"},
            "position": {"type": "integer"},
            "starts_at": TIME_SCHEMA,
            "ends_at": TIME_SCHEMA,
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": [k.value for k in AgendaKind]},
            "translations": _translations(AGENDA_TRANSLATED),
            "speakers": {"type": "array", "items": {
                "type": "object", "required": ["name", "organisation"],
                "properties": {"name": {"type": "string"}, "organisation": {"type": "string"}},
            }},
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "forum_id", "title", "description", "translations", "starts_at", "ends_at", "venue",
                     "region", "capacity", "visibility", "status", "version", "agenda"],
        "properties": {
            "id": {"type": "integer"},
            "forum_id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "translations": _translations(SESSION_TRANSLATED),
            "starts_at": TIME_SCHEMA,
            "ends_at": TIME_SCHEMA,
            "venue": {"type": "string"},
            "region": {"type": "string"},
            "capacity": {"type": "integer", "minimum": limits.CAPACITY_MIN},
            "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
            "status": {"type": "string", "enum": [s.value for s in SessionStatus]},
            "version": {"type": "integer"},
            "agenda": {"type": "array", "items": AGENDA_ITEM_REF},
        },
    },
}

PATHS: dict[str, Any] = {
    "/forums": {
        "get": {
            "summary": "Forums (signed-in users)",
            "parameters": PAGING_PARAMETERS,
            "responses": {"200": json_response("A page of forums", list_of({"$ref": "#/components/schemas/Forum"})),
                          **error_responses(401, 422)},
        },
        "post": {
            "summary": "Add a forum (staff)",
            "requestBody": body_schema(FORUM_INPUT),
            "responses": {"201": json_response("The forum", {"$ref": "#/components/schemas/Forum"}),
                          **error_responses(*WRITE_ERRORS)},
        },
    },
    "/forums/{forum_id}": {
        "get": {
            "summary": "One forum (signed-in users)",
            "parameters": [FORUM_ID],
            "responses": {"200": json_response("The forum", {"$ref": "#/components/schemas/Forum"}),
                          **error_responses(401, 404)},
        },
        "patch": {
            "summary": "Change some of a forum's fields (staff)",
            "parameters": [FORUM_ID],
            "requestBody": body_schema(FORUM_PATCH),
            "responses": {"200": json_response("The forum", {"$ref": "#/components/schemas/Forum"}),
                          **error_responses(*WRITE_ERRORS)},
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
    "/sessions": {
        "get": {
            "summary": "Sessions the caller may see (the public: published public sessions)",
            "security": ANYONE,
            "parameters": [
                {"name": "forum", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "from", "in": "query", "schema": TIME_SCHEMA,
                 "description": "only sessions that end at or after this time"},
                {"name": "to", "in": "query", "schema": TIME_SCHEMA,
                 "description": "only sessions that start at or before this time"},
                *PAGING_PARAMETERS,
            ],
            "responses": {"200": json_response("A page of sessions", list_of(SESSION_REF)),
                          **error_responses(401, 422)},
        },
        "post": {
            "summary": "Schedule a session (staff); a draft unless status says otherwise",
            "requestBody": body_schema(SESSION_INPUT),
            "responses": {"201": json_response("The session", SESSION_REF), **error_responses(*WRITE_ERRORS)},
        },
    },
    "/sessions/{session_id}": {
        "get": {
            "summary": "A session with its agenda and speakers",
            "security": ANYONE,
            "parameters": [SESSION_ID],
            "responses": {"200": json_response("The session", SESSION_REF), **error_responses(401, 404)},
        },
        "patch": {
            "summary": "Change any writable fields of a session (staff)",
            "parameters": [SESSION_ID],
            "requestBody": body_schema(SESSION_PATCH),
            "responses": {"200": json_response("The session", SESSION_REF), **error_responses(*WRITE_ERRORS)},
        },
    },
    "/sessions/{session_id}/agenda": {
        "post": {
            "summary": "Add an agenda item within the session's time (staff)",
            "parameters": [SESSION_ID],
            "requestBody": body_schema(AGENDA_INPUT),
            "responses": {"201": json_response("The item", AGENDA_ITEM_REF), **error_responses(*WRITE_ERRORS)},
        },
    },
    "/sessions/{session_id}/agenda/{item_id}": {
        "patch": {
            "summary": "Change or move an agenda item (staff)",
            "parameters": [SESSION_ID, ITEM_ID],
            "requestBody": body_schema(AGENDA_PATCH),
            "responses": {"200": json_response("The item", AGENDA_ITEM_REF), **error_responses(*WRITE_ERRORS)},
        },
        "delete": {
            "summary": "Remove an agenda item (staff)",
            "parameters": [SESSION_ID, ITEM_ID],
            "responses": {"204": {"description": "Removed"}, **error_responses(400, 401, 403, 404)},
        },
    },
}
