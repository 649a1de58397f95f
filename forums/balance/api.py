"""Balance policies and reports: ``/sessions/{id}/policy``, ``/sessions/{id}/balance``, ``/forums/{id}/policy``.

Reading a session's policy or balance is for staff and the session's facilitators; anyone else gets
a 404, as if the session did not exist. Writing a policy is for staff only. A refused policy changes
nothing and says why in words.
"""

import math
from typing import Any

from flask import abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.accounts.permissions import Need, can_facilitate, is_staff, object_or_404, session_or_abort, session_refusal
from forums.api import bp
from forums.api.errors import ApiError, invalid
from forums.api.openapi import error_responses, json_body, json_response
from forums.api.serialise import iso_time
from forums.api.support import json_body as read_json_body
from forums.api.support import not_found, signed_in_user, staff_user
from forums.balance import policies
from forums.balance import queries as balance_queries
from forums.balance.coarse import coarse_report
from forums.balance.policy_rules import PolicyProblem
from forums.balance.rules import STAGES, Quota
from forums.database import reads_only
from forums.i18n import current_language
from forums.web.cache import end_reads
from forums.web.compression import KeptResponse
from models import Forum, ForumSession, db

#: more quota lines than any real catalogue has categories: a bound on work per request
MAX_QUOTAS = 500
_COUNT_FIELDS = ("min_count", "max_count")


def _readable_session(session_id: int) -> ForumSession:
    """The session if the caller is staff or one of its facilitators; 401 anonymous, else 403 or 404 by the rule
    of ``forums.accounts.permissions``."""
    signed_in_user()
    return session_or_abort(session_id, Need.facilitate)


def _writable_session(session_id: int) -> ForumSession:
    """The session if the caller is staff; 401 anonymous, 403 any other role, 404 a session that is not there."""
    staff_user()
    return session_or_abort(session_id, Need.manage)


def _staff_forum(forum_id: int) -> Forum:
    """The forum, for staff only."""
    staff_user()
    return object_or_404(Forum, forum_id)


