"""Staff forms for a session's registrations: adding people in bulk and changing a status."""


from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import (
    DataRequired,
)

from forums.forms import (
    AppForm,
    options,
)
from models import (
    STATUS_LABELS,
)

ADD_ACTIONS = options((("invite", _l("Invite")), ("register", _l("Register"))))


class BulkRegistrationForm(AppForm):
    """Invite or register many people ticked in a filtered register list."""

    participant_ids = SelectMultipleField(_l("People"), coerce=int, validate_choice=False,
                                          validators=[DataRequired(message=_l("Tick at least one person."))])
    action = SelectField(_l("Action"), choices=ADD_ACTIONS)
    #: set on the confirmation step, after the balance warnings were shown
    confirmed = HiddenField()


class StatusForm(AppForm):
    """Move one registration to another status."""

    status = SelectField(_l("Status"), choices=options((s.value, label) for s, label in STATUS_LABELS.items()))
