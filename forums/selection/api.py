"""``POST /sessions/{id}/selection``: draw a balanced panel for a session (staff only).

The answer is ``{"selected", "probabilities", "min_probability", "algorithm", "seed"}`` and, about the search,
``{"is_optimal", "upper_bound", "gap", "time_limit_seconds", "steps"}``: the optimisation stops after
``time_limit_seconds`` (the app's ``SELECTION_TIME_LIMIT`` unless the body asks for another, at most
``MAX_TIME_LIMIT_SECONDS``); when it stopped early ``is_optimal`` is false and ``gap`` is the proven
distance from ``min_probability`` to ``upper_bound``, which no distribution can beat.
Drawing changes nothing but the audit log (``selection.run`` with the seed); the invitations are made
on the selection page. Who is kept, who is never drawn and how shares become counts is documented in
``forums.selection.draw``. When the policy cannot be met the answer is a 422 with code
``infeasible``, the engine's ``reason``, the ``conflicts`` and the smallest ``relaxation``.
"""

from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.accounts.permissions import Need, session_or_abort
from forums.api import bp
from forums.api.errors import invalid
from forums.api.openapi import error_responses, json_response
from forums.api.openapi import json_body as body_schema
from forums.api.support import json_body, staff_user
from forums.balance import policies
from forums.i18n import current_language
from forums.selection import draw as selection_service
from forums.selection.draw import PanelSpec, PoolError
from forums.selection.messages import (
    conflict_text,
    infeasible_text,
    pool_error_text,
    random_seed,
    relaxation_text,
)
from forums.selection.rules import (
    MAX_POOL,
    MAX_SEED,
    MAX_TIME_LIMIT_SECONDS,
    TIME_LIMIT_CONFIG,
    TIME_LIMIT_SECONDS,
    WAITLIST,
)
from forums.selection.solver import ALGORITHMS, InfeasibleSelection
from forums.validation import is_id
from models import db

_FIELDS = ("pool", "size", "seed", "algorithm", "exclude", "max_per_organisation", "time_limit_seconds")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(value: Any, field: str) -> tuple[int, ...]:
    """A list of participant ids, at most ``MAX_POOL`` long."""
    if not isinstance(value, list) or not all(is_id(item) for item in value):
        raise invalid({field: _("Expected a list of participant ids.")})
    if len(value) > MAX_POOL:
        raise invalid({field: _("At most %(n)d people.", n=MAX_POOL)})
    return tuple(value)


def _number(data: dict[str, Any], field: str, low: int, high: int) -> int | None:
    """An optional whole number from ``low`` to ``high``."""
    value = data.get(field)
    if value is None:
        return None
    if not _whole(value) or not low <= value <= high:
        raise invalid({field: _("A whole number from %(low)d to %(high)d.", low=low, high=high)})
    return int(value)


def _spec(session_id: int, data: dict[str, Any]) -> PanelSpec:
    """The draw the body asks for, or a 422 naming the field at fault."""
    pool = data["pool"]
    if pool != WAITLIST:
        if not isinstance(pool, list):
            raise invalid({"pool": _("Expected \"waitlist\" or a list of participant ids.")})
        pool = _ids(pool, "pool")
    algorithm = data.get("algorithm") or "maximin"
    if algorithm not in ALGORITHMS:
        raise invalid({"algorithm": _("One of: %(values)s.", values=", ".join(ALGORITHMS))})
    size = _number(data, "size", 1, MAX_POOL)
    seed = _number(data, "seed", 0, MAX_SEED)
    assert size is not None  # required by json_body
    time_limit = _number(data, "time_limit_seconds", 1, MAX_TIME_LIMIT_SECONDS)
    if time_limit is None:
        time_limit = max(1, min(int(current_app.config.get(TIME_LIMIT_CONFIG, TIME_LIMIT_SECONDS)),
                                MAX_TIME_LIMIT_SECONDS))
    return PanelSpec(
        session_id, pool, size=size, seed=random_seed() if seed is None else seed, algorithm=algorithm,
        max_per_organisation=_number(data, "max_per_organisation", 1, MAX_POOL),
        exclude=frozenset(_ids(data.get("exclude", []), "exclude")), time_limit=time_limit,
    )


def _infeasible(error: InfeasibleSelection, spec: PanelSpec) -> ResponseReturnValue:
    """A 422 in the error format, extended with what conflicts and the smallest relaxation."""
    catalogue = policies.load_catalogue()
    locale = current_language()
    body = {"error": {
        "code": "infeasible",
        "message": infeasible_text(error, spec),
        "fields": {},
        "reason": error.reason,
        "conflicts": [
            {"dimension": bound.quota.dimension, "category": bound.quota.category, "bound": bound.bound,
             "count": bound.quota.min_count if bound.bound == "min" else bound.quota.max_count,
             "message": conflict_text(bound, catalogue, locale)}
            for bound in error.conflicting
        ],
        "relaxation": [
            {"dimension": change.quota.dimension, "category": change.quota.category,
             "lower_min_by": change.lower_min_by, "raise_max_by": change.raise_max_by,
             "message": relaxation_text(change, catalogue, locale)}
            for change in error.relaxation
        ],
    }}
    return jsonify(body), 422


