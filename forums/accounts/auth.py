"""Staff sign-in and sign-out."""

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from forums import validation
from forums.audit import log as audit
from forums.extensions import limiter
from forums.forms import ActionForm, AppForm
from forums.security import begin_session, check_password, end_all_sessions
from models import User, db

bp = Blueprint("auth", __name__)


class LoginForm(AppForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot send people elsewhere after sign-in.

    A control character is refused too: CR or LF cannot be put in a ``Location`` header, and browsers
    drop tabs and line breaks from an address, which would turn ``/<TAB>/evil.example`` into ``//evil.example``.
    """
    if (target and target.startswith("/") and not target.startswith("//") and validation.line_problem(target) is None
            and not urlsplit(target).netloc):
        return target
    return url_for("public.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _was_failed_sign_in(response: Response) -> bool:
    # Only failures count: colleagues behind one office address must not throttle each other.
    return response.status_code != 302


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_was_failed_sign_in)
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
            begin_session(user)
            audit.record("auth.login", "user", user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit.record("auth.login_failed", "user", user.id if user else None, actor="anonymous")
        db.session.commit()
        # Neither the typed e-mail (it may be a password typed in the wrong box) nor the password.
        current_app.logger.warning("Failed sign-in from %r for %s", request.remote_addr,
                                   f"user {user.id}" if user else "an unknown e-mail")
        flash(_("E-mail or password is wrong."), "error")
    return render_template("accounts/login.html", form=form)



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
