"""Dimensions, categories and forums: ``/dimensions``, ``/dimensions/{key}/categories``, ``/forums``.

``GET`` and ``PATCH /forums/{id}`` extend the contract. Dimensions are configuration, not personal
data, so anyone may read them (the region keys are what sessions refer to); forums need a signed-in
user; changes need staff (admin or organiser).
"""

from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask.typing import ResponseReturnValue

from forums.api import bp
from forums.api.openapi import (
    PAGING_PARAMETERS,
    error_responses,
    json_response,
    list_of,
)
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import (
    VERSION_SCHEMA,
    WRITE_ERRORS,
    category_json,
    check_types,
    dimension_json,
    expected_version,
    forum_json,
    input_schemas,
    path_parameter,
    text_schema,
)
from forums.api.support import (
    json_body,
    not_found,
    paginate,
    paginate_loaded,
    signed_in_user,
    staff_user,
)
from forums.people import limits as people_limits
from forums.people import operations as people_operations
from forums.sessions import limits as session_limits
from forums.sessions import operations as session_operations
from models import Dimension, Forum, ForumKind, db

#: JSON types of the writable fields
NAMED_FIELDS: dict[str, type] = {"key": str, "name": str, "name_ru": str, "name_tg": str}
FORUM_FIELDS: dict[str, type] = {"title": str, "kind": str, "description": str, "retention_days": int}


@bp.route("/dimensions")
def list_dimensions() -> ResponseReturnValue:
    """Every dimension with its categories, in display order, paged like every list."""
    return jsonify(paginate_loaded(people_operations.dimensions_with_categories(), dimension_json))


@bp.route("/dimensions", methods=["POST"])
def create_dimension() -> ResponseReturnValue:
    """Add a dimension of representation (staff)."""
    staff_user()
    data = json_body(allowed={"key", "name", "name_ru", "name_tg"}, required={"key", "name"})
    check_types(data, NAMED_FIELDS)
    dimension = people_operations.create_dimension(data["key"], data["name"], data.get("name_ru") or "",
                                          data.get("name_tg") or "")
    db.session.commit()
    return jsonify({**dimension_json(dimension), "categories": []}), 201


@bp.route("/dimensions/<key>/categories", methods=["POST"])
def create_category(key: str) -> ResponseReturnValue:
    """Add a category to a dimension (staff)."""
    staff_user()
    dimension = db.session.scalar(sa.select(Dimension).where(Dimension.key == key))
    if dimension is None:
        raise not_found()
    data = json_body(allowed={"key", "name", "name_ru", "name_tg", "counts_toward_balance"},
                     required={"key", "name"})
    check_types(data, {**NAMED_FIELDS, "counts_toward_balance": bool})
    category = people_operations.create_category(dimension, data["key"], data["name"], data.get("name_ru") or "",
                                        data.get("name_tg") or "", data.get("counts_toward_balance", True))
    db.session.commit()
    return jsonify(category_json(category)), 201


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
    forum = session_operations.create_forum(data["title"], data["kind"], data.get("description"), data.get("retention_days"))
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



# OpenAPI ------------------------------------------------------------------------------------------

FORUM_ID = path_parameter("forum_id")
DIMENSION_KEY = path_parameter("key", "string")
NAMES_INPUT: dict[str, Any] = {
    "key": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,39}$"},
    "name": {**text_schema(people_limits.DISPLAY_NAME_MAX, required=True), "description": "in English"},
    "name_ru": text_schema(people_limits.DISPLAY_NAME_MAX),
    "name_tg": text_schema(people_limits.DISPLAY_NAME_MAX),
}
NAMES_OUTPUT: dict[str, Any] = {field: {"type": "string"} for field in ("key", "name", "name_ru", "name_tg")}


FORUM_INPUT, FORUM_PATCH = input_schemas({
    "title": text_schema(session_limits.TITLE_MAX, required=True),
    "kind": {"type": "string", "enum": [kind.value for kind in ForumKind]},
    "description": text_schema(session_limits.DESCRIPTION_MAX),
    "retention_days": {"type": ["integer", "null"], "minimum": session_limits.RETENTION_DAYS_MIN,
                       "maximum": session_limits.RETENTION_DAYS_MAX,
                       "description": "days after a session ends before its personal data is purged"},
}, ["title", "kind"], {"version": VERSION_SCHEMA})


SCHEMAS: dict[str, Any] = {
    "Category": {
        "type": "object",
        "required": ["key", "name", "name_ru", "name_tg", "counts_toward_balance"],
        "properties": {**NAMES_OUTPUT, "counts_toward_balance": {"type": "boolean"}},
    },
    "Dimension": {
        "type": "object",
        "required": ["key", "name", "name_ru", "name_tg", "categories"],
        "properties": {**NAMES_OUTPUT,
                       "categories": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}}},
    },
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
}

PATHS: dict[str, Any] = {
    "/dimensions": {
        "get": {
            "summary": "Every dimension with its categories, in display order (anyone)",
            "security": [{}, {"bearer": []}],
            "parameters": PAGING_PARAMETERS,
            "responses": {"200": json_response("A page of dimensions",
                                               list_of({"$ref": "#/components/schemas/Dimension"})),
                          **error_responses(401, 422)},
        },
        "post": {
            "summary": "Add a dimension of representation (staff)",
            "requestBody": body_schema({"type": "object", "properties": NAMES_INPUT, "additionalProperties": False,
                                        "required": ["key", "name"]}),
            "responses": {"201": json_response("The dimension", {"$ref": "#/components/schemas/Dimension"}),
                          **error_responses(*WRITE_ERRORS)},
        },
    },
    "/dimensions/{key}/categories": {
        "post": {
            "summary": "Add a category to a dimension (staff)",
            "parameters": [DIMENSION_KEY],
            "requestBody": body_schema({
                "type": "object", "additionalProperties": False, "required": ["key", "name"],
                "properties": {**NAMES_INPUT, "counts_toward_balance": {"type": "boolean", "default": True}},
            }),
            "responses": {"201": json_response("The category", {"$ref": "#/components/schemas/Category"}),
                          **error_responses(*WRITE_ERRORS)},
        },
    },
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
}
