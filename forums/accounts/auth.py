"""Staff sign-in and sign-out."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forums import validation
from forums.accounts import scope, two_factor
from forums.accounts.tokens import presented_token
from forums.api.errors import error_response
from forums.audit import log as audit
from forums.extensions import limiter
from forums.forms import ActionForm, AppForm
from forums.security import begin_session, check_password, end_all_sessions, session_user
from models import User, db

bp = Blueprint("auth", __name__)
bp.before_app_request(scope.remember_scope)


class LoginForm(AppForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class CodeForm(AppForm):
    """The second factor: a code from the app, or one of the recovery codes."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6 digits your authenticator app shows now, or one of your recovery codes."),
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})


#: the session key of a sign-in whose password was right and whose second factor is still to come
PENDING = "two_factor_pending"
#: how long the second step of a sign-in may wait for its code
PENDING_SECONDS = 300
#: the session key of a sign-in that must enrol in two-factor sign-in before anything else
MUST_ENROL = "two_factor_enrol_first"
#: the pages someone who must enrol in two-factor sign-in may still open
ENROLMENT_ENDPOINTS = frozenset({"my_account.two_factor_page", "my_account.two_factor_start", "auth.logout",
                                 "auth.login", "auth.second_factor", "static"})


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot send people elsewhere after sign-in.

    A control character is refused too: CR or LF cannot be put in a ``Location`` header, and browsers
    drop tabs and line breaks from an address, which would turn ``/<TAB>/evil.example`` into ``//evil.example``.
    """
    if (target and target.startswith("/") and not target.startswith("//") and validation.line_problem(target) is None
            and not urlsplit(target).netloc):
        return target
    # Without a page to return to, staff land on their home: what needs them today.
    return url_for("desk.home")


def password_attempt_limit() -> str:
    """How many wrong passwords an address may type (sign-in, or typing one's password again), per window."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def was_refused(response: Response) -> bool:
    """Whether a password (or code) form refused what was typed: its answer is not the redirect of success."""
    # Only failures count: colleagues behind one office address must not throttle each other.
    return response.status_code != 302


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(password_attempt_limit, methods=["POST"], deduct_when=was_refused)
def login() -> str | Response:
    """Sign in with e-mail and password; the limit is per address, so nobody can lock an account."""
    form = LoginForm()
    if form.validate_on_submit():
        # both fields are DataRequired, so a valid form has text in each
        assert form.email.data is not None and form.password.data is not None
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if check_password(user, form.password.data):
            assert user is not None  # check_password is False without a user
            target = _safe_next(request.args.get("next"))
            if user.has_two_factor:
                # Not signed in yet: only the second step knows who this is, for a few minutes.
                session.clear()
                session[PENDING] = {"user": user.get_id(), "at": datetime.now(UTC).timestamp(), "next": target}
                return redirect(url_for("auth.second_factor"))
            begin_session(user)
            audit.record("auth.login", "user", user.id)
            db.session.commit()
            if two_factor.must_enrol(user):
                session[MUST_ENROL] = True
                return redirect(url_for("my_account.two_factor_page"))
            return redirect(target)
        audit.record("auth.login_failed", "user", user.id if user else None, actor="anonymous")
        db.session.commit()
        # Neither the typed e-mail (it may be a password typed in the wrong box) nor the password.
        current_app.logger.warning("Failed sign-in from %r for %s", request.remote_addr,
                                   f"user {user.id}" if user else "an unknown e-mail")
        flash(_("E-mail or password is wrong."), "error")
    return render_template("accounts/login.html", form=form)


def _pending_user() -> User | None:
    """The account whose password was just right and whose second factor is awaited, if still in time."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or datetime.now(UTC).timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = session_user(str(pending.get("user", "")))
    return user if user is not None and user.has_two_factor else None


def _second_factor_limit() -> str:
    return str(current_app.config.get("TWO_FACTOR_RATE_LIMIT", two_factor.DEFAULT_RATE_LIMIT))


def _second_factor_key() -> str:
    # Per account, not per address: a guesser who moves to another address keeps the same count.
    pending = session.get(PENDING)
    return f"two-factor:{pending.get('user')}" if isinstance(pending, dict) else f"two-factor:{request.remote_addr}"


@bp.route("/login/code", methods=("GET", "POST"))
@limiter.limit(_second_factor_limit, key_func=_second_factor_key, methods=["POST"], deduct_when=was_refused)
def second_factor() -> str | Response:
    """The second step of sign-in for accounts with two-factor sign-in: a code or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Sign in again: the time for the code ran out."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        assert form.code.data is not None  # DataRequired
        how = two_factor.verify(user, form.code.data)
        if how is not None:
            target = _safe_next(session[PENDING].get("next"))
            begin_session(user)  # clears the pending step with everything else
            audit.record("auth.login", "user", user.id, detail=f"second_factor={how}")
            db.session.commit()
            if how == "recovery":
                flash(_("You signed in with a recovery code; it cannot be used again. %(n)d are left.",
                        n=two_factor.unused_recovery_codes(user)), "info")
            return redirect(target)
        db.session.commit()
        current_app.logger.warning("Failed second factor from %r for user %d", request.remote_addr, user.id)
        flash(_("This code is not right, or was used already."), "error")
    return render_template("accounts/second_factor.html", form=form)


def enrolment_first() -> ResponseReturnValue | None:
    """A ``before_request`` hook: staff who must enrol in two-factor sign-in may do nothing else first.

    Sign-in marks such a session (``MUST_ENROL``); requiring two-factor sign-in signs out everyone without it
    (``two_factor.set_required``), so no session escapes the mark. Bearer-token calls are not concerned (the
    token is the credential); cookie calls to the API get a 401.
    """
    if (not session.get(MUST_ENROL) or request.endpoint in ENROLMENT_ENDPOINTS
            or presented_token(request) is not None or not current_user.is_authenticated):
        return None
    if current_user.has_two_factor or not two_factor.is_required():
        session.pop(MUST_ENROL)
        return None
    if request.path.startswith("/api/"):
        return error_response(401, _("Two-factor sign-in is required: finish enrolling first."))
    return redirect(url_for("my_account.two_factor_page"))


bp.before_app_request(enrolment_first)


@bp.route("/logout", methods=("GET", "POST"))
@login_required
def logout() -> str | Response:
    """Sign out: the session cookie stops working everywhere, not only in this browser."""
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("accounts/logout.html", form=form)
    user = db.session.get(User, current_user.id)
    assert user is not None  # login_required: the signed-in account was loaded in this request
    end_all_sessions(user)
    audit.record("auth.logout", "user", user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
