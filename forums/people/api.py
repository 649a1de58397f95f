"""The participant register and registrations: ``/participants``, ``/sessions/{id}/registrations``,
``/registrations/{id}``.

Staff only (admin and organiser): a list of who meets whom, with affiliations, can get people hurt,
so every read of a person or of a session's list is audited. ``PATCH /participants/{id}`` extends
the contract.
"""

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, raiseload, selectinload

from forums import validation
from forums.accounts.permissions import object_or_404
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
    VERSION_SCHEMA,
    WRITE_ERRORS,
    check_types,
    expected_version,
    input_schemas,
    participant_json,
    path_parameter,
    registration_json,
    registration_with_person_json,
    text_schema,
)
from forums.api.support import (
    json_body,
    not_found,
    paginate,
    staff_user,
)
from forums.audit import log as audit
from forums.people import limits
from forums.people import operations as people_operations
from forums.people.operations import ParticipantInput
from forums.registrations import operations
from forums.sessions.api import staff_session
from forums.validation import is_id
from models import (
    LANGUAGE_CODES,
    Category,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)
from models.registrations import INITIAL, in_order

#: JSON types of a participant's writable fields
PARTICIPANT_FIELDS: dict[str, type] = {
    "name": str, "organisation": str, "email": str, "phone": str, "languages": list, "categories": dict,
}
#: what serialising a participant's categories touches, in one extra query whatever the rows
CATEGORY_LOADING = (
    selectinload(Participant.categories).joinedload(ParticipantCategory.category).joinedload(Category.dimension)
)
#: the statuses a registration may be created in, in a fixed order for messages and the OpenAPI document
INITIAL_STATUSES = in_order(INITIAL)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, _("Some values are not valid."), {field: message})


def _participant_input(data: dict[str, Any], current: Participant | None) -> ParticipantInput:
    """The body as the services take it; fields left out keep ``current``'s values."""
    check_types(data, PARTICIPANT_FIELDS)
    # The services compare these with sets and dict keys, where a nested list or object would break.
    if not all(isinstance(code, str) for code in data.get("languages") or ()):
        raise _invalid("languages", _("Unknown language code; use %(codes)s.", codes=", ".join(LANGUAGE_CODES)))
    for dimension_key, category_key in (data.get("categories") or {}).items():
        if not isinstance(category_key, str | None):
            raise _invalid(f"categories.{dimension_key}", _("Unknown category."))

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
    data = json_body(allowed=PARTICIPANT_FIELDS, required={"name", "categories"})
    participant = people_operations.create_participant(_participant_input(data, None))
    db.session.commit()
    return jsonify(participant_json(_participant(participant.id))), 201


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


@bp.route("/sessions/<int:session_id>/registrations", methods=["POST"])
def create_registration(session_id: int) -> ResponseReturnValue:
    """Invite or register a person (staff); ``registered`` past capacity is waitlisted."""
    forum_session = staff_session(session_id)
    data = json_body(allowed={"participant_id", "status"}, required={"participant_id", "status"})
    check_types(data, {"participant_id": int, "status": str})
    if data["status"] not in {status.value for status in INITIAL_STATUSES}:
        raise _invalid("status", _("Choose invited or registered."))
    participant = db.session.get(Participant, data["participant_id"]) if is_id(data["participant_id"]) else None
    if participant is None:
        raise _invalid("participant_id", _("No such participant."))
    try:
        registration = operations.register(forum_session, participant, RegistrationStatus(data["status"]))
    except operations.RegistrationError:
        # register() refuses only duplicates here: the status was checked above.
        message = _("This person already has a registration for this session.")
        raise ApiError(409, message, {"participant_id": message}) from None
    db.session.commit()
    return jsonify(registration_json(registration)), 201


@bp.route("/registrations/<int:registration_id>", methods=["PATCH"])
def update_registration(registration_id: int) -> ResponseReturnValue:
    """Move a registration to another status (staff); a freed seat goes to the first waitlisted."""
    staff_user()
    registration = object_or_404(Registration, registration_id)
    data = json_body(allowed={"status"}, required={"status"})
    check_types(data, {"status": str})
    if data["status"] not in {status.value for status in RegistrationStatus}:
        raise _invalid("status", _("Choose one of: %(values)s.", values=", ".join(s.value for s in RegistrationStatus)))
    try:
        # Audits the change and each person it moves up from the waitlist.
        operations.change_status(registration, RegistrationStatus(data["status"]))
    except operations.RegistrationError:
        # Staff may make any move (ALLOWED_TRANSITIONS): only a seat the session no longer has is refused.
        raise ApiError(409, _("The session is full: no seat is free. Waitlist the person or free a seat first."),
                       {"status": _("No seat is free.")}) from None
    db.session.commit()
    return jsonify(registration_json(registration))


