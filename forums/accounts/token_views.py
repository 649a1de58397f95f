"""``/account/tokens``: every member of staff lists, names, creates and revokes their own API tokens; admins everyone's.

A new token is shown once, on the page that answers its creation (never in a flash message, which
travels in the session cookie), and only its hash is kept.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, raiseload
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from forums import validation
from forums.accounts import tokens
from forums.forms import ActionForm, AppForm, options
from models import ApiToken, Role, db, utcnow
from models.users import NAME_LENGTH

bp = Blueprint("account", __name__, url_prefix="/account")

#: the lives a token can be given on the page, in days; "" lasts until it is revoked
EXPIRY_CHOICES = (("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("One year")),
                  ("", _l("Until I revoke it")))


class TokenForm(AppForm):
    """A new API token: what it is for and how long it lasts."""

    name = StringField(_l("What is it for?"), validators=[Optional(), Length(max=NAME_LENGTH)],
                       description=_l("e.g. weekly report to headquarters; shown in this list"))
    expires_in_days = SelectField(_l("Stops working after"), choices=options(EXPIRY_CHOICES), default="90")


def _token_list() -> list[ApiToken]:
    """The tokens the reader may see, newest first, each with its owner."""
    return list(db.session.scalars(
        tokens.visible_tokens(current_user).options(joinedload(ApiToken.user), raiseload("*"))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def _page(form: TokenForm, new_token: str | None = None) -> str:
    return render_template("accounts/tokens.html", form=form, tokens=_token_list(), new_token=new_token,
                           now=utcnow(), show_owner=current_user.role is Role.admin)


@bp.route("/tokens", methods=("GET", "POST"))
@login_required
def tokens_page() -> str:
    """The reader's API tokens (an admin's: everyone's), and a form to create one."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        name, days = tokens.token_settings(form.name.data, validation.whole_number(form.expires_in_days.data))
    except validation.ValidationFailed as failed:
        form.name.errors = [*form.name.errors, *failed.fields.values()]
        return _page(form)
    _row, token = tokens.create_token(current_user, name=name, expires_in_days=days)
    db.session.commit()
    return _page(TokenForm(formdata=None), new_token=token)


@bp.route("/tokens/<int:token_id>/revoke", methods=("POST",))
@login_required
def token_revoke(token_id: int) -> Response:
    """Revoke one token: the reader's own, or anyone's for an admin; someone else's is a 404."""
    if not ActionForm().validate_on_submit():
        abort(400)
    token = tokens.visible_token(current_user, token_id)
    if token is None:
        abort(404)
    if tokens.revoke_token(token):
        db.session.commit()
        flash(_("The token was revoked; it no longer works."), "success")
    return redirect(url_for("account.tokens_page"))