@bp.post("/sessions/<int:session_id>/selection")
def draw_selection(session_id: int) -> ResponseReturnValue:
    """Draw a panel from a pool that meets the session's policy, with everyone's probability."""
    staff_user()
    session_or_abort(session_id, Need.manage)
    data = json_body(allowed=_FIELDS, required=("pool", "size"))
    spec = _spec(session_id, data)
    try:
        draw = selection_service.draw_panel(spec)
    except PoolError as error:
        raise invalid({error.field: pool_error_text(error)}) from None
    except InfeasibleSelection as error:
        db.session.rollback()
        return _infeasible(error, spec)
    db.session.commit()
    result = draw.result
    return jsonify({
        "selected": list(result.selected),
        "probabilities": {str(pid): probability for pid, probability in result.probabilities.items()},
        "min_probability": result.min_probability,
        "algorithm": result.algorithm,
        "seed": result.seed,
        "is_optimal": result.is_optimal,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "time_limit_seconds": draw.spec.time_limit,
        "steps": result.steps,
    })


_IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": MAX_POOL}
_RANGE = {"type": "integer", "minimum": 1, "maximum": MAX_POOL}
_QUOTA_KEYS = {"dimension": {"type": "string"}, "category": {"type": "string"}, "message": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "SelectionInput": {
        "type": "object",
        "required": ["pool", "size"],
        "additionalProperties": False,
        "properties": {
            "pool": {"oneOf": [{"const": WAITLIST}, _IDS],
                     "description": "The session's waitlist, or participant ids. People holding an invitation "
                                    "for the session (invited, registered, confirmed, attended) always join "
                                    "the pool and sit on every panel."},
            "size": {**_RANGE, "description": "Panel size, counting the people who already hold an invitation."},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED,
                     "description": "The same seed draws the same panel; a random one when absent."},
            "algorithm": {"enum": list(ALGORITHMS), "default": "maximin"},
            "exclude": {**_IDS, "description": "People of the pool never to draw."},
            "max_per_organisation": {**_RANGE, "type": ["integer", "null"]},
            "time_limit_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_SECONDS,
                                   "description": "Stop the search after this many seconds and answer with the "
                                                  "fairest distribution found; the app's configured limit "
                                                  "when absent."},
        },
    },
    "Selection": {
        "type": "object",
        "required": ["selected", "probabilities", "min_probability", "algorithm", "seed", "is_optimal",
                     "upper_bound", "gap", "time_limit_seconds", "steps"],
        "additionalProperties": False,
        "properties": {
            "selected": {"type": "array", "items": {"type": "integer"}},
            "probabilities": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0,
                                                                         "maximum": 1}},
            "min_probability": {"type": "number"},
            "algorithm": {"enum": list(ALGORITHMS)},
            "seed": {"type": "integer"},
            "is_optimal": {"type": "boolean",
                           "description": "False when the time limit stopped the search before it proved the "
                                          "distribution optimal."},
            "upper_bound": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "Proven: no distribution over panels meeting the policy gives everyone "
                                           "a probability above this."},
            "gap": {"type": "number", "minimum": 0,
                    "description": "upper_bound - min_probability: how much the smallest probability could still "
                                   "improve (0 when optimal)."},
            "time_limit_seconds": {"type": "number", "description": "The time limit the search ran under."},
            "steps": {"type": "integer", "minimum": 0, "description": "Solver steps taken (LP and ILP solves)."},
        },
    },
    "SelectionInfeasible": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "fields", "reason", "conflicts", "relaxation"],
            "properties": {
                "code": {"const": "infeasible"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
                "reason": {"enum": ["too_many_kept", "pool_too_small", "organisation_cap", "quotas_conflict"]},
                "conflicts": {"type": "array", "items": {
                    "type": "object", "required": ["dimension", "category", "bound", "count", "message"],
                    "properties": {**_QUOTA_KEYS, "bound": {"enum": ["min", "max"]}, "count": {"type": "integer"}},
                }},
                "relaxation": {"type": "array", "items": {
                    "type": "object",
                    "required": ["dimension", "category", "lower_min_by", "raise_max_by", "message"],
                    "properties": {**_QUOTA_KEYS, "lower_min_by": {"type": "integer"},
                                   "raise_max_by": {"type": "integer"}},
                }},
            },
        }},
    },
}

PATHS: dict[str, Any] = {
    "/sessions/{session_id}/selection": {
        "post": {
            "summary": "Draw a panel that meets every quota of the session's policy (maximin or leximin), "
                       "with everyone's selection probability; the seed is audited",
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": body_schema({"$ref": "#/components/schemas/SelectionInput"}),
            "responses": {
                "200": json_response("The panel and everyone's probability",
                                     {"$ref": "#/components/schemas/Selection"}),
                **error_responses(400, 401, 403, 404, 415),
                "422": {"description": "Invalid input (code ``invalid``), or no panel meets the policy "
                                       "(code ``infeasible``, with conflicts and the smallest relaxation)",
                        "content": {"application/json": {"schema": {"anyOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"$ref": "#/components/schemas/SelectionInfeasible"}]}}}},
            },
        },
    },
}
