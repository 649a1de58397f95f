"""The participant register: ``/participants``,
``/registrations/{id}``.

Staff only (admin and organiser): a list of who meets whom, with affiliations, can get people hurt,
so every read of a person or of a session's list is audited. ``PATCH /participants/{id}`` extends
the contract.
"""

from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums import validation
from forums.api import bp
from forums.api.errors import ApiError, invalid
from forums.api.openapi import (
    error_responses,
    json_response,
)
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import (
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
    staff_user,
)
from forums.audit import log as audit
from forums.people import duplicates, limits
from forums.people import operations as people_operations
from forums.people.operations import ParticipantInput
from forums.people.queries import CATEGORY_LOADING
from models import (
    LANGUAGE_CODES,
    Participant,
    db,
)

#: JSON types of a participant's writable fields
PARTICIPANT_FIELDS: dict[str, type] = {
    "name": str, "organisation": str, "email": str, "phone": str, "languages": list, "categories": dict,
}


# JSON shapes (keys as in shared/contracts/API.md; fields may be added, never renamed) ----------------

def participant_categories(participant: Participant) -> dict[str, str]:
    """``{dimension key: category key}`` (categories with their dimensions loaded beforehand)."""
    return {link.category.dimension.key: link.category.key for link in participant.categories}


def participant_json(participant: Participant) -> dict[str, Any]:
    """A person in the register: only what staff recorded, nothing derived."""
    return {
        "id": participant.id,
        "name": participant.name,
        "organisation": participant.organisation,
        "email": participant.email,
        "phone": participant.phone,
        "languages": participant.language_list,
        "categories": participant_categories(participant),
        "consent_at": iso_time(participant.consent_at),
        "version": participant.version,
    }


def _participant_input(data: dict[str, Any], current: Participant | None) -> ParticipantInput:
    """The body as the services take it; fields left out keep ``current``'s values."""
    check_types(data, PARTICIPANT_FIELDS)
    # The services compare these with sets and dict keys, where a nested list or object would break.
    if not all(isinstance(code, str) for code in data.get("languages") or ()):
        raise invalid({"languages": _("Unknown language code; use %(codes)s.", codes=", ".join(LANGUAGE_CODES))})
    for dimension_key, category_key in (data.get("categories") or {}).items():
        if not isinstance(category_key, str | None):
            raise invalid({f"categories.{dimension_key}": _("Unknown category.")})

    def given(field: str, default: Any) -> Any:
        return data[field] if field in data else default

    return ParticipantInput(
        name=given("name", current.name if current else None),
        organisation=given("organisation", current.organisation if current else ""),
        email=given("email", current.email if current else ""),
        phone=given("phone", current.phone if current else ""),
        languages=given("languages", current.language_list if current else ()) or (),
        categories=data.get("categories"),
    )


def _participant(participant_id: int) -> Participant:
    participant = db.session.scalar(
        sa.select(Participant).where(Participant.id == participant_id).options(CATEGORY_LOADING)
        .execution_options(populate_existing=True)
    )
    if participant is None:
        raise not_found()
    return participant


@bp.route("/participants", methods=["POST"])
def create_participant() -> ResponseReturnValue:
    """Add a person to the register, with one category per dimension (staff)."""
    staff_user()
    data = json_body(allowed={*PARTICIPANT_FIELDS, "allow_duplicate"}, required={"name", "categories"})
    allow_duplicate = data.pop("allow_duplicate", False)
    if not isinstance(allow_duplicate, bool):
        raise invalid({"allow_duplicate": _("Expected true or false.")})
    # Created first, so a 422 for bad values comes before a 409 and the values compared are the saved ones.
    participant = people_operations.create_participant(_participant_input(data, None))
    if not allow_duplicate:
        _refuse_duplicates(participant)
    db.session.commit()
    return jsonify(participant_json(_participant(participant.id))), 201


def _refuse_duplicates(participant: Participant) -> None:
    """A 409 naming, by id, the people of the register who may be this new one (``forums.people.duplicates``)."""
    matches = duplicates.find_one(duplicates.Identity(participant.name, participant.email, participant.phone),
                                  exclude=[participant.id])
    if not matches:
        return
    fields = {field: _("Participant %(ids)s has the same value.",
                       ids=", ".join(str(match.participant_id) for match in matches if field in match.fields))
              for field in duplicates.FIELDS if any(field in match.fields for match in matches)}
    raise ApiError(409, _("This person may already be in the register: send \"allow_duplicate\": true to add them "
                          "anyway."), fields, code="duplicate",
                   details={"duplicates": [{"id": match.participant_id, "matched": list(match.fields)}
                                           for match in matches]})


