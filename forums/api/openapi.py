"""``GET /api/v1/openapi.json``: the API describes itself (OpenAPI 3.1).

Each resource module of ``forums.api.resources.RESOURCE_MODULES`` declares the paths it serves in a module-level
``PATHS`` dict (OpenAPI path items keyed by path, e.g. ``"/sessions/{session_id}"``) and may add
schemas to ``SCHEMAS``; this module merges them, so the description lives beside the code it describes.
"""

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from forums.api import bp

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def error_responses(*statuses: int) -> dict[str, Any]:
    """OpenAPI responses for error statuses, all in the error format."""
    return {
        str(status): {"description": "Error",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for status in statuses
    }


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI requestBody for a JSON object."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def list_of(item_schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a paged list: ``{"items": [...], "next": url or null}``."""
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": item_schema}, "next": {"type": ["string", "null"]}},
    }


PAGING_PARAMETERS: list[dict[str, Any]] = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]


def build_spec() -> dict[str, Any]:
    """The OpenAPI document assembled from every resource module."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    from forums.api.resources import RESOURCE_MODULES  # it imports this module

    for module in RESOURCE_MODULES:
        for path, item in getattr(module, "PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(getattr(module, "SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Dialogue Desk API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API's own description."""
    return jsonify(build_spec())


PATHS: dict[str, Any] = {
    "/openapi.json": {"get": {"summary": "This description", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
}
