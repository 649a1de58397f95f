"""Passwords, sign-in state, security headers and error pages."""

import functools
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Flask,
    Request,
    Response,
    abort,
    current_app,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, SecurityError

from forums.accounts.tokens import presented_token
from forums.api.errors import error_response
from forums.extensions import login_manager
from models import User, db
from models.users import signed_in_loading

# argon2id with t=3 and 19 MiB: above OWASP ASVS 5.0 appendix C (t>=3 needs m>=12 MiB), while a
# sign-in costs a worker 19 MiB rather than 64, which keeps each gunicorn worker small.
password_hasher = PasswordHasher(time_cost=3, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so timing does not reveal accounts."""
    return password_hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is the user's, spending the same time when there is no such user."""
    try:
        password_hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.is_active


def begin_session(user: User) -> None:
    """Sign ``user`` in on a brand-new session: nothing planted before sign-in survives (fixation)."""
    session.clear()
    login_user(user)
    now = datetime.now(UTC).timestamp()
    session["signed_in_at"] = now
    session["seen"] = now


@login_manager.user_loader
def _load_user(stored_id: str) -> User | None:
    if presented_token(request) is not None:
        # The call presents a bearer token: it is that token's alone, and the cookie beside it answers for
        # nothing (a bad token is a 401 even with a good cookie, SECURITY.md T25; forums.api.core).
        return None
    return session_user(stored_id)


def session_user(stored_id: str) -> User | None:
    """The active account a session's ``user_id:version`` names, if that version has not been ended."""
    user_id, _sep, version = stored_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id), options=signed_in_loading())
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Make every cookie issued to ``user`` stop working (sign-out, disabling)."""
    user.session_version += 1


#: the bodies werkzeug parses into ``request.form``; any other body leaves the form empty
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_nul_characters() -> None:
    """No text we store may hold NUL (PostgreSQL refuses it), so refuse it at the door with a 400."""
    # Most requests have neither a query string nor a form: don't build empty ones to look inside.
    sources = []
    if request.query_string:
        sources.append(request.args)
    if request.mimetype in FORM_MIMETYPES:
        sources.append(request.form)
    for values in sources:
        for value in values.values():
            if "\x00" in value:
                abort(400)


def _enforce_session_lifetime() -> None:
    """End a cookie session idle longer than IDLE_TIMEOUT or older than PERMANENT_SESSION_LIFETIME."""
    # Bearer-token calls carry no session: they must neither be timed out nor be given a cookie, nor touch
    # the cookie a browser may send beside the token.
    if "_user_id" not in session or presented_token(request) is not None or not current_user.is_authenticated:
        return
    now = datetime.now(UTC).timestamp()
    idle = now - session.get("seen", 0)
    age = now - session.get("signed_in_at", 0)
    if (idle > current_app.config["IDLE_TIMEOUT"].total_seconds()
            or age > current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()):
        logout_user()
        session.clear()
        return
    session["seen"] = now


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without the per-request cost for visitors who have no cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when there is no cookie (no signer needed), else Flask's."""
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, without reading the cookie settings for a session that is and stays empty (a visitor's)."""
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's signer, built once per secret instead of once per request."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = getattr(self, "_signer", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._signer = cached
        return cached[1]


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


#: set on every response unless a view chose its own value
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    wanted = SECURITY_HEADERS + (HSTS,) if request.is_secure or current_app.config["PRODUCTION"] else SECURITY_HEADERS
    # One pass over the headers instead of one per setdefault: this runs on every response.
    present = {name.lower() for name, _value in headers.items()}
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    if request.endpoint == "static":
        # Static files keep their long cache, and asking who is signed in would only cost a lookup.
        return response
    # Anything personal, anything a signed-in member of staff sees, and any response that sets the
    # session cookie (sign-in, sign-out) must not sit in a cache.
    # (The cookie itself is written after these hooks, so ask whether the session changed.)
    if current_user.is_authenticated or getattr(request, "personal_data", False) or session.modified:
        headers["Cache-Control"] = "no-store"
    return response


#: the answers that refuse a caller: no or a bad token (API), not allowed, or "not found" for objects
#: the caller may not know exist (ASVS 16.3.2 asks for these to be logged)
REFUSALS = frozenset({401, 403, 404})


def _log_refusal(response: Response) -> Response:
    """Log each refusal of a known route: who (user id and role), what (method, URL rule, ids) and the status.

    Only values the app itself chose are written: the rule as declared (``/sessions/<int:session_id>``),
    the whole-number ids it matched and the caller's id and role; never the path as typed, the query
    string, a personal link's token or anyone's name, so the log holds no personal data and no line a
    caller could forge. A 404 of an address no route knows is not a refusal and is left out.
    """
    rule = request.url_rule
    if response.status_code not in REFUSALS or rule is None or request.endpoint == "static":
        return response
    user = current_user if current_user.is_authenticated else None
    ids = " ".join(f"{name}={value}" for name, value in (request.view_args or {}).items()
                   if isinstance(value, int))
    current_app.logger.warning(
        "Refused %s %s (%s%s) with %d for %s", request.method, rule.rule, request.endpoint,
        f" {ids}" if ids else "", response.status_code,
        f"user {user.id} ({user.role.value})" if user is not None else "an anonymous caller")
    return response


ERROR_TITLES: dict[int, Any] = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    409: _l("Someone changed this in the meantime."),
    413: _l("What you sent is too large."),
    422: _l("Some values are not valid."),
    429: _l("Too many attempts. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was saved."),
}


def _error_page(error: Exception) -> Any:
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code == 500:
        # %r escapes CR/LF, so a crafted path cannot forge log lines.
        current_app.logger.exception("Unhandled error on %s %r", request.method, request.path)
    if request.path.startswith("/api/"):
        if isinstance(error, CSRFError):
            return error_response(code, _("Cookie-authenticated calls need the X-CSRFToken header."),
                                  code="csrf_failed")
        return error_response(code)
    message = ERROR_TITLES.get(code, ERROR_TITLES[500] if code >= 500 else ERROR_TITLES[400])
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: Flask builds no URLs for such a request, so the page's links cannot be made.
        return Response(str(message), status=code, mimetype="text/plain")
    advice = None
    if isinstance(error, CSRFError):
        # Mostly a form left open past the sign-in's lifetime, or opened before signing in again.
        message = _("This form has expired.")
        advice = _("Nothing was saved. Go back, reload the page and send the form again.")
    return render_template("error.html", code=code, message=message, advice=advice), code


def init_app(app: Flask) -> None:
    """Configure sign-in, cookies and headers for every response."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    # The session id changes at sign-out anyway; "strong" would sign out people whose mobile IP changes.
    login_manager.session_protection = "basic"
    if app.config["PRODUCTION"]:
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_NAME="__Host-session",
            REMEMBER_COOKIE_SECURE=True,
        )
    app.config.update(REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax")
    app.session_interface = CookieSessions()
    app.before_request(_refuse_nul_characters)
    app.before_request(_enforce_session_lifetime)
    app.after_request(_set_security_headers)
    app.after_request(_log_refusal)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _error_page)