def _number(value: Any, field: str, *, whole: bool) -> float | int | None:
    """A count (whole) or share (fraction) field: a JSON number or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid({field: _("Expected a whole number.") if whole else _("Expected a number from 0 to 1.")})
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise invalid({field: _("Expected a whole number.")})
        return int(value)
    return float(value)


def _parse_quota(item: Any, prefix: str) -> Quota:
    if not isinstance(item, dict):
        raise invalid({prefix: _("Expected an object.")})
    allowed = {"dimension", "category", *policies.QUOTA_FIELDS}
    unknown = {f"{prefix}.{key}": _("Unknown field.") for key in item if key not in allowed}
    missing = {f"{prefix}.{key}": _("This field is required.")
               for key in ("dimension", "category") if not isinstance(item.get(key), str) or not item.get(key)}
    if unknown or missing:
        raise invalid({**unknown, **missing})
    limits: dict[str, Any] = {name: _number(item.get(name), f"{prefix}.{name}", whole=name in _COUNT_FIELDS)
              for name in policies.QUOTA_FIELDS}
    return Quota(item["dimension"], item["category"], **limits)


def _parse_quotas() -> list[Quota]:
    """The ``quotas`` of a PUT body, checked for shape (values are checked by the policy rules)."""
    data = read_json_body(allowed={"quotas"}, required={"quotas"})
    raw = data["quotas"]
    if not isinstance(raw, list):
        raise invalid({"quotas": _("Expected a list.")})
    if len(raw) > MAX_QUOTAS:
        raise invalid({"quotas": _("At most %(n)d lines.", n=MAX_QUOTAS)})
    return [_parse_quota(item, f"quotas[{index}]") for index, item in enumerate(raw)]


def _refusal(problems: list[PolicyProblem], quotas: list[Quota], catalogue: policies.Catalogue) -> ApiError:
    """A 422 naming every problem: per quota line (``quotas[i].field``) or per dimension (``dimensions.key``)."""
    locale = current_language()
    fields: dict[str, str] = {}
    messages: list[str] = []
    for index, problem in policies.problems_by_quota(problems, quotas):
        message = policies.problem_message(problem, catalogue, locale)
        if index is None:
            key = f"dimensions.{problem.dimension}"
        else:
            key = f"quotas[{index}]" + (f".{problem.field}" if problem.field else "")
        fields[key] = f"{fields[key]} {message}" if key in fields else message
        if message not in messages:
            messages.append(message)
    return invalid(fields, _("The policy was not saved: %(reasons)s", reasons=" ".join(messages)))


def _save(owner: ForumSession | Forum) -> None:
    """Validate and store the body's quotas as the owner's policy, or raise the refusal."""
    quotas = _parse_quotas()
    catalogue = policies.load_catalogue()
    problems = policies.save_policy(owner, quotas, catalogue)
    if problems:
        db.session.rollback()
        raise _refusal(problems, quotas, catalogue)
    db.session.commit()


def _policy_json(policy: policies.PolicyInForce, **owner: int) -> dict[str, Any]:
    return {
        **owner,
        "source": policy.source,
        "updated_at": iso_time(policy.updated_at),
        "quotas": [policies.quota_json(quota) for quota in policy.quotas],
    }


def _session_policy_json(forum_session: ForumSession) -> dict[str, Any]:
    policy = policies.session_policy(forum_session.id)
    return _policy_json(policy, session_id=forum_session.id, forum_id=forum_session.forum_id)


@bp.get("/sessions/<int:session_id>/policy")
def get_session_policy(session_id: int) -> ResponseReturnValue:
    """The policy in force: the session's own, else its forum's."""
    return jsonify(_session_policy_json(_readable_session(session_id)))


@bp.put("/sessions/<int:session_id>/policy")
def put_session_policy(session_id: int) -> ResponseReturnValue:
    """Replace the session's own policy (its override of the forum's)."""
    forum_session = _writable_session(session_id)
    _save(forum_session)
    return jsonify(_session_policy_json(forum_session))


@bp.delete("/sessions/<int:session_id>/policy")
def delete_session_policy(session_id: int) -> ResponseReturnValue:
    """Drop the session's override: the forum's policy applies again."""
    forum_session = _writable_session(session_id)
    policies.remove_session_policy(forum_session)
    db.session.commit()
    return jsonify(_session_policy_json(forum_session))


@bp.get("/sessions/<int:session_id>/balance")
@reads_only
def get_session_balance(session_id: int) -> ResponseReturnValue:
    """The balance report at ``?stage=`` (default ``registered``).

    Dashboards poll this: the session's balance stamp (one small query, which also says whether the
    session exists) decides whether this worker's copy of the report still holds.
    """
    user = signed_in_user()
    stamp = balance_queries.balance_stamp(session_id)
    if stamp is None:
        raise not_found()
    if not can_facilitate(user, session_id):
        # Refused: load the session only now, for the 403-or-404 of forums.accounts.permissions.
        abort(session_refusal(user, db.session.get(ForumSession, session_id), Need.facilitate) or 404)
    stage = request.args.get("stage", "registered")
    if stage not in STAGES:
        raise invalid({"stage": _("One of: %(stages)s.", stages=", ".join(STAGES))})
    if not is_staff(user):
        # A facilitator reads where each category stands, never a count that one check-in moves (SECURITY.md
        # T23): the door panel's coarse report, marked ``"detail": "coarse"``.
        report = balance_queries.session_balance_details(session_id, stage).report
        end_reads()
        return jsonify(coarse_report(report, current_app.config["SMALL_COUNT_THRESHOLD"]).to_json())
    body = balance_queries.session_balance_json_under(session_id, stage, stamp)
    end_reads()
    return KeptResponse(body, mimetype="application/json")


@bp.get("/forums/<int:forum_id>/policy")
def get_forum_policy(forum_id: int) -> ResponseReturnValue:
    """The forum's policy (sessions without their own follow it)."""
    forum = _staff_forum(forum_id)
    return jsonify(_policy_json(policies.forum_policy(forum.id), forum_id=forum.id))


@bp.put("/forums/<int:forum_id>/policy")
def put_forum_policy(forum_id: int) -> ResponseReturnValue:
    """Replace the forum's policy."""
    forum = _staff_forum(forum_id)
    _save(forum)
    return jsonify(_policy_json(policies.forum_policy(forum.id), forum_id=forum.id))


_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_COUNT = {"type": ["integer", "null"], "minimum": 0}
_LIMITS = {"min_count": _COUNT, "max_count": _COUNT, "min_share": _SHARE, "max_share": _SHARE, "target_share": _SHARE}

