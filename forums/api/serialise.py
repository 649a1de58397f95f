"""What every resource module of the API needs around the shared services (forums.sessions.operations): a check of
JSON types before values reach them, their exceptions in the API's error format (so a broken rule is a
422, a duplicate or a stale edit a 409, the same way everywhere), and the OpenAPI pieces that describe
request bodies as the services accept them.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Response
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from forums.api import bp
from forums.api.errors import error_response, invalid
from forums.i18n import display_zone
from forums.validation import Conflict, ValidationFailed
from models import (
    db,
)


def iso_time(moment: datetime | None) -> str | None:
    """An aware time as ISO 8601 in the display zone, e.g. ``2026-12-03T10:00:00+05:00``."""
    return None if moment is None else moment.astimezone(display_zone()).isoformat()


def _type_messages() -> dict[type, str]:
    return {
        str: _("Expected text."),
        int: _("Expected a whole number."),
        bool: _("Expected true or false."),
        list: _("Expected a list."),
        dict: _("Expected an object."),
    }


def check_types(data: Mapping[str, Any], expected: Mapping[str, type]) -> None:
    """Refuse fields of the wrong JSON type with a 422 (null counts as absent; true is no number).

    The services turn any value into text or compare it with a set, so a list where a word belongs
    must be stopped here.
    """
    fields = {}
    for field, expected_type in expected.items():
        value = data.get(field)
        is_bool_mismatch = isinstance(value, bool) and expected_type is not bool
        if value is not None and (is_bool_mismatch or not isinstance(value, expected_type)):
            fields[field] = _type_messages()[expected_type]
    if fields:
        raise invalid(fields)


def expected_version(data: Mapping[str, Any]) -> int | None:
    """The optional ``version`` a client read before editing (a mismatch is a 409 later)."""
    check_types(data, {"version": int})
    return data.get("version")


@bp.errorhandler(ValidationFailed)
def _validation_failed(error: ValidationFailed) -> tuple[Response, int]:
    return error_response(422, _("Some values are not valid."), error.fields)


@bp.errorhandler(Conflict)
def _conflict(error: Conflict) -> tuple[Response, int]:
    return error_response(409, error.message, {error.field: error.message} if error.field else {})


@bp.errorhandler(StaleDataError)
def _stale(_error: StaleDataError) -> tuple[Response, int]:
    # Another request changed the row between our read and our write (version_id_col caught it).
    db.session.rollback()
    return error_response(
        409, _("Someone else changed this since you opened it. Reload to see their changes, then edit again."))


@bp.errorhandler(IntegrityError)
def _integrity(_error: IntegrityError) -> tuple[Response, int]:
    # Validation ran first, so a constraint that still fails lost a race with a concurrent
    # request (two identical registrations, two dimensions with one key): a conflict.
    db.session.rollback()
    return error_response(409, _("This conflicts with the current state."))


# OpenAPI pieces ----------------------------------------------------------------------------------

#: text the services accept: no NUL character; and, where required, not blank
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*\S[^\x00]*$"
#: statuses a write may answer besides its success
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422)
VERSION_SCHEMA = {"type": "integer", "description": "the version read; another one is a 409"}


def text_schema(max_length: int, *, required: bool = False) -> dict[str, Any]:
    """A text field as the services accept it."""
    return {"type": "string", "maxLength": max_length, "pattern": NOT_BLANK if required else NO_NUL}


def path_parameter(name: str, schema_type: str = "integer") -> dict[str, Any]:
    """A parameter of the path, e.g. ``{session_id}``."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": schema_type}}


def input_schemas(properties: dict[str, Any], required: list[str],
                  patch_only: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body of a create (``required`` fields, nothing unknown) and of its PATCH (any field, plus ``patch_only``)."""
    create = {"type": "object", "properties": properties, "additionalProperties": False, "required": required}
    patch = {"type": "object", "properties": {**properties, **patch_only}, "additionalProperties": False}
    return create, patch
