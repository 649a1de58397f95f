"""``/account``: every member of staff's own account: password, recent sign-ins, API tokens, two-factor sign-in."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import raiseload
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from forums.accounts import totp, two_factor
from forums.accounts.auth import password_attempt_limit, was_refused
from forums.accounts.passwords import MAX_LENGTH, NEW_PASSWORD_HINT, acceptable_password
from forums.audit import log as audit
from forums.audit.labels import action_label
from forums.extensions import limiter
from forums.forms import ActionForm, AppForm
from forums.security import begin_session, check_password, end_all_sessions, hash_password
from forums.web import failed_status
from models import AuditEntry, Forum, OrganiserForum, User, db

bp = Blueprint("my_account", __name__, url_prefix="/account")

#: how many of one's own sign-in events the account page lists
SIGN_IN_EVENTS = 20

#: the audit actions that are sign-in events (their words: ``forums.audit.labels``)
SIGN_IN_ACTIONS = ("auth.login", "auth.login_failed", "auth.two_factor_failed", "auth.logout",
                   "auth.password_change")


class PasswordChangeForm(AppForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH), acceptable_password],
                        description=NEW_PASSWORD_HINT,
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
                           render_kw={"autocomplete": "new-password"})


class PasswordConfirmForm(AppForm):
    """The current password, asked again before a change to how one signs in."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                            render_kw={"autocomplete": "current-password"})


class EnrolmentCodeForm(AppForm):
    """The first code from the app, proving it holds the new secret."""

    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


@dataclass(frozen=True)
class SignInEvent:
    """One line of the reader's own sign-in history."""

    at: datetime
    what: str


def _signed_in_user() -> User:
    user = db.session.get(User, current_user.id)
    assert user is not None  # login_required: the signed-in account was loaded in this request
    return user


def _sign_in_events(user: User) -> list[SignInEvent]:
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "user", AuditEntry.object_id == user.id,
                                    AuditEntry.action.in_(SIGN_IN_ACTIONS))
        .options(raiseload("*")).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(SIGN_IN_EVENTS))
    return [SignInEvent(entry.at, action_label(entry.action) or entry.action) for entry in entries]


def _scope_titles(user: User) -> list[str]:
    return list(db.session.scalars(sa.select(Forum.title).join(OrganiserForum, OrganiserForum.forum_id == Forum.id)
                                   .where(OrganiserForum.user_id == user.id).order_by(Forum.title)))


@bp.route("")
@login_required
def overview() -> str:
    """The reader's account: role, forums, two-factor state, recent sign-ins, links to password and tokens."""
    user = _signed_in_user()
    return render_template("accounts/my_account.html", user=user, events=_sign_in_events(user),
                           forums=_scope_titles(user), recovery_left=two_factor.unused_recovery_codes(user),
                           required=two_factor.is_required())


@bp.route("/password", methods=("GET", "POST"))
@login_required
@limiter.limit(password_attempt_limit, methods=["POST"], deduct_when=was_refused)
def password() -> str | Response:
    """Change one's own password: every other signed-in browser is signed out, this one stays."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        assert form.current.data is not None and form.new.data is not None  # DataRequired
        user = _signed_in_user()
        if not check_password(user, form.current.data):
            form.current.errors = [*form.current.errors, _("This is not your current password.")]
        else:
            user.password_hash = hash_password(form.new.data)
            end_all_sessions(user)
            audit.record("auth.password_change", "user", user.id)
            db.session.commit()
            begin_session(user)
            flash(_("Your password was changed; other browsers were signed out."), "success")
            return redirect(url_for("my_account.overview"))
    return render_template("accounts/password.html", form=form)


@bp.route("/two-factor", methods=("GET", "POST"))
@login_required
def two_factor_page() -> tuple[str, int]:
    """Two-factor sign-in: its state when on; else the enrolment under way (secret and a first code to confirm it)."""
    user = _signed_in_user()
    if user.has_two_factor:
        return _two_factor_on_page(user, PasswordConfirmForm(formdata=None))
    secret = two_factor.pending_secret(user)
    if secret is None:
        return render_template("accounts/two_factor_start.html", form=ActionForm(),
                               required=two_factor.is_required()), 200
    form = EnrolmentCodeForm()
    if form.validate_on_submit():
        assert form.code.data is not None  # DataRequired
        codes = two_factor.confirm_enrolment(user, form.code.data)
        db.session.commit()
        if codes is not None:
            return render_template("accounts/recovery_codes.html", codes=codes, enrolled=True), 200
        form.code.errors = [*form.code.errors, _("This code is not right. Check the time on your phone and "
                                                 "type the code the app shows now.")]
    uri = two_factor.enrolment_uri(user, secret)
    return render_template("accounts/two_factor_enrol.html", form=form, secret=totp.grouped(secret), uri=uri,
                           qr_code=two_factor.qr_code_image(uri),
                           required=two_factor.is_required()), \
        failed_status(form)


@bp.route("/two-factor/start", methods=("POST",))
@login_required
def two_factor_start() -> Response:
    """Begin enrolling: a new secret, shown on the enrolment page until a first code confirms it."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _signed_in_user()
    if not user.has_two_factor:
        two_factor.begin_enrolment(user)
        db.session.commit()
    return redirect(url_for("my_account.two_factor_page"))


def _two_factor_on_page(user: User, form: PasswordConfirmForm) -> tuple[str, int]:
    return render_template("accounts/two_factor_on.html", form=form,
                           recovery_left=two_factor.unused_recovery_codes(user),
                           required=two_factor.is_required()), failed_status(form)


def _password_confirmed() -> tuple[User, PasswordConfirmForm, bool]:
    """The reader, their form, and whether the password they typed again is right (else the form says why)."""
    form = PasswordConfirmForm()
    user = _signed_in_user()
    if not form.validate_on_submit():
        return user, form, False
    assert form.current.data is not None  # DataRequired
    if not check_password(user, form.current.data):
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
        return user, form, False
    return user, form, True


@bp.route("/two-factor/recovery-codes", methods=("POST",))
@login_required
@limiter.limit(password_attempt_limit, methods=["POST"], deduct_when=was_refused)
def new_recovery_codes() -> str | Response | tuple[str, int]:
    """New recovery codes, shown once; the old ones stop working."""
    user, form, confirmed = _password_confirmed()
    if not user.has_two_factor:
        return redirect(url_for("my_account.two_factor_page"))
    if not confirmed:
        return _two_factor_on_page(user, form)
    codes = two_factor.replace_recovery_codes(user)
    audit.record("auth.recovery_codes_new", "user", user.id)
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, enrolled=False)


@bp.route("/two-factor/off", methods=("POST",))
@login_required
@limiter.limit(password_attempt_limit, methods=["POST"], deduct_when=was_refused)
def two_factor_off() -> Response | tuple[str, int]:
    """Turn one's own second factor off, unless an admin requires it of all staff."""
    user, form, confirmed = _password_confirmed()
    if not user.has_two_factor:
        return redirect(url_for("my_account.two_factor_page"))
    if not confirmed:
        return _two_factor_on_page(user, form)
    if two_factor.is_required():
        flash(_("Two-factor sign-in is required for all staff; it cannot be turned off."), "error")
        return redirect(url_for("my_account.two_factor_page"))
    two_factor.turn_off(user)
    db.session.commit()
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("my_account.overview"))
