"""The desk's forms: choosing many people or registrations at once, on one page or all that match a filter."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from forums.forms import AppForm, options
from forums.registrations.forms import ADD_ACTIONS
from forums.sessions import limits
from models import STATUS_LABELS

#: people or registrations one change may take in; more is a job for an import, not a click
BULK_LIMIT = 1000

SCOPES = options((("selected", _l("Only the ones ticked")), ("all", _l("All that match this filter"))))


class BulkForm(AppForm):
    """Ids ticked on a page, or every row matching the page's filter (``scope=all``, the filter in the URL)."""

    ids = SelectMultipleField(_l("Chosen"), coerce=int, validate_choice=False)
    scope = RadioField(_l("Which"), choices=SCOPES, default="selected")
    #: set on the confirmation step, after the effect on balance was shown
    confirmed = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        """Something must be ticked unless every match was chosen."""
        if not super().validate(extra_validators):
            return False
        if self.scope.data == "selected" and not self.ids.data:
            self.ids.errors = [str(_l("Tick at least one, or choose all that match this filter."))]
            return False
        return True


class InviteForm(BulkForm):
    """Invite or register people of the register who are not on the session yet."""

    action = SelectField(_l("Action"), choices=ADD_ACTIONS)


class BulkStatusForm(BulkForm):
    """Move many registrations of a session to one status; cancelled takes them off the list."""

    status = SelectField(_l("New status"), choices=options((s.value, label) for s, label in STATUS_LABELS.items()))


class CopySessionForm(AppForm):
    """The day a copy of a session is held; it starts at the same time of day."""

    day = DateField(_l("New date"), validators=[DataRequired()])


class CopyForumForm(AppForm):
    """A new forum for a copied series, and the day its first session is held."""

    title = StringField(_l("Title of the new forum"), validators=[DataRequired(), Length(max=limits.TITLE_MAX)])
    first_day = DateField(_l("Date of its first session"), validators=[DataRequired()],
                          description=_l("The other sessions keep their spacing."))
