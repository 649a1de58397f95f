"""Shared pieces of API views: input parsing, permission checks, paging."""

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forums import validation
from forums.accounts.permissions import Need, session_or_abort
from forums.api.errors import ApiError, invalid
from models import ForumSession, User, db

MAX_PAGE = 100


#: no body the API takes nests deeper than 3 (a policy's quotas); far deeper is an attack on the parser
MAX_JSON_DEPTH = 16


def json_problem(data: Any) -> tuple[int, str, str] | None:
    """What no field of the API can take anywhere in a parsed JSON body: (status, field path, words), or None.

    Looked at once for every body, before any view reads it, so that no value reaches a query or a
    column that the database would refuse with an error instead of an answer: nesting deeper than
    ``MAX_JSON_DEPTH`` (400), a whole number beyond 64 bits, a NUL character or a lone UTF-16 surrogate
    (``"\\ud800"``) in a string or a key, a number that is not finite (422).
    """
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return 400, "", _("The request body is nested too deeply.")
        if isinstance(value, dict):
            for key, item in value.items():
                if not validation.is_clean_unicode(key):
                    return 422, path or "body", _("Field names must be text without NUL characters or lone surrogates.")
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}" if path else str(index), depth + 1)
                         for index, item in enumerate(value))
        elif isinstance(value, str) and not validation.is_clean_unicode(value):
            return 422, path or "body", _("Text may not contain NUL characters or lone surrogates.")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > validation.MAX_JSON_INT:
            return 422, path or "body", _("This number is too large.")
        elif isinstance(value, float) and not math.isfinite(value):
            return 422, path or "body", _("Expected a finite number.")
    return None


def json_body(*, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    """The request's JSON object, refusing unknown fields (no mass assignment) and missing ones."""
    if not request.is_json:
        raise ApiError(415, _("Send JSON with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(400, _("The request body must be a JSON object."))
    allowed = set(allowed)
    fields = {key: _("Unknown field.") for key in data if key not in allowed}
    fields.update({key: _("This field is required.") for key in required if data.get(key) is None})
    if fields:
        raise invalid(fields)
    return data


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time with an offset; a time without one is ambiguous and refused."""
    if not isinstance(value, str):
        raise invalid({field: _("Expected an ISO 8601 time.")})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid({field: _("Expected an ISO 8601 time.")}) from None
    if moment.tzinfo is None:
        raise invalid({field: _("The time needs an offset, e.g. +05:00.")})
    return moment


def text_field(data: Mapping[str, Any], field: str, *, max_length: int, required: bool = False,
               single_line: bool = False) -> str:
    """A string field, stripped, checked by ``forums.validation.text`` (length, NUL, one line); else a 422."""
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        raise invalid({field: _("Expected text.")})
    errors: dict[str, str] = {}
    clean = validation.text(value, field, errors, max_length=max_length, required=required, single_line=single_line)
    if errors:
        raise invalid(errors)
    return clean


def int_field(data: Mapping[str, Any], field: str, *, minimum: int | None = None,
              maximum: int = validation.MAX_ID) -> int:
    """An integer field (booleans are not integers here), at most ``maximum`` (by default: as large as an id)."""
    value = data.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid({field: _("Expected a whole number.")})
    if minimum is not None and value < minimum:
        raise invalid({field: _("Must be at least %(n)d.", n=minimum)})
    if value > maximum:
        raise invalid({field: _("Must be at most %(n)d.", n=maximum)})
    return value


def signed_in_user() -> User:
    """The calling user, or a 401."""
    if not current_user.is_authenticated:
        raise ApiError(401, _("A valid API token is required."))
    return current_user._get_current_object()


def staff_user() -> User:
    """The calling user if admin or organiser, else a 403 (401 when anonymous)."""
    user = signed_in_user()
    if not user.is_staff:
        raise ApiError(403, _("You are not allowed to do this."))
    return user


def staff_session(session_id: int) -> ForumSession:
    """The session for a staff-only action: 401 anonymous, 403 any other role, 404 a session that is not there."""
    staff_user()
    return session_or_abort(session_id, Need.manage)


def not_found() -> ApiError:
    """The 404 used for missing objects and for objects the caller may not know exist."""
    return ApiError(404, _("Not found."))


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        after = validation.whole_number(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        after = None
    if after is None:
        raise invalid({"cursor": _("Unknown cursor.")})
    return after


def page_limit() -> int:
    """The ``?limit=`` of a list, 1..100 (default 100)."""
    limit = validation.whole_number(request.args.get("limit", str(MAX_PAGE)), maximum=MAX_PAGE)
    if not limit:
        raise invalid({"limit": _("A number from 1 to 100.")})
    return limit


def query_id(name: str) -> int | None:
    """The id a query parameter names (None when absent); a 422 when it cannot be one."""
    raw = request.args.get(name)
    if raw is None:
        return None
    value = validation.whole_number(raw)
    if value is None:
        raise invalid({name: _("Expected an id: a whole number.")})
    return value


def paginate(statement: sa.Select[Any], id_column: Any, serialise: Callable[[Any], dict[str, Any]],
             *, scalars: bool = True) -> dict[str, Any]:
    """One page of ``statement`` ordered by ``id_column``, as ``{"items", "next"}``."""
    limit = page_limit()
    after = _decode_cursor(request.args.get("cursor"))
    if after is not None:
        statement = statement.where(id_column > after)
    statement = statement.order_by(id_column).limit(limit + 1)
    result = db.session.execute(statement)
    rows = list(result.scalars() if scalars else result)
    return _page(rows[:limit], more=len(rows) > limit, serialise=serialise)


def paginate_loaded(rows: Sequence[Any], serialise: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of rows already loaded in display order (short lists), as ``{"items", "next"}``."""
    limit = page_limit()
    after = _decode_cursor(request.args.get("cursor"))
    start = 0
    if after is not None:
        ids = [row.id for row in rows]
        if after not in ids:
            raise invalid({"cursor": _("Unknown cursor.")})
        start = ids.index(after) + 1
    return _page(rows[start:start + limit], more=len(rows) > start + limit, serialise=serialise)


def _page(rows: Sequence[Any], *, more: bool, serialise: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """The page's JSON; ``next`` continues after its last row when ``more`` rows follow."""
    next_url = None
    if more:
        last_id = rows[-1].id
        args = {**request.args.to_dict(), "cursor": base64.urlsafe_b64encode(str(last_id).encode()).decode()}
        assert request.endpoint is not None  # a list is only ever answered by a routed view
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args, _external=False)
    return {"items": [serialise(row) for row in rows], "next": next_url}
