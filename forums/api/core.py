"""API-wide hooks: bearer-token sign-in, CSRF for cookie calls, JSON errors."""

from flask import Request, g, request
from flask_babel import gettext as _
from flask_login import current_user

from forums.accounts.tokens import bearer_token, user_for_token
from forums.api import bp
from forums.api.errors import ApiError, error_response
from forums.extensions import csrf, login_manager
from models import User

csrf.exempt(bp)


def request_token(req: Request) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if there is one."""
    return bearer_token(req.headers.get("Authorization", ""))


@login_manager.request_loader
def _load_user_from_token(req: Request) -> User | None:
    if not req.path.startswith(bp.url_prefix or "") or request_token(req) is None:
        return None
    return user_for_token(request_token(req) or "")


@bp.before_request
def _authenticate() -> None:
    """A bad token is a 401 even where anonymous calls are allowed; cookie calls need CSRF."""
    token = request_token(request)
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


@bp.app_errorhandler(ApiError)
def _api_error(error: ApiError):  # type: ignore[no-untyped-def]
    return error_response(error.status, error.message, error.fields, error.code)
