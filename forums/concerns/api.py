"""Concerns, issues, answers and commitments in the JSON API (staff), described in OpenAPI.

Every change goes through ``forums.concerns.operations`` (stages, limits, audit). Lists are per session or
forum; single objects are changed at their own address. No answer names a submitter: a concern carries the
submitter's id only where the forum's anonymity lets staff know who raised it, and the categories held at
submission always.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from forums.accounts.permissions import object_or_404
from forums.api import bp
from forums.api.errors import invalid
from forums.api.openapi import PAGING_PARAMETERS, error_responses, json_response, list_of
from forums.api.openapi import json_body as body_schema
from forums.api.serialise import WRITE_ERRORS, check_types, iso_time, path_parameter, text_schema
from forums.api.support import json_body, paginate_loaded, staff_session, staff_user
from forums.audit import log as audit
from forums.balance.policies import load_catalogue
from forums.concerns import operations, queries
from forums.concerns.anonymity import shows_submitter
from forums.concerns.support import Support
from forums.i18n import display_zone
from forums.validation import is_id
from models import (
    Commitment,
    Concern,
    ConcernAnswer,
    ConcernIssue,
    ConcernStage,
    Forum,
    ForumSession,
    Participant,
    db,
    utcnow,
)
from models.concerns import (
    BALANCE_STAGES,
    CONCERN_LANGUAGES,
    ISSUE_STAGES,
    AnswerState,
    Channel,
    CommitmentStatus,
)

#: the moves of one concern the API takes (grouping is done through an issue)
MODERATION = ("submitted", "accepted", "declined")


def _choice(data: dict[str, Any], field: str, values: tuple[str, ...]) -> str:
    value = data[field]
    if value not in values:
        raise invalid({field: _("Choose one of: %(values)s.", values=", ".join(values))})
    return str(value)


def _date(data: dict[str, Any], field: str) -> date:
    try:
        return date.fromisoformat(data[field])
    except (TypeError, ValueError):
        raise invalid({field: _("Expected a date, e.g. 2026-12-03.")}) from None


# JSON shapes ------------------------------------------------------------------------------------------------

def concern_json(concern: Concern, support: Support, staff_may_know: bool,
                 keys: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """A concern: its text and translations, stage, categories at submission (``keys``: the catalogue's
    (dimension key, category key) per category id) and support."""
    return {
        "id": concern.id,
        "session_id": concern.session_id,
        "submitter_id": concern.submitter_id if staff_may_know else None,
        "channel": concern.channel.value,
        "language": concern.language,
        "text": concern.text,
        "translations": {language: {"text": entry.get("text", ""), "done": bool(entry.get("done"))}
                         for language, entry in (concern.translations or {}).items()},
        "stage": concern.stage.value,
        "decline_reason": concern.decline_reason,
        "issue_id": concern.issue_id,
        "categories": dict(keys[link.category_id] for link in concern.categories if link.category_id in keys),
        "submitted_at": iso_time(concern.submitted_at),
        "support": {"raw": support.raw, "across_constituencies": round(support.across, 6)},
    }


def commitment_json(commitment: Commitment, today: date) -> dict[str, Any]:
    """A commitment, with whether it is overdue today."""
    return {"id": commitment.id, "answer_id": commitment.answer_id, "description": commitment.description,
            "owner": commitment.owner, "due_on": commitment.due_on.isoformat(), "status": commitment.status.value,
            "overdue": queries.is_overdue(commitment, today)}


def answer_json(answer: ConcernAnswer, today: date) -> dict[str, Any]:
    """An official's answer with its commitments; ``published_at`` null while a draft."""
    return {"id": answer.id, "issue_id": answer.issue_id, "official": answer.official, "authority": answer.authority,
            "answered_on": answer.answered_on.isoformat(), "text": answer.text, "state": answer.state.value,
            "published_at": iso_time(answer.published_at),
            "commitments": [commitment_json(each, today) for each in answer.commitments]}


