"""Dimensions and categories of the register: ``/dimensions``, ``/dimensions/{key}/categories``.

Dimensions are configuration, not personal data, so anyone may read them (the region keys are what sessions
refer to); changes need staff (admin or organiser).
"""

from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask.typing import ResponseReturnValue

from forums import validation
from forums.api import bp
from forums.api.openapi import (
    PAGING_PARAMETERS,
    error_responses,
    json_response,
    list_of,
)
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import (
    WRITE_ERRORS,
    check_types,
    path_parameter,
    text_schema,
)
from forums.api.support import (
    json_body,
    not_found,
    paginate_loaded,
    staff_user,
)
from forums.people import limits as people_limits
from forums.people import operations as people_operations
from models import Category, Dimension, db

#: JSON types of the writable fields
NAMED_FIELDS: dict[str, type] = {"key": str, "name": str, "name_ru": str, "name_tg": str}




# JSON shapes (keys as in shared/contracts/API.md; fields may be added, never renamed) ----------------

def _key_and_names(named: Dimension | Category) -> dict[str, Any]:
    return {"key": named.key, "name": named.name_en, "name_ru": named.name_ru, "name_tg": named.name_tg}


def category_json(category: Category) -> dict[str, Any]:
    """A category of a dimension, with its names in the three languages."""
    return {**_key_and_names(category), "counts_toward_balance": category.counts_toward_balance}


def dimension_json(dimension: Dimension) -> dict[str, Any]:
    """A dimension of representation with its categories (loaded beforehand)."""
    return {**_key_and_names(dimension),
            "categories": [category_json(category) for category in dimension.categories]}


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


# OpenAPI ------------------------------------------------------------------------------------------

DIMENSION_KEY = path_parameter("key", "string")
NAMES_INPUT: dict[str, Any] = {
    "key": {"type": "string", "pattern": validation.SLUG_PATTERN},
    "name": {**text_schema(people_limits.DISPLAY_NAME_MAX, required=True), "description": "in English"},
    "name_ru": text_schema(people_limits.DISPLAY_NAME_MAX),
    "name_tg": text_schema(people_limits.DISPLAY_NAME_MAX),
}
NAMES_OUTPUT: dict[str, Any] = {field: {"type": "string"} for field in ("key", "name", "name_ru", "name_tg")}


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

}
