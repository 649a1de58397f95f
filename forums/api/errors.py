"""The API's error format: ``{"error": {"code", "message", "fields"}}``."""

from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _

#: slug and default message per status code
ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


class ApiError(Exception):
    """An error answered in the API's format; raising it rolls the request's transaction back."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None,
                 code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code or ERROR_CODES.get(status, "error")
        #: more members of the error object for this kind of error (e.g. ``duplicates``), beside the three above
        self.details = details or {}


def invalid(fields: dict[str, str], message: str | None = None) -> ApiError:
    """The 422 of input that breaks a rule: ``fields`` says, per field, what is wrong."""
    return ApiError(422, message or default_message(422), fields)


def default_message(status: int) -> str:
    """A generic human message for a status code."""
    messages = {
        400: _("The request body is not valid JSON."),
        401: _("A valid API token is required."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request body is too large."),
        415: _("Send JSON with Content-Type: application/json."),
        422: _("Some values are not valid."),
        429: _("Too many requests; try again later."),
    }
    return messages.get(status, _("Something went wrong on our side. Nothing was saved."))


def error_response(status: int, message: str | None = None, fields: dict[str, str] | None = None,
                   code: str | None = None, details: dict[str, Any] | None = None) -> tuple[Response, int]:
    """A JSON error response; ``details`` adds members to the error object (never replacing the three)."""
    body: dict[str, Any] = {
        "error": {
            **(details or {}),
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message or default_message(status),
            "fields": fields or {},
        }
    }
    return jsonify(body), status