SCHEMAS: dict[str, Any] = {
    "Quota": {
        "type": "object",
        "required": ["dimension", "category"],
        "additionalProperties": False,
        "properties": {"dimension": {"type": "string"}, "category": {"type": "string"}, **_LIMITS},
    },
    "PolicyInput": {
        "type": "object",
        "required": ["quotas"],
        "additionalProperties": False,
        "properties": {"quotas": {"type": "array", "maxItems": MAX_QUOTAS,
                                  "items": {"$ref": "#/components/schemas/Quota"}}},
    },
    "Policy": {
        "type": "object",
        "required": ["source", "updated_at", "quotas"],
        "properties": {
            "session_id": {"type": "integer"},
            "forum_id": {"type": "integer"},
            "source": {"enum": ["session", "forum", "none"]},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "quotas": {"type": "array", "items": {"$ref": "#/components/schemas/Quota"}},
        },
    },
    "CoarseBalanceReport": {
        "type": "object",
        "description": "What a facilitator reads (SECURITY.md T23): where each category stands, no count or "
                       "share, and nothing per category while fewer than k people are counted",
        "required": ["detail", "session_id", "stage", "total", "k", "ok", "dimensions"],
        "properties": {
            "detail": {"const": "coarse"}, "session_id": {"type": "integer"}, "stage": {"type": "string"},
            "total": {"type": "integer"}, "k": {"type": "integer"}, "ok": {"type": ["boolean", "null"]},
            "dimensions": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "shown": {"type": "boolean"}, "ok": {"type": ["boolean", "null"]},
                "categories": {"type": "array", "items": {"type": "object", "properties": {
                    "key": {"type": "string"}, "status": {"enum": ["under", "ok", "over"]},
                    "counts_toward_balance": {"type": "boolean"}}}}}}},
        },
    },
    "BalanceReport": {
        "type": "object",
        "required": ["session_id", "stage", "total", "ok", "dimensions", "suggestions"],
        "properties": {
            "session_id": {"type": "integer"},
            "stage": {"enum": list(STAGES)},
            "total": {"type": "integer"},
            "ok": {"type": "boolean"},
            "dimensions": {"type": "array", "items": {
                "type": "object",
                "required": ["key", "counted", "gallagher", "ok", "categories"],
                "properties": {
                    "key": {"type": "string"},
                    "counted": {"type": "integer"},
                    "gallagher": {"type": ["number", "null"]},
                    "ok": {"type": "boolean"},
                    "categories": {"type": "array", "items": {
                        "type": "object",
                        "required": ["key", "count", "share", "status", *_LIMITS],
                        "properties": {
                            "key": {"type": "string"},
                            "count": {"type": "integer"},
                            "share": {"type": "number"},
                            "status": {"enum": ["under", "over", "ok"]},
                            "counts_toward_balance": {"type": "boolean"},
                            **_LIMITS,
                        },
                    }},
                },
            }},
            "suggestions": {"type": "array", "items": {
                "type": "object",
                "required": ["action", "dimension"],
                "properties": {
                    "action": {"enum": ["add", "remove", "infeasible"]},
                    "dimension": {"type": "string"},
                    "category": {"type": ["string", "null"]},
                    "count": {"type": "integer"},
                    "reason": {"type": "string"},
                    "code": {"type": "string"},
                },
            }},
        },
    },
}

_POLICY_RESPONSE = json_response("The policy in force", {"$ref": "#/components/schemas/Policy"})
_POLICY_BODY = json_body({"$ref": "#/components/schemas/PolicyInput"})


def _operation(summary: str, owner: str, statuses: tuple[int, ...], response: dict[str, Any], *,
               query: tuple[dict[str, Any], ...] = (), body: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI operation on ``/{owner}s/{owner_id}/...`` with its path parameter and error answers."""
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [{"name": f"{owner}_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                       *query],
        "responses": {"200": response, **error_responses(*statuses)},
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


_WRITE_ERRORS = (400, 401, 403, 404, 415, 422)
_STAGE = {"name": "stage", "in": "query", "schema": {"enum": list(STAGES), "default": "registered"}}

PATHS: dict[str, Any] = {
    "/sessions/{session_id}/policy": {
        "get": _operation("The policy in force (the session's own, else its forum's)", "session", (401, 404),
                          _POLICY_RESPONSE),
        "put": _operation("Replace the session's own policy", "session", _WRITE_ERRORS, _POLICY_RESPONSE,
                          body=_POLICY_BODY),
        "delete": _operation("Drop the session's own policy; the forum's applies again", "session",
                             (401, 403, 404), _POLICY_RESPONSE),
    },
    "/sessions/{session_id}/balance": {
        "get": _operation("The balance report at a stage (staff); the session's facilitators get the coarse one",
                          "session", (401, 403, 404, 422),
                          json_response("The balance report", {"oneOf": [
                              {"$ref": "#/components/schemas/BalanceReport"},
                              {"$ref": "#/components/schemas/CoarseBalanceReport"}]}),
                          query=(_STAGE,)),
    },
    "/forums/{forum_id}/policy": {
        "get": _operation("The forum's policy", "forum", (401, 403, 404), _POLICY_RESPONSE),
        "put": _operation("Replace the forum's policy", "forum", _WRITE_ERRORS, _POLICY_RESPONSE, body=_POLICY_BODY),
    },
}
