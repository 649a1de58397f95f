"""Check-in that survives a dropped link: the device's list and the batch of events (issue 18).

Extensions of the contract (docs/CHECKIN.md):

* ``GET /sessions/{id}/checkin/roster``: what a device keeps to search and check in offline, only on
  the session's day: per person the registration id, the name, its search key, the status and whether
  they are expected; no organisation, no category. Audited as a read of the list.
* ``POST /sessions/{id}/checkin/events``: a batch of events, taken once each by ``(session, client
  id)``; the answer says what was made of each (``forums.checkin.sync``).
"""

import re
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.api import bp
from forums.api.errors import invalid
from forums.api.openapi import error_responses, json_response
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import iso_time
from forums.api.support import json_body, parse_time, signed_in_user
from forums.audit import log as audit
from forums.checkin import door, events, sync
from forums.checkin.api import checkin_session
from forums.i18n import to_local
from forums.people.operations import ParticipantInput
from models import CheckinEventKind, ForumSession, RegistrationStatus, db, utcnow

#: client and device ids: what the page's script makes (hex), or any short token of letters, digits, - and _
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

#: the most people a device keeps for one session
ROSTER_LIMIT = 5000

_EVENT_FIELDS = {"client_id", "kind", "device_id", "device_at", "registration_id", "walk_in"}


def _holds_offline(forum_session: ForumSession) -> bool:
    """Whether today, where the session is held, is one of its days (``sync.may_hold_offline``)."""
    return sync.may_hold_offline(to_local(forum_session.starts_at).date(), to_local(forum_session.ends_at).date(),
                                 to_local(utcnow()).date())


@bp.route("/sessions/<int:session_id>/checkin/roster")
def checkin_roster(session_id: int) -> ResponseReturnValue:
    """The least a device needs to search and check in offline, on the session's day only (else no one)."""
    forum_session = checkin_session(session_id)
    people: list[door.ExpectedPerson] = []
    if _holds_offline(forum_session):
        people, _next = door.search_expected(session_id, limit=ROSTER_LIMIT)
    audit.record("checkin.list", "session", session_id, detail=f"{len(people)} rows, kept offline")
    db.session.commit()
    return jsonify({
        "session_id": session_id,
        "holds_until": iso_time(forum_session.ends_at) if people else None,
        "items": [{"registration_id": person.registration_id, "name": person.name, "key": person.sort_key,
                   "status": person.status.value,
                   "expected": person.status in door.EXPECTED_COUNT or person.status is RegistrationStatus.attended}
                  for person in people],
    })


def _event(raw: Any, index: int) -> events.IncomingEvent:
    """One event of the batch, checked; a 422 naming ``events.<index>.<field>`` otherwise."""
    where = f"events.{index}"
    if not isinstance(raw, dict):
        raise invalid({where: _("Expected an object.")})
    unknown = sorted(set(raw) - _EVENT_FIELDS)
    if unknown:
        raise invalid({f"{where}.{unknown[0]}": _("Unknown field.")})
    for field in ("client_id", "device_id"):
        if not isinstance(raw.get(field), str) or not CLIENT_ID.match(raw[field]):
            raise invalid({f"{where}.{field}": _("Use 1 to 80 letters, digits, - or _.")})
    try:
        kind = CheckinEventKind(str(raw.get("kind")))
    except ValueError:
        raise invalid({f"{where}.kind": _("Expected check_in, undo or walk_in.")}) from None
    if kind is CheckinEventKind.paper or raw["device_id"] == events.PAPER_DEVICE:
        # Paper sheets are typed back on their own page, which makes their events itself.
        raise invalid({f"{where}.kind": _("Expected check_in, undo or walk_in.")})
    device_at = parse_time(raw.get("device_at"), f"{where}.device_at")
    if kind is CheckinEventKind.walk_in:
        return events.IncomingEvent(raw["client_id"], kind, raw["device_id"], device_at,
                                    walk_in=_walk_in(raw.get("walk_in"), f"{where}.walk_in"))
    registration_id = raw.get("registration_id")
    if not isinstance(registration_id, int) or isinstance(registration_id, bool) or registration_id < 1:
        raise invalid({f"{where}.registration_id": _("Expected a whole number.")})
    return events.IncomingEvent(raw["client_id"], kind, raw["device_id"], device_at, registration_id=registration_id)


