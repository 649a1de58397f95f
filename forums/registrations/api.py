"""The registrations of each session in the JSON API: ``/sessions/{id}/registrations``, ``/registrations/{id}``.

Every change goes through ``forums.registrations.operations``, which applies the transitions of
``models.registrations`` and audits each change and each person moved up from the waitlist.
"""

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, raiseload

from forums.accounts.permissions import object_or_404
from forums.api import bp
from forums.api.errors import ApiError, invalid
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
    iso_time,
    path_parameter,
)
from forums.api.support import (
    json_body,
    paginate,
    staff_session,
    staff_user,
)
from forums.audit import log as audit
from forums.people.api import CATEGORIES_SCHEMA, participant_categories
from forums.people.queries import CATEGORY_LOADING
from forums.registrations import operations
from forums.validation import is_id
from models import (
    Participant,
    Registration,
    RegistrationStatus,
    db,
)
from models.registrations import INITIAL, in_order

#: JSON types of a participant's writable fields

#: the statuses a registration may be created in, in a fixed order for messages and the OpenAPI document
INITIAL_STATUSES = in_order(INITIAL)



# JSON shapes (keys as in shared/contracts/API.md; fields may be added, never renamed) ----------------

def registration_json(registration: Registration) -> dict[str, Any]:
    """A registration, without anything about the person but their id."""
    return {
        "id": registration.id,
        "participant_id": registration.participant_id,
        "session_id": registration.session_id,
        "status": registration.status.value,
        "checked_in_at": iso_time(registration.checked_in_at),
    }


def registration_with_person_json(registration: Registration) -> dict[str, Any]:
    """A registration with the participant's name and categories, for the staff list."""
    return {
        **registration_json(registration),
        "name": registration.participant.name,
        "categories": participant_categories(registration.participant),
    }


@bp.route("/sessions/<int:session_id>/registrations", methods=["POST"])
def create_registration(session_id: int) -> ResponseReturnValue:
    """Invite or register a person (staff); ``registered`` past capacity is waitlisted."""
    forum_session = staff_session(session_id)
    data = json_body(allowed={"participant_id", "status"}, required={"participant_id", "status"})
    check_types(data, {"participant_id": int, "status": str})
    if data["status"] not in {status.value for status in INITIAL_STATUSES}:
        raise invalid({"status": _("Choose invited or registered.")})
    participant = db.session.get(Participant, data["participant_id"]) if is_id(data["participant_id"]) else None
    if participant is None:
        raise invalid({"participant_id": _("No such participant.")})
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
        raise invalid({"status": _("Choose one of: %(values)s.",
                                   values=", ".join(s.value for s in RegistrationStatus))})
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
            raise invalid({"status": _("Choose one of: %(values)s.",
                                       values=", ".join(s.value for s in RegistrationStatus))})
        statement = statement.where(Registration.status == RegistrationStatus(status))
    page = paginate(statement, Registration.id, registration_with_person_json)
    audit.record("registrations.read", "session", session_id, detail=f"{len(page['items'])} rows")
    db.session.commit()
    return jsonify(page)


# OpenAPI ------------------------------------------------------------------------------------------

REGISTRATION_STATUS = {"type": "string", "enum": [s.value for s in RegistrationStatus]}
SESSION_ID = path_parameter("session_id")
REGISTRATION_ID = path_parameter("registration_id")
REGISTRATION_REF = {"$ref": "#/components/schemas/Registration"}

REGISTRATION_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "participant_id": {"type": "integer"},
    "session_id": {"type": "integer"},
    "status": REGISTRATION_STATUS,
    "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
}

SCHEMAS: dict[str, Any] = {
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