@bp.route("/participants/<int:participant_id>")
def get_participant(participant_id: int) -> ResponseReturnValue:
    """One person (staff); the read is audited."""
    staff_user()
    participant = _participant(participant_id)
    body = participant_json(participant)
    audit.record_read("participant.read", "participant", participant.id)
    return jsonify(body)


@bp.route("/participants/<int:participant_id>", methods=["PATCH"])
def update_participant(participant_id: int) -> ResponseReturnValue:
    """Change some of a person's details (staff); each category given replaces that dimension's."""
    staff_user()
    participant = _participant(participant_id)
    data = json_body(allowed={*PARTICIPANT_FIELDS, "version"})
    version = expected_version(data)
    people_operations.update_participant(participant, _participant_input(data, participant), expected_version=version)
    db.session.commit()
    return jsonify(participant_json(_participant(participant_id)))


# OpenAPI ------------------------------------------------------------------------------------------

CATEGORIES_SCHEMA = {
    "type": "object",
    "description": "{dimension key: category key}",
    "additionalProperties": {"type": "string"},
}
PARTICIPANT_ID = path_parameter("participant_id")
PARTICIPANT_REF = {"$ref": "#/components/schemas/Participant"}



PARTICIPANT_INPUT, PARTICIPANT_PATCH = input_schemas({
    "name": text_schema(limits.NAME_MAX, required=True),
    "organisation": text_schema(limits.ORGANISATION_MAX),
    "email": {"type": "string", "format": "email", "maxLength": limits.EMAIL_MAX, "pattern": validation.EMAIL.pattern},
    "phone": {"type": "string", "maxLength": limits.PHONE_MAX, "pattern": validation.PHONE.pattern},
    "languages": {"type": "array", "items": {"type": "string", "enum": list(LANGUAGE_CODES)}},
    "categories": {**CATEGORIES_SCHEMA, "additionalProperties": {"type": ["string", "null"]},
                   "description": "{dimension key: category key}; an empty or null key clears it"},
}, ["name", "categories"], {"version": VERSION_SCHEMA})
#: only a new person can be the same as someone already in the register
PARTICIPANT_INPUT["properties"] = {**PARTICIPANT_INPUT["properties"], "allow_duplicate": {
    "type": "boolean", "default": False,
    "description": "add the person even when the register may already hold them (same name in any script, "
                   "e-mail or phone); without it such a person is a 409 `duplicate` naming the ids"}}
#: the 409 of a person who may already be in the register: the error format plus the ids and what matched
DUPLICATE_ERROR = {"allOf": [{"$ref": "#/components/schemas/Error"}, {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {"duplicates": {
        "type": "array", "items": {
            "type": "object", "required": ["id", "matched"],
            "properties": {"id": {"type": "integer"},
                           "matched": {"type": "array", "items": {"type": "string", "enum": list(duplicates.FIELDS)}}},
        }}}}},
}]}


SCHEMAS: dict[str, Any] = {
    "Participant": {
        "type": "object",
        "required": ["id", "name", "organisation", "email", "phone", "languages", "categories", "consent_at",
                     "version"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "organisation": {"type": "string"},
            "email": {"type": "string"},
            "phone": {"type": "string"},
            "languages": {"type": "array", "items": {"type": "string"}},
            "categories": CATEGORIES_SCHEMA,
            "consent_at": {"type": ["string", "null"], "format": "date-time"},
            "version": {"type": "integer"},
        },
    },

}

PATHS: dict[str, Any] = {
    "/participants": {
        "post": {
            "summary": "Add a person to the register (staff); one who may already be in it is a 409 `duplicate`",
            "requestBody": body_schema(PARTICIPANT_INPUT),
            "responses": {"201": json_response("The participant", PARTICIPANT_REF), **error_responses(*WRITE_ERRORS),
                          "409": json_response("The register may already hold this person (code `duplicate`): "
                                               "`error.duplicates` names them", DUPLICATE_ERROR)},
        },
    },
    "/participants/{participant_id}": {
        "get": {
            "summary": "One person (staff); the read is audited",
            "parameters": [PARTICIPANT_ID],
            "responses": {"200": json_response("The participant", PARTICIPANT_REF), **error_responses(401, 403, 404)},
        },
        "patch": {
            "summary": "Change some of a person's details (staff)",
            "parameters": [PARTICIPANT_ID],
            "requestBody": body_schema(PARTICIPANT_PATCH),
            "responses": {"200": json_response("The participant", PARTICIPANT_REF), **error_responses(*WRITE_ERRORS)},
        },
    },

}
