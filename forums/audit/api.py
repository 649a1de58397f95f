"""``GET /api/v1/audit``: the audit log for admins, filtered and paged like every list."""

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.api import bp
from forums.api.errors import ApiError, invalid
from forums.api.openapi import (
    PAGING_PARAMETERS,
    error_responses,
    json_response,
    list_of,
)
from forums.api.support import paginate, parse_time, signed_in_user
from forums.audit import log as audit
from forums.i18n import to_local
from models import AuditEntry, Role


def _admin() -> None:
    """Only admins read the audit log (401 without a token, 403 for other roles)."""
    if signed_in_user().role is not Role.admin:
        raise ApiError(403, _("You are not allowed to do this."))


def _filter_from_query() -> audit.AuditFilter:
    """``?actor=&object=&since=``, refusing an object or a time it cannot read."""
    object_type, object_id = "", None
    if request.args.get("object"):
        parsed = audit.parse_object(request.args["object"])
        if parsed is None:
            raise invalid({"object": _("A type, or a type and an id: participant:12.")})
        object_type, object_id = parsed
    since = parse_time(request.args["since"], "since") if request.args.get("since") else None
    return audit.AuditFilter(actor=request.args.get("actor", ""), object_type=object_type,
                             object_id=object_id, since=since)


def _entry(entry: AuditEntry) -> dict[str, Any]:
    # ``detail`` stays on the admin page: the API contract lists exactly these fields.
    return {"id": entry.id, "at": to_local(entry.at).isoformat(), "actor": entry.actor, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id}


@bp.get("/audit")
def audit_list() -> ResponseReturnValue:
    """Audit entries, oldest first, optionally by actor, object and time (admin only)."""
    _admin()
    statement = audit.filtered_entries(_filter_from_query())
    return paginate(statement, AuditEntry.id, _entry)


_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "at", "actor", "action", "object_type", "object_id"],
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "object_type": {"type": "string"},
        "object_id": {"type": ["integer", "null"]},
    },
}

PATHS: dict[str, Any] = {
    "/audit": {
        "get": {
            "summary": "The audit log (admin only): who did what to which object, never the values",
            "parameters": [
                {"name": "actor", "in": "query", "schema": {"type": "string"},
                 "description": "The actor's label exactly, e.g. a staff e-mail or `anonymous`"},
                {"name": "object", "in": "query", "schema": {"type": "string", "pattern": "^[a-z_]+(:[0-9]+)?$"},
                 "description": "An object type, or type and id: `participant:12`"},
                {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"},
                 "description": "Entries at or after this time (with an offset)"},
                *PAGING_PARAMETERS,
            ],
            "responses": {"200": json_response("A page of audit entries", list_of(_ENTRY_SCHEMA)),
                          **error_responses(401, 403, 422)},
        }
    }
}