def issue_json(issue: ConcernIssue, today: date) -> dict[str, Any]:
    """An issue with its concerns' ids and its answers."""
    return {"id": issue.id, "session_id": issue.session_id, "title": issue.title, "stage": issue.stage.value,
            "agenda_item_id": issue.agenda_item_id, "merged_into_id": issue.merged_into_id,
            "concern_ids": [concern.id for concern in issue.concerns],
            "answers": [answer_json(answer, today) for answer in issue.answers]}


def _today() -> date:
    return utcnow().astimezone(display_zone()).date()


def _concerns_page(forum_session: ForumSession) -> dict[str, Any]:
    settings = operations.settings_of(forum_session.forum_id)
    support = queries.support_of_session(forum_session.id)
    staff_may_know = shows_submitter(settings.anonymity.value, "staff", False)
    keys = load_catalogue().keys_by_category_id()
    return paginate_loaded(queries.session_concerns(forum_session.id),
                           lambda concern: concern_json(concern, support[concern.id], staff_may_know, keys))


# Concerns ----------------------------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/concerns")
def list_concerns(session_id: int) -> ResponseReturnValue:
    """The session's concerns with stage, categories at submission and support (staff); the read is audited."""
    forum_session = staff_session(session_id)
    page = _concerns_page(forum_session)
    audit.record("concern.list", "session", session_id, detail=f"api, {len(page['items'])} rows")
    db.session.commit()
    return jsonify(page)


@bp.route("/sessions/<int:session_id>/concerns", methods=["POST"])
def create_concern(session_id: int) -> ResponseReturnValue:
    """Record a concern typed in from paper or from the floor (staff)."""
    forum_session = staff_session(session_id)
    data = json_body(allowed={"participant_id", "channel", "language", "text", "agrees_to_be_named"},
                     required={"participant_id", "channel", "language", "text"})
    check_types(data, {"participant_id": int, "channel": str, "language": str, "text": str,
                       "agrees_to_be_named": bool})
    channel = Channel(_choice(data, "channel", (Channel.paper.value, Channel.floor.value)))
    participant = db.session.get(Participant, data["participant_id"]) if is_id(data["participant_id"]) else None
    if participant is None:
        raise invalid({"participant_id": _("No such participant.")})
    concern = operations.submit(forum_session, participant, channel=channel, language=data["language"],
                                text=data["text"], agrees_to_be_named=bool(data.get("agrees_to_be_named")))
    db.session.commit()
    return _one_concern(concern.id), 201


def _one_concern(concern_id: int) -> Response:
    concern = queries.concern(concern_id)
    assert concern is not None
    forum_session = concern.forum_session
    settings = operations.settings_of(forum_session.forum_id)
    support = queries.support_of_session(forum_session.id)[concern.id]
    return jsonify(concern_json(concern, support, shows_submitter(settings.anonymity.value, "staff", False),
                                load_catalogue().keys_by_category_id()))


@bp.route("/concerns/<int:concern_id>", methods=["PATCH"])
def update_concern(concern_id: int) -> ResponseReturnValue:
    """Moderate a concern (accept, decline with a reason, reconsider) or save a translation (staff)."""
    concern = _within_reach(Concern, concern_id)
    data = json_body(allowed={"stage", "decline_reason", "translation"})
    check_types(data, {"stage": str, "decline_reason": str, "translation": dict})
    if "stage" in data and data["stage"] != concern.stage.value:
        operations.moderate(concern, ConcernStage(_choice(data, "stage", MODERATION)), data.get("decline_reason", ""))
    if "translation" in data:
        translation = data["translation"]
        check_types(translation, {"language": str, "text": str, "done": bool})
        if not {"language", "text"} <= set(translation) or set(translation) - {"language", "text", "done"}:
            raise invalid({"translation": _("Give language, text and, when it is finished, done: true.")})
        operations.save_translation(concern, translation["language"], translation["text"],
                                    bool(translation.get("done")))
    db.session.commit()
    return _one_concern(concern.id)


