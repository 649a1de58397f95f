"""``GET /api/v1/reports``: the report for headquarters as JSON, for integrations (staff only, audited)."""

from datetime import date
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums.api import bp
from forums.api.errors import invalid
from forums.api.openapi import error_responses, json_response
from forums.api.support import staff_user
from forums.audit import log as audit
from forums.i18n import current_language, to_local
from forums.reports import forms, queries, rules
from forums.reports.sections import sections_for
from models import utcnow


def _period() -> tuple[date, date]:
    """``from`` and ``to`` of the query; neither: the last calendar month, as on the report page."""
    if "from" not in request.args and "to" not in request.args:
        return rules.last_month(to_local(utcnow()).date())
    return _day("from"), _day("to")


def _day(field: str) -> date:
    """A date of the query (``YYYY-MM-DD``), or a 422 naming the field."""
    raw = request.args.get(field, "")
    try:
        # fromisoformat alone also takes 20261103 and week dates: only the one form is accepted
        if len(raw) == 10 and raw[4] == raw[7] == "-":
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise invalid({field: _("A date: YYYY-MM-DD.")})


def _forum_ids() -> list[int]:
    """The ``forum`` parameters: forums the caller may see, or a 422."""
    raw = request.args.getlist("forum")
    known = {forum_id for forum_id, _title in queries.forums_for_choice()}
    chosen = [int(value) for value in raw if value.isascii() and value.isdigit() and len(value) <= 9]
    if len(chosen) != len(raw) or not set(chosen) <= known:
        raise invalid({"forum": _("Not a forum you may report on.")})
    return chosen


@bp.get("/reports")
def get_report() -> ResponseReturnValue:
    """The report of ``from``..``to`` (days in Dushanbe, both included; neither: last month) and the ``forum``s
    (none: every forum)."""
    staff_user()
    first_day, last_day = _period()
    if last_day < first_day:
        raise invalid({"to": _("The end must not be before the start.")})
    if (last_day - first_day).days > forms.MAX_DAYS:
        raise invalid({"to": _("A report covers at most three years.")})
    period = queries.period(first_day, last_day, _forum_ids())
    data = queries.report_for(period.first_day, period.last_day, period.forum_ids, current_language())
    narrative = queries.narrative_of(period.scope)
    body = report_json(data, narrative.text if narrative else None)
    audit.record_read("report.view", "report", None, detail=period.scope)
    return body


def report_json(data: queries.ReportData, narrative: str | None) -> dict[str, Any]:
    """The report in the contract's shape: keys, never names; suppressed counts are null."""
    report, scope = data.report, data.scope
    return {
        "from": scope.first_day.isoformat(),
        "to": scope.last_day.isoformat(),
        "forum_ids": list(scope.forum_ids),
        "k": report.k,
        "sessions_held": report.sessions_held,
        "sessions": [{"id": held.forum_session.id, "forum_id": held.forum_session.forum_id,
                      "title": held.forum_session.title,
                      "starts_at": to_local(held.forum_session.starts_at).isoformat(),
                      "attended": held.attended, "within_policy": held.within_policy} for held in data.sessions],
        "categories": [
            {"dimension": line.dimension, "category": line.category,
             "counts_toward_balance": line.counts_toward_balance, "attendances": line.attendances,
             "share": None if line.share is None else round(line.share, 4),
             "sessions_under": line.sessions_under, "sessions_over": line.sessions_over}
            for line in report.categories],
        "months": [
            {"month": month.month, "sessions": month.sessions,
             "attendances": [{"dimension": dimension, "category": category, "count": count}
                             for (dimension, category), count in month.attendances.items()]}
            for month in report.months],
        "never_present": [{"dimension": dimension, "category": category}
                          for dimension, category in report.never_present],
        "narrative": narrative,
        "sections": [{"title": section.title, "header": list(section.header),
                      "rows": [list(row) for row in section.rows], "note": section.note}
                     for section in sections_for(scope)],
    }


_NULLABLE_COUNT = {"type": ["integer", "null"], "minimum": 0}
_PAIR = {"type": "object", "required": ["dimension", "category"],
         "properties": {"dimension": {"type": "string"}, "category": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "Report": {
        "type": "object",
        "description": "Attendance (people checked in, per session) over a period; counts that could single "
                       "someone out are null (k-anonymity, the app's SMALL_COUNT_THRESHOLD `k`). No names.",
        "required": ["from", "to", "forum_ids", "k", "sessions_held", "sessions", "categories", "months",
                     "never_present", "narrative", "sections"],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "forum_ids": {"type": "array", "items": {"type": "integer"},
                          "description": "Empty: every forum the caller may see"},
            "k": {"type": "integer"},
            "sessions_held": {"type": "integer", "minimum": 0},
            "sessions": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "forum_id", "title", "starts_at", "attended", "within_policy"],
                "properties": {
                    "id": {"type": "integer"}, "forum_id": {"type": "integer"}, "title": {"type": "string"},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "attended": {"type": "integer", "minimum": 0},
                    "within_policy": {"type": ["boolean", "null"],
                                      "description": "null when fewer than k attended; dimensions fewer than k "
                                                     "attendees hold a category of are not judged"},
                }}},
            "categories": {"type": "array", "items": {
                "type": "object",
                "required": ["dimension", "category", "counts_toward_balance", "attendances", "share",
                             "sessions_under", "sessions_over"],
                "properties": {
                    "dimension": {"type": "string"}, "category": {"type": "string"},
                    "counts_toward_balance": {"type": "boolean"},
                    "attendances": _NULLABLE_COUNT,
                    "share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                    "sessions_under": {"type": "integer", "minimum": 0},
                    "sessions_over": {"type": "integer", "minimum": 0},
                }}},
            "months": {"type": "array", "items": {
                "type": "object", "required": ["month", "sessions", "attendances"],
                "properties": {
                    "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    "sessions": {"type": "integer", "minimum": 0},
                    "attendances": {"type": "array", "items": {
                        "type": "object", "required": ["dimension", "category", "count"],
                        "properties": {"dimension": {"type": "string"}, "category": {"type": "string"},
                                       "count": _NULLABLE_COUNT}}},
                }}},
            "never_present": {"type": "array", "items": _PAIR},
            "narrative": {"type": ["string", "null"]},
            "sections": {"type": "array", "items": {
                "type": "object", "required": ["title", "header", "rows", "note"],
                "properties": {"title": {"type": "string"}, "header": {"type": "array", "items": {"type": "string"}},
                               "rows": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                               "note": {"type": "string"}}}},
        },
    },
}

PATHS: dict[str, Any] = {
    "/reports": {
        "get": {
            "summary": "The report for headquarters: sessions held, attendance per category against policy, "
                       "the monthly trend, categories never present (staff only; audited)",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "First day (Asia/Dushanbe), YYYY-MM-DD; with neither `from` nor `to`, the report "
                                "covers the last calendar month"},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "Last day, included; at most three years after `from`; required with `from`"},
                {"name": "forum", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}},
                 "style": "form", "explode": True, "description": "Forum ids (repeat); none: every forum"},
            ],
            "responses": {"200": json_response("The report", {"$ref": "#/components/schemas/Report"}),
                          **error_responses(401, 403, 422)},
        }
    }
}