@bp.route("/sessions/<int:session_id>/registrations")
def list_registrations(session_id: int) -> ResponseReturnValue:
    """A session's registrations with each person's name and categories (staff); the read is audited."""
    staff_session(session_id)
    statement = (
        sa.select(Registration).where(Registration.session_id == session_id)
        .options(joinedload(Registration.participant).options(CATEGORY_LOADING), raiseload("*"))
    )
    status = request.args.get("status")
    if status is not None:
        if status not in {s.value for s in RegistrationStatus}:
            raise _invalid("status", _("Choose one of: %(values)s.",
                                       values=", ".join(s.value for s in RegistrationStatus)))
        statement = statement.where(Registration.status == RegistrationStatus(status))
    page = paginate(statement, Registration.id, registration_with_person_json)
    audit.record("registrations.read", "session", session_id, detail=f"{len(page['items'])} rows")
    db.session.commit()
    return jsonify(page)


# OpenAPI ------------------------------------------------------------------------------------------

REGISTRATION_STATUS = {"type": "string", "enum": [s.value for s in RegistrationStatus]}
CATEGORIES_SCHEMA = {
    "type": "object",
    "description": "{dimension key: category key}",
    "additionalProperties": {"type": "string"},
}
PARTICIPANT_ID = path_parameter("participant_id")
SESSION_ID = path_parameter("session_id")
REGISTRATION_ID = path_parameter("registration_id")
PARTICIPANT_REF = {"$ref": "#/components/schemas/Participant"}
REGISTRATION_REF = {"$ref": "#/components/schemas/Registration"}


PARTICIPANT_INPUT, PARTICIPANT_PATCH = input_schemas({
    "name": text_schema(limits.NAME_MAX, required=True),
    "organisation": text_schema(limits.ORGANISATION_MAX),
    "email": {"type": "string", "format": "email", "maxLength": limits.EMAIL_MAX, "pattern": validation.EMAIL.pattern},
    "phone": {"type": "string", "maxLength": limits.PHONE_MAX, "pattern": validation.PHONE.pattern},
    "languages": {"type": "array", "items": {"type": "string", "enum": list(LANGUAGE_CODES)}},
    "categories": {**CATEGORIES_SCHEMA, "additionalProperties": {"type": ["string", "null"]},
                   "description": "{dimension key: category key}; an empty or null key clears it"},
}, ["name", "categories"], {"version": VERSION_SCHEMA})


REGISTRATION_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "participant_id": {"type": "integer"},
    "session_id": {"type": "integer"},
    "status": REGISTRATION_STATUS,
    "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
}

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
    "Registration": {
        "type": "object",
        "required": list(REGISTRATION_PROPERTIES),
        "properties": REGISTRATION_PROPERTIES,
    },
    "RegistrationWithPerson": {
        "type": "object",
        "required": [*REGISTRATION_PROPERTIES, "name", "categories"],
        "properties": {**REGISTRATION_PROPERTIES, "name": {"type": "string"}, "categories": CATEGORIES_SCHEMA},
    },
}

PATHS: dict[str, Any] = {
    "/participants": {
        "post": {
            "summary": "Add a person to the register (staff)",
            "requestBody": body_schema(PARTICIPANT_INPUT),
            "responses": {"201": json_response("The participant", PARTICIPANT_REF), **error_responses(*WRITE_ERRORS)},
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
    "/sessions/{session_id}/registrations": {
        "get": {
            "summary": "A session's registrations with names and categories (staff); the read is audited",
            "parameters": [SESSION_ID, {"name": "status", "in": "query", "schema": REGISTRATION_STATUS},
                           *PAGING_PARAMETERS],
            "responses": {"200": json_response("A page of registrations",
                                               list_of({"$ref": "#/components/schemas/RegistrationWithPerson"})),
                          **error_responses(401, 403, 404, 422)},
        },
        "post": {
            "summary": "Invite or register a person (staff); past capacity a registration is waitlisted",
            "parameters": [SESSION_ID],
            "requestBody": body_schema({
                "type": "object", "additionalProperties": False, "required": ["participant_id", "status"],
                "properties": {"participant_id": {"type": "integer"},
                               "status": {"type": "string", "enum": [s.value for s in INITIAL_STATUSES]}},
            }),
            "responses": {"201": json_response("The registration", REGISTRATION_REF), **error_responses(*WRITE_ERRORS)},
        },
    },
    "/registrations/{registration_id}": {
        "patch": {
            "summary": "Change a registration's status (staff); a freed seat promotes the first waitlisted",
            "parameters": [REGISTRATION_ID],
            "requestBody": body_schema({
                "type": "object", "additionalProperties": False, "required": ["status"],
                "properties": {"status": REGISTRATION_STATUS},
            }),
            "responses": {"200": json_response("The registration", REGISTRATION_REF), **error_responses(*WRITE_ERRORS)},
        },
    },
}