@bp.route("/sessions/<int:session_id>/concerns/balance")
def concern_balance(session_id: int) -> ResponseReturnValue:
    """The balance report of the session's concerns at a stage (staff), by the submitters' categories at submission."""
    staff_session(session_id)
    stage = request.args.get("stage", BALANCE_STAGES[0])
    if stage not in BALANCE_STAGES:
        raise invalid({"stage": _("Choose one of: %(values)s.", values=", ".join(BALANCE_STAGES))})
    return jsonify(queries.concern_balance(session_id).report(stage).to_json())


# Issues, answers, commitments ------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/concern-issues")
def list_issues(session_id: int) -> ResponseReturnValue:
    """The session's issues with their concerns' ids, answers and commitments (staff)."""
    staff_session(session_id)
    today = _today()
    return jsonify(paginate_loaded(queries.session_issues(session_id), lambda issue: issue_json(issue, today)))


@bp.route("/sessions/<int:session_id>/concern-issues", methods=["POST"])
def create_issue(session_id: int) -> ResponseReturnValue:
    """Group accepted concerns of the session into a new issue (staff)."""
    forum_session = staff_session(session_id)
    data = json_body(allowed={"title", "concern_ids"}, required={"title", "concern_ids"})
    check_types(data, {"title": str, "concern_ids": list})
    ids = data["concern_ids"]
    if not all(is_id(each) for each in ids):
        raise invalid({"concern_ids": _("Expected a list of ids.")})
    concerns = operations.concerns_of_session(session_id, ids)
    if len(concerns) != len(set(ids)):
        raise invalid({"concern_ids": _("Every concern must be of the issue's session.")})
    issue = operations.new_issue(forum_session, data["title"])
    operations.group(concerns, issue)
    db.session.commit()
    return _one_issue(issue.id), 201


def _one_issue(issue_id: int) -> Response:
    db.session.expire_all()
    issue = db.session.scalar(sa.select(ConcernIssue).where(ConcernIssue.id == issue_id).options(
        selectinload(ConcernIssue.concerns),
        selectinload(ConcernIssue.answers).selectinload(ConcernAnswer.commitments)))
    assert issue is not None
    return jsonify(issue_json(issue, _today()))


@bp.route("/concern-issues/<int:issue_id>", methods=["PATCH"])
def update_issue(issue_id: int) -> ResponseReturnValue:
    """Move an issue to a stage (``agenda_item_id`` for the agenda), or merge it into another (staff)."""
    issue = _within_reach(ConcernIssue, issue_id)
    data = json_body(allowed={"stage", "agenda_item_id", "merge_into"})
    check_types(data, {"stage": str, "agenda_item_id": int, "merge_into": int})
    if "merge_into" in data:
        target = db.session.get(ConcernIssue, data["merge_into"]) if is_id(data["merge_into"]) else None
        if target is None:
            raise invalid({"merge_into": _("No such issue.")})
        operations.merge_issues(issue, target)
    if "stage" in data and data["stage"] != issue.stage.value:
        stage = _choice(data, "stage", tuple(each.value for each in ISSUE_STAGES))
        operations.move_issue(issue, ConcernStage(stage), data.get("agenda_item_id"))
    db.session.commit()
    return _one_issue(issue.id)


@bp.route("/concern-issues/<int:issue_id>/answers", methods=["POST"])
def create_answer(issue_id: int) -> ResponseReturnValue:
    """Record an official's answer to an issue as a draft (staff)."""
    issue = _within_reach(ConcernIssue, issue_id, selectinload(ConcernIssue.answers))
    fields = {"official", "authority", "answered_on", "text", "state"}
    data = json_body(allowed=fields, required=fields)
    check_types(data, {name: str for name in fields})
    state = AnswerState(_choice(data, "state", tuple(each.value for each in AnswerState)))
    answer = operations.draft_answer(issue, official=data["official"], authority=data["authority"],
                                     answered_on=_date(data, "answered_on"), text=data["text"], state=state)
    db.session.commit()
    return jsonify(answer_json(_answer(answer.id), _today())), 201


