"""Open registration pages: the organisers' settings (staff) and the public form and confirmation (anyone).

The public pages never show who else registered: not a name, not a count; only whether the session
is full (then a sign-up goes to the waitlist). Bot protection and throttling: ``forums.signup.rules``.
"""

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from forums.accounts.permissions import Need, session_or_abort
from forums.extensions import limiter
from forums.i18n import current_language
from forums.people import links
from forums.people.operations import dimensions_with_categories
from forums.registrations import operations as registrations
from forums.signup import confirmation, forms, home, operations, queries, rules
from forums.web import failed_status, staff_required
from forums.web.personal import mark_personal
from models import SEATED, ForumSession, Registration, db, utcnow

bp = Blueprint("signup", __name__)
#: the staff home's panel (registered when this module is imported by ``forums.init_app``)
HOME_PANEL = home.PANEL


# Organisers -----------------------------------------------------------------------------------------------

@bp.route("/staff/sessions/<int:session_id>/signup", methods=("GET", "POST"))
@staff_required
def settings(session_id: int) -> BaseResponse | tuple[str, int]:
    """Whether the session takes open registration, and what its public form asks."""
    forum_session = session_or_abort(session_id, Need.manage)
    locale = current_language()
    # A retired dimension is asked about no more (its people keep their categories).
    dimensions = [dimension for dimension in dimensions_with_categories() if not dimension.is_retired]
    setting = queries.setting_of(session_id)
    form = forms.settings_form(dimensions, setting, locale)
    if form.validate_on_submit():
        operations.save_settings(forum_session, is_open=bool(form.is_open.data),
                                 asks_organisation=bool(form.asks_organisation.data),
                                 asks_contact=bool(form.asks_contact.data),
                                 dimension_ids=form.dimensions.data or [])
        db.session.commit()
        flash(_("Open registration saved."), "success")
        return redirect(url_for("signup.settings", session_id=session_id))
    return render_template("signup/settings.html", forum_session=forum_session, form=form,
                           takes_signups=queries.takes_signups(forum_session, setting)), failed_status(form)


# The public form ------------------------------------------------------------------------------------------

def _signup_limit() -> str:
    return str(current_app.config.get("SIGNUP_RATE_LIMIT", rules.RATE_LIMIT))


@bp.route("/sessions/<int:session_id>/signup", methods=("GET", "POST"))
@limiter.limit(_signup_limit, methods=["POST"])
def signup(session_id: int) -> tuple[str, int]:
    """The public form of a session that takes open registration; a closed one says so."""
    forum_session = session_or_abort(session_id, Need.read, joinedload(ForumSession.forum),
                                     joinedload(ForumSession.region))
    setting = queries.setting_of(session_id)
    if setting is None or not queries.takes_signups(forum_session, setting):
        return render_template("signup/closed.html", forum_session=forum_session), 200
    form = forms.signup_form(setting, queries.questions(setting), current_language())
    is_full = registrations.free_seats(forum_session) == 0
    secret = current_app.config["SECRET_KEY"]
    refusal = None
    if form.validate_on_submit():
        refusal = _bot_refusal(form, secret, session_id)
        if refusal is None:
            answers = operations.SignupAnswers(
                name=(form.name.data or "").strip(), categories=form.chosen_categories(),
                organisation=_typed(form, "organisation"), email=_typed(form, "email").lower(),
                phone=_typed(form, "phone"))
            mark_personal()
            signup_row, code = operations.submit(forum_session, answers)
            url = url_for("signup.confirm", code=code, _external=True)
            mailed = confirmation.deliver(confirmation.ConfirmationLink(signup_row, url, current_language()))
            db.session.commit()
            # Mailed: the message's link is the one that works (its sender renews the code), so none is shown.
            return render_template("signup/submitted.html", forum_session=forum_session,
                                   url=None if mailed else url, is_full=is_full, hours=rules.PENDING_HOURS), 200
    # A fresh stamp each time the form is shown: a person corrects a mistake without waiting again.
    form.opened.data = rules.opened_token(secret, session_id, int(time.time()))
    form.website.data = ""
    status = 422 if form.is_submitted() else 200
    return render_template("signup/form.html", forum_session=forum_session, form=form, is_full=is_full,
                           refusal=refusal, honeypot=rules.HONEYPOT_FIELD), status


def _typed(form: forms.SignupForm, name: str) -> str:
    """What was typed in an optional field the organisers may not have asked for ('' when absent)."""
    field = getattr(form, name, None)
    return (field.data or "").strip() if field is not None else ""


def _bot_refusal(form: forms.SignupForm, secret: str, session_id: int) -> str | None:
    """Why a well-formed sign-up looks automated (``rules``), in words for the person, or None."""
    if form.website.data:
        return _("Your registration could not be accepted. Please leave the last field empty and send it again.")
    problem = rules.fill_problem(secret, form.opened.data or "", session_id, time.time(),
                                 min_seconds=current_app.config.get("SIGNUP_MIN_FILL_SECONDS",
                                                                    rules.MIN_FILL_SECONDS))
    if problem == "too_fast":
        return _("That was very quick. Please check your answers and send the form again.")
    if problem is not None:
        return _("This form was open too long or has been changed. Please check your answers and send it again.")
    return None


# Confirmation ---------------------------------------------------------------------------------------------

@bp.route("/signup/confirm", methods=("GET", "POST"))
def confirm() -> tuple[str, int]:
    """Confirm a sign-up: the link opens this page, and only its button (a POST) confirms.

    Mail scanners open links to check them; a GET therefore changes nothing. Without a code (or with
    an unknown or expired one) the page asks for the code, which can also be typed in.
    """
    mark_personal()
    form = forms.ConfirmForm(data={"code": request.args.get("code", "")} if request.method == "GET" else None)
    code = (form.code.data or "").strip()
    signup_row = queries.signup_by_code(code) if code else None
    now = utcnow()
    if signup_row is None or operations.is_expired(signup_row, now):
        if code:
            form.code.errors = [*form.code.errors, _("This link is not valid or has expired. Please register again.")]
        return render_template("signup/confirm.html", form=form, forum_session=None), 404 if code else 200
    forum_session = queries.session_for_signup(signup_row.session_id)
    if forum_session is None:  # deleted with its sign-ups: the row just read is gone too
        abort(404)
    if signup_row.confirmed_at is not None:
        return _confirmed(forum_session, signup_row.registration_id, already=True)
    if request.method == "POST" and form.validate_on_submit():
        registration = operations.confirm(signup_row, forum_session)
        personal = links.issue(registration.participant)
        db.session.commit()
        return _confirmed(forum_session, registration.id, token=personal.token)
    return render_template("signup/confirm.html", form=form, forum_session=forum_session, code=code), 200


def _confirmed(forum_session: ForumSession, registration_id: int | None, *, token: str | None = None,
               already: bool = False) -> tuple[str, int]:
    """The page after confirmation: the person's status (registered or waitlisted) and their personal link."""
    registration = db.session.get(Registration, registration_id) if registration_id is not None else None
    if registration is not None and token is None:
        token = queries.personal_token(registration.participant_id)
    return render_template("signup/confirmed.html", forum_session=forum_session, registration=registration,
                           has_seat=registration is not None and registration.status in SEATED,
                           personal_url=url_for("personal.home", token=token, _external=True) if token else None,
                           already=already), 200
