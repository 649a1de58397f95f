"""Helpers every feature's pages share: who may open a staff page, saving a form, reading the page number."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from forums import validation
from forums.extensions import login_manager
from forums.forms import attach_errors
from models import Role, db

View = TypeVar("View", bound=Callable[..., Any])
Result = TypeVar("Result")



def admins_only() -> Response | None:
    """A blueprint's ``before_request`` hook: every page of it, present and future, is for admins only.

    Anonymous readers get the sign-in page, anyone else signed in a 403.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role is not Role.admin:
        abort(403)
    return None


def staff_required(view: View) -> View:
    """Admins and organisers only; anyone else signed in gets 403, anonymous readers the sign-in page."""
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def save(form: FlaskForm, change: Callable[[], Result], field_map: dict[str, str] | None = None) -> Result | None:
    """Run a service change and commit; on invalid input or a conflict roll back and show why."""
    try:
        result = change()
        db.session.commit()
    except validation.ValidationFailed as failure:
        db.session.rollback()
        for message in attach_errors(form, failure.fields, field_map):
            flash(message, "error")
        return None
    except validation.Conflict as conflict:
        db.session.rollback()
        if not conflict.field or attach_errors(form, {conflict.field: conflict.message}, field_map):
            flash(conflict.message, "error")
        return None
    except StaleDataError:
        # Someone saved between our version check and our write.
        db.session.rollback()
        flash(_("Someone else changed this since you opened it. Reload to see their changes, then edit again."),
              "error")
        return None
    return result


def failed_status(form: FlaskForm) -> int:
    """422 for a form that was sent and refused, 200 for one just opened."""
    return 422 if form.is_submitted() else 200


def page_number(name: str = "page") -> int:
    """The page of a list asked for in the query string (``forums.validation.page_number``)."""
    return validation.page_number(request.args.get(name))