def _answer(answer_id: int) -> ConcernAnswer:
    staff_user()
    answer = object_or_404(ConcernAnswer, answer_id, selectinload(ConcernAnswer.commitments),
                           joinedload(ConcernAnswer.issue).selectinload(ConcernIssue.concerns))
    staff_session(answer.issue.session_id)
    return answer


Reached = TypeVar("Reached", Concern, ConcernIssue)


def _within_reach(model: type[Reached], object_id: int, *options: ORMOption) -> Reached:
    """The concern or issue if the caller may manage its session: role first (401/403), then the object (404),
    and for an organiser limited to some forums only one of theirs (``staff_session``, as for the session)."""
    staff_user()
    found = object_or_404(model, object_id, *options)
    staff_session(found.session_id)
    return found


@bp.route("/concern-answers/<int:answer_id>", methods=["PATCH"])
def update_answer(answer_id: int) -> ResponseReturnValue:
    """Publish a drafted answer (staff): ``{"published": true}``."""
    answer = _answer(answer_id)
    data = json_body(allowed={"published"}, required={"published"})
    check_types(data, {"published": bool})
    if data["published"] is not True:
        raise invalid({"published": _("A published answer cannot be taken back; send true to publish.")})
    operations.publish_answer(answer)
    db.session.commit()
    return jsonify(answer_json(_answer(answer_id), _today()))


@bp.route("/concern-answers/<int:answer_id>/commitments", methods=["POST"])
def create_commitment(answer_id: int) -> ResponseReturnValue:
    """Add a commitment to an answer (staff)."""
    answer = _answer(answer_id)
    fields = {"description", "owner", "due_on"}
    data = json_body(allowed=fields, required=fields)
    check_types(data, {name: str for name in fields})
    commitment = operations.add_commitment(answer, description=data["description"], owner=data["owner"],
                                           due_on=_date(data, "due_on"))
    db.session.commit()
    return jsonify(commitment_json(commitment, _today())), 201


@bp.route("/commitments/<int:commitment_id>", methods=["PATCH"])
def update_commitment(commitment_id: int) -> ResponseReturnValue:
    """Mark a commitment open, done or dropped (staff)."""
    staff_user()
    commitment = object_or_404(Commitment, commitment_id)
    _answer(commitment.answer_id)  # in reach through its answer's session
    data = json_body(allowed={"status"}, required={"status"})
    check_types(data, {"status": str})
    operations.set_commitment_status(commitment, CommitmentStatus(
        _choice(data, "status", tuple(each.value for each in CommitmentStatus))))
    db.session.commit()
    return jsonify(commitment_json(commitment, _today()))


@bp.route("/forums/<int:forum_id>/commitments")
def list_commitments(forum_id: int) -> ResponseReturnValue:
    """The forum's open commitments across its sessions, soonest due first, each saying whether it is overdue."""
    staff_user()
    object_or_404(Forum, forum_id)
    today = _today()
    return jsonify(paginate_loaded(queries.forum_commitments(forum_id), lambda each: commitment_json(each, today)))


# OpenAPI ------------------------------------------------------------------------------------------------------

