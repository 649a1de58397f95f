"""``/api/v1/tokens``: a caller's API tokens (an admin's: everyone's), listed, created and revoked one by one.

An extension of the contract (``flask --app app create-token`` and ``/account/tokens`` do the same). A
token made by a call authenticated with another token never outlives that token: a token about to
expire cannot mint itself a longer life.
"""

from typing import Any

import sqlalchemy as sa
from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forums import validation
from forums.accounts import tokens
from forums.api import bp
from forums.api.errors import ApiError
from forums.api.openapi import PAGING_PARAMETERS, error_responses, json_response, list_of
from forums.api.openapi import json_body as body_schema
from forums.api.support import json_body, not_found, paginate, signed_in_user
from forums.i18n import to_local
from models import ApiToken, db, utcnow
from models.users import NAME_LENGTH


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as the API shows it: never the token itself, which only its creation returns."""
    def moment(value: Any) -> str | None:
        return to_local(value).isoformat() if value is not None else None

    return {"id": token.id, "name": token.name, "user_id": token.user_id, "created_at": moment(token.created_at),
            "expires_at": moment(token.expires_at), "revoked_at": moment(token.revoked_at),
            "active": token.is_live(utcnow())}


def _callers_token() -> ApiToken | None:
    """The token this call is authenticated with, when it is one."""
    presented = tokens.presented_token(request)
    if not g.get("api_token_auth") or presented is None:
        return None
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == tokens.token_digest(presented)))


@bp.get("/tokens")
def token_list() -> ResponseReturnValue:
    """The caller's tokens (an admin's: everyone's), oldest first."""
    user = signed_in_user()
    return jsonify(paginate(tokens.visible_tokens(user), ApiToken.id, token_json))


@bp.post("/tokens")
def token_create() -> ResponseReturnValue:
    """A new token of the caller's; the answer is the only time the token is shown."""
    user = signed_in_user()
    data = json_body(allowed={"name", "expires_in_days"})
    if data.get("name") is not None and not isinstance(data["name"], str):
        raise ApiError(422, _("Some values are not valid."), {"name": _("Expected text.")})
    try:
        name, days = tokens.token_settings(data.get("name"), data.get("expires_in_days"))
    except validation.ValidationFailed as failed:
        raise ApiError(422, _("Some values are not valid."), failed.fields) from None
    row, token = tokens.create_token(user, name=name, expires_in_days=days)
    caller = _callers_token()
    if caller is not None and caller.expires_at is not None and (row.expires_at is None
                                                                 or row.expires_at > caller.expires_at):
        row.expires_at = caller.expires_at
    db.session.commit()
    return jsonify({**token_json(row), "token": token}), 201


@bp.delete("/tokens/<int:token_id>")
def token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one token: the caller's own, or anyone's for an admin; someone else's is a 404."""
    token = tokens.visible_token(signed_in_user(), token_id)
    if token is None:
        raise not_found()
    tokens.revoke_token(token)
    db.session.commit()
    return jsonify(token_json(token))


_TIME = {"type": ["string", "null"], "format": "date-time"}
_TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "user_id", "created_at", "expires_at", "revoked_at", "active"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "user_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": _TIME,
        "revoked_at": _TIME,
        "active": {"type": "boolean", "description": "Neither revoked nor expired"},
    },
}
_NEW_TOKEN_SCHEMA: dict[str, Any] = {
    **_TOKEN_SCHEMA,
    "required": [*_TOKEN_SCHEMA["required"], "token"],
    "properties": {**_TOKEN_SCHEMA["properties"],
                   "token": {"type": "string", "description": "The token itself, shown only in this answer"}},
}

PATHS: dict[str, Any] = {
    "/tokens": {
        "get": {
            "summary": "The caller's API tokens (an admin's: everyone's); never the tokens themselves",
            "parameters": PAGING_PARAMETERS,
            "responses": {"200": json_response("A page of tokens", list_of(_TOKEN_SCHEMA)),
                          **error_responses(401, 422)},
        },
        "post": {
            "summary": "A new token of the caller's, shown only in this answer; made with a token that "
                       "expires, it expires no later",
            "requestBody": body_schema({
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "maxLength": NAME_LENGTH},
                    "expires_in_days": {"type": ["integer", "null"], "minimum": 1,
                                        "maximum": tokens.MAX_EXPIRY_DAYS},
                },
            }),
            "responses": {"201": json_response("The new token", _NEW_TOKEN_SCHEMA),
                          **error_responses(400, 401, 403, 415, 422)},
        },
    },
    "/tokens/{token_id}": {
        "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "delete": {
            "summary": "Revoke a token: the caller's own, or anyone's for an admin",
            "responses": {"200": json_response("The revoked token", _TOKEN_SCHEMA),
                          **error_responses(401, 403, 404)},
        },
    },
}