def _walk_in(raw: Any, where: str) -> ParticipantInput:
    """The walk-in's person: a name, an organisation and categories by dimension key (the register checks them)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise invalid({f"{where}.name": _("This field is required.")})
    organisation = raw.get("organisation", "")
    categories = raw.get("categories", {})
    if not isinstance(organisation, str):
        raise invalid({f"{where}.organisation": _("Expected text.")})
    if not isinstance(categories, dict) or not all(isinstance(value, str) for value in categories.values()):
        raise invalid({f"{where}.categories": _("Expected an object of category keys.")})
    # Lengths and categories are the register's to check: a walk-in it refuses is kept as refused, with why.
    return ParticipantInput(name=raw["name"], organisation=organisation, categories=categories)


@bp.route("/sessions/<int:session_id>/checkin/events", methods=["POST"])
def checkin_events(session_id: int) -> ResponseReturnValue:
    """Take a device's queued events; a batch sent again changes nothing and gets the same answer."""
    forum_session = checkin_session(session_id)
    user = signed_in_user()
    data = json_body(allowed={"events"}, required={"events"})
    raw_events = data["events"]
    if not isinstance(raw_events, list) or not 1 <= len(raw_events) <= events.MAX_BATCH:
        raise invalid({"events": _("Send 1 to %(n)d events.", n=events.MAX_BATCH)})
    incoming = [_event(raw, index) for index, raw in enumerate(raw_events)]
    results = events.apply_events(forum_session, user.id, incoming)
    counts = door.attendance(session_id, forum_session.capacity)
    db.session.commit()
    return jsonify({
        "items": [{"client_id": result.client_id, "outcome": result.outcome.value,
                   "review": result.review.value if result.review else None,
                   "registration_id": result.registration_id,
                   "status": result.status.value if result.status else None,
                   "replayed": result.replayed, **({"fields": result.fields} if result.fields else {})}
                  for result in results],
        "attended": counts.attended,
        "expected": counts.expected,
        "received_at": iso_time(utcnow()),
    })


_SESSION_ID = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ID_PATTERN = CLIENT_ID.pattern

SCHEMAS: dict[str, Any] = {
    "CheckinRoster": {
        "type": "object",
        "required": ["session_id", "holds_until", "items"],
        "properties": {
            "session_id": {"type": "integer"},
            "holds_until": {"type": ["string", "null"], "format": "date-time",
                            "description": "when the device must wipe the list (the session's end)"},
            "items": {"type": "array", "items": {
                "type": "object", "required": ["registration_id", "name", "key", "status", "expected"],
                "properties": {"registration_id": {"type": "integer"}, "name": {"type": "string"},
                               "key": {"type": "string", "description": "the name's cross-script search key"},
                               "status": {"type": "string"}, "expected": {"type": "boolean"}},
            }},
        },
    },
    "CheckinEventResults": {
        "type": "object",
        "required": ["items", "attended", "expected", "received_at"],
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object",
                "required": ["client_id", "outcome", "review", "registration_id", "status", "replayed"],
                "properties": {
                    "client_id": {"type": "string"},
                    "outcome": {"enum": ["applied", "counted_once", "no_change", "reconcile", "refused"]},
                    "review": {"type": ["string", "null"]},
                    "registration_id": {"type": ["integer", "null"]},
                    "status": {"type": ["string", "null"]},
                    "replayed": {"type": "boolean"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }},
            "attended": {"type": "integer"},
            "expected": {"type": "integer"},
            "received_at": {"type": "string", "format": "date-time"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/sessions/{session_id}/checkin/roster": {
        "get": {
            "summary": "The list a device keeps offline on the session's day: names, search keys, statuses "
                       "(extension; audited); empty on any other day",
            "parameters": [_SESSION_ID],
            "responses": {"200": json_response("The roster", {"$ref": "#/components/schemas/CheckinRoster"}),
                          **error_responses(401, 403, 404)},
        },
    },
    "/sessions/{session_id}/checkin/events": {
        "post": {
            "summary": "A batch of check-in events from a device, each taken once by (session, client_id) "
                       "(extension; rules in docs/CHECKIN.md)",
            "parameters": [_SESSION_ID],
            "requestBody": body_schema({
                "type": "object", "required": ["events"], "additionalProperties": False,
                "properties": {"events": {"type": "array", "minItems": 1, "maxItems": events.MAX_BATCH, "items": {
                    "type": "object", "required": ["client_id", "kind", "device_id", "device_at"],
                    "additionalProperties": False,
                    "properties": {
                        "client_id": {"type": "string", "pattern": _ID_PATTERN},
                        "kind": {"enum": ["check_in", "undo", "walk_in"]},
                        "device_id": {"type": "string", "pattern": _ID_PATTERN},
                        "device_at": {"type": "string", "format": "date-time"},
                        "registration_id": {"type": "integer", "minimum": 1},
                        "walk_in": {"type": "object", "required": ["name"], "properties": {
                            "name": {"type": "string"}, "organisation": {"type": "string"},
                            "categories": {"type": "object", "additionalProperties": {"type": "string"}}}},
                    },
                }}},
            }),
            "responses": {"200": json_response("What was made of each event",
                                               {"$ref": "#/components/schemas/CheckinEventResults"}),
                          **error_responses(400, 401, 403, 404, 415, 422)},
        },
    },
}