def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STAGE = {"type": "string", "enum": [stage.value for stage in ConcernStage]}
_DATE = {"type": "string", "format": "date"}
_NULLABLE_ID = {"type": ["integer", "null"]}
_COMMITMENT = {
    "type": "object", "required": ["id", "answer_id", "description", "owner", "due_on", "status", "overdue"],
    "properties": {"id": {"type": "integer"}, "answer_id": {"type": "integer"}, "description": {"type": "string"},
                   "owner": {"type": "string"}, "due_on": _DATE,
                   "status": {"type": "string", "enum": [each.value for each in CommitmentStatus]},
                   "overdue": {"type": "boolean"}},
}
_ANSWER = {
    "type": "object",
    "required": ["id", "issue_id", "official", "authority", "answered_on", "text", "state", "published_at",
                 "commitments"],
    "properties": {"id": {"type": "integer"}, "issue_id": {"type": "integer"}, "official": {"type": "string"},
                   "authority": {"type": "string"}, "answered_on": _DATE, "text": {"type": "string"},
                   "state": {"type": "string", "enum": [each.value for each in AnswerState]},
                   "published_at": {"type": ["string", "null"], "format": "date-time"},
                   "commitments": {"type": "array", "items": _ref("Commitment")}},
}
_ISSUE = {
    "type": "object",
    "required": ["id", "session_id", "title", "stage", "agenda_item_id", "merged_into_id", "concern_ids", "answers"],
    "properties": {"id": {"type": "integer"}, "session_id": {"type": "integer"}, "title": {"type": "string"},
                   "stage": _STAGE, "agenda_item_id": _NULLABLE_ID, "merged_into_id": _NULLABLE_ID,
                   "concern_ids": {"type": "array", "items": {"type": "integer"}},
                   "answers": {"type": "array", "items": _ref("ConcernAnswer")}},
}
_CONCERN_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "session_id": {"type": "integer"},
    "submitter_id": {"type": ["integer", "null"], "description": "null where the forum is fully anonymous"},
    "channel": {"type": "string", "enum": [each.value for each in Channel]},
    "language": {"type": "string", "enum": list(CONCERN_LANGUAGES)}, "text": {"type": "string"},
    "translations": {"type": "object", "additionalProperties": {
        "type": "object", "required": ["text", "done"],
        "properties": {"text": {"type": "string"}, "done": {"type": "boolean"}}}},
    "stage": _STAGE, "decline_reason": {"type": "string"}, "issue_id": _NULLABLE_ID,
    "categories": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "the submitter's category per dimension when the concern was submitted"},
    "submitted_at": {"type": "string", "format": "date-time"},
    "support": {"type": "object", "required": ["raw", "across_constituencies"],
                "properties": {"raw": {"type": "integer"}, "across_constituencies": {
                    "type": "number", "description": "product over groups of (supporters + 1) / (members + 2)"}}},
}
SCHEMAS: dict[str, Any] = {
    "Concern": {"type": "object", "required": list(_CONCERN_PROPERTIES), "properties": _CONCERN_PROPERTIES},
    "ConcernIssue": _ISSUE,
    "ConcernAnswer": _ANSWER,
    "Commitment": _COMMITMENT,
}

SESSION_ID = path_parameter("session_id")
_TEXT = text_schema(operations.MAX_TEXT, required=True)
_LINE = text_schema(operations.MAX_LINE, required=True)


def _write(summary: str, parameter: str, body: dict[str, Any], schema: str, status: str = "200") -> dict[str, Any]:
    return {"summary": summary, "parameters": [path_parameter(parameter)],
            "requestBody": body_schema({"type": "object", "additionalProperties": False, **body}),
            "responses": {status: json_response(f"The {schema}", _ref(schema)), **error_responses(*WRITE_ERRORS)}}


