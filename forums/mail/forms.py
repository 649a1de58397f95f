"""The staff forms of mail: reminders and answers given offline."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, ValidationError
from wtforms.validators import DataRequired

from forums.forms import AppForm, MultiCheckboxField, options
from forums.mail import rules
from forums.mail.offline import CHANNELS

#: who a reminder may go to, as the form offers it
STAGE_CHOICES = [("silent", _l("Invited, no answer yet")), ("seated", _l("Registered or confirmed")),
                 ("chosen", _l("Only the people ticked below"))]
CHANNEL_LABELS = {"phone": _l("By phone"), "paper": _l("On paper"), "in_person": _l("In person")}


class ReminderForm(AppForm):
    """A reminder to a stage or to chosen people, at a chosen time before the session."""

    stage = RadioField(_l("Remind"), choices=options(STAGE_CHOICES), default="silent", validators=[DataRequired()])
    hours_before = SelectField(_l("When"), coerce=int, default=24, validators=[DataRequired()])
    registration_ids = MultiCheckboxField(_l("People"), coerce=int, choices=options([]))

    def __init__(self, people: list[tuple[int, str]], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.hours_before.choices = options((hours, _l("%(n)d hours before", n=hours))
                                            for hours in rules.REMINDER_HOURS_CHOICES)
        self.registration_ids.choices = options(people)

    def validate_registration_ids(self, field: MultiCheckboxField) -> None:
        """The chosen audience needs at least one person."""
        if self.stage.data == "chosen" and not field.data:
            raise ValidationError(_l("Tick at least one person."))


class OfflineAnswerForm(AppForm):
    """An answer a person gave by phone, on paper or in person."""

    registration_id = SelectField(_l("Person"), coerce=int, choices=options([]), validators=[DataRequired()])
    answer = RadioField(_l("Answer"), choices=options([("accept", _l("Accepts")), ("decline", _l("Declines"))]),
                        validators=[DataRequired()])
    channel = SelectField(_l("Given"), choices=options((code, CHANNEL_LABELS[code]) for code in CHANNELS),
                          validators=[DataRequired()])

    def __init__(self, people: list[tuple[int, str]], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.registration_id.choices = options(people)
