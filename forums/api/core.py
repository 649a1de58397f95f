"""API-wide hooks: bearer-token sign-in, CSRF for cookie calls, JSON errors."""

from flask import Request, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forums.accounts.tokens import presented_token, user_for_token
from forums.api import bp
from forums.api.errors import ApiError, error_response
from forums.api.support import json_problem
from forums.extensions import csrf, login_manager
from models import User

csrf.exempt(bp)


@login_manager.request_loader
def _load_user_from_token(req: Request) -> User | None:
    token = presented_token(req)
    if not req.path.startswith(bp.url_prefix or "") or token is None:
        return None
    return user_for_token(token)


@bp.before_request
def _authenticate() -> None:
    """A bad token is a 401 even where anonymous calls are allowed, and even beside a good cookie (which
    ``forums.security`` does not consult when a token is presented); cookie calls need CSRF."""
    token = presented_token(request)
    if token is not None:
        if not current_user.is_authenticated:
            raise ApiError(401, _("A valid API token is required."))
        g.api_token_auth = True
        return
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not current_user.is_authenticated:
        # Every write needs someone to act as; say so before CSRF, which only concerns cookie calls.
        raise ApiError(401, _("A valid API token is required."))
    csrf.protect()


@bp.before_request
def _refuse_unsafe_json() -> None:
    """Refuse a JSON body no field can take (too deep, too large a number, NUL, lone surrogates), after sign-in."""
    if not request.is_json:
        return
    try:
        data = request.get_json(silent=True)  # cached: the view's json_body() reads the same object
    except RecursionError:
        raise ApiError(400, _("The request body is nested too deeply.")) from None
    problem = json_problem(data) if data is not None else None
    if problem is not None:
        status, field, message = problem
        raise ApiError(status, message if status == 400 else _("Some values are not valid."),
                       {field: message} if status != 400 else None)


@bp.app_errorhandler(ApiError)
def _api_error(error: ApiError) -> ResponseReturnValue:
    return error_response(error.status, error.message, error.fields, error.code, error.details)