PATHS: dict[str, Any] = {
    "/sessions/{session_id}/concerns": {
        "get": {"summary": "A session's concerns (staff); the read is audited",
                "parameters": [SESSION_ID, *PAGING_PARAMETERS],
                "responses": {"200": json_response("A page of concerns", list_of(_ref("Concern"))),
                              **error_responses(401, 403, 404, 422)}},
        "post": _write("Record a concern from paper or the floor (staff)", "session_id", {
            "required": ["participant_id", "channel", "language", "text"],
            "properties": {"participant_id": {"type": "integer"},
                           "channel": {"type": "string", "enum": [Channel.paper.value, Channel.floor.value]},
                           "language": {"type": "string", "enum": list(CONCERN_LANGUAGES)}, "text": _TEXT,
                           "agrees_to_be_named": {"type": "boolean"}}}, "Concern", "201"),
    },
    "/concerns/{concern_id}": {
        "patch": _write("Moderate a concern or save a translation (staff)", "concern_id", {
            "properties": {"stage": {"type": "string", "enum": list(MODERATION)},
                           "decline_reason": text_schema(operations.MAX_TEXT),
                           "translation": {"type": "object", "additionalProperties": False,
                                           "required": ["language", "text"],
                                           "properties": {"language": {"type": "string"},
                                                          "text": text_schema(operations.MAX_TEXT),
                                                          "done": {"type": "boolean"}}}}}, "Concern"),
    },
    "/sessions/{session_id}/concerns/balance": {
        "get": {"summary": "The balance report of the session's concerns at a stage (staff)",
                "parameters": [SESSION_ID, {"name": "stage", "in": "query",
                                            "schema": {"type": "string", "enum": list(BALANCE_STAGES)}}],
                "responses": {"200": json_response("The balance report, as for attendance",
                                                   {"type": "object"}),
                              **error_responses(401, 403, 404, 422)}},
    },
    "/sessions/{session_id}/concern-issues": {
        "get": {"summary": "A session's issues with answers and commitments (staff)",
                "parameters": [SESSION_ID, *PAGING_PARAMETERS],
                "responses": {"200": json_response("A page of issues", list_of(_ref("ConcernIssue"))),
                              **error_responses(401, 403, 404, 422)}},
        "post": _write("Group accepted concerns into a new issue (staff)", "session_id", {
            "required": ["title", "concern_ids"],
            "properties": {"title": text_schema(operations.MAX_TITLE, required=True),
                           "concern_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1}}},
            "ConcernIssue", "201"),
    },
    "/concern-issues/{issue_id}": {
        "patch": _write("Move an issue to a stage or merge it into another (staff); nothing is deleted", "issue_id", {
            "properties": {"stage": {"type": "string", "enum": [each.value for each in ISSUE_STAGES]},
                           "agenda_item_id": {"type": "integer"}, "merge_into": {"type": "integer"}}},
            "ConcernIssue"),
    },
    "/concern-issues/{issue_id}/answers": {
        "post": _write("Record an official's answer as a draft (staff)", "issue_id", {
            "required": ["official", "authority", "answered_on", "text", "state"],
            "properties": {"official": _LINE, "authority": _LINE, "answered_on": _DATE, "text": _TEXT,
                           "state": {"type": "string", "enum": [each.value for each in AnswerState]}}},
            "ConcernAnswer", "201"),
    },
    "/concern-answers/{answer_id}": {
        "patch": _write("Publish a drafted answer (staff)", "answer_id", {
            "required": ["published"], "properties": {"published": {"const": True}}}, "ConcernAnswer"),
    },
    "/concern-answers/{answer_id}/commitments": {
        "post": _write("Add a commitment to an answer (staff)", "answer_id", {
            "required": ["description", "owner", "due_on"],
            "properties": {"description": _TEXT, "owner": _LINE, "due_on": _DATE}}, "Commitment", "201"),
    },
    "/commitments/{commitment_id}": {
        "patch": _write("Mark a commitment open, done or dropped (staff)", "commitment_id", {
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": [each.value for each in CommitmentStatus]}}},
            "Commitment"),
    },
    "/forums/{forum_id}/commitments": {
        "get": {"summary": "A forum's open commitments across its sessions, with overdue ones marked (staff)",
                "parameters": [path_parameter("forum_id"), *PAGING_PARAMETERS],
                "responses": {"200": json_response("A page of commitments", list_of(_ref("Commitment"))),
                              **error_responses(401, 403, 404, 422)}},
    },
}
