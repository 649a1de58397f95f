"""The report's forms: which period and forums (read from the address), and the narrative."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from forums.forms import AppForm, MultiCheckboxField, options
from forums.reports import rules

#: the longest narrative staff may write
NARRATIVE_MAX = 20_000
#: the longest period one report covers
MAX_DAYS = 3 * 366


class ReportForm(AppForm):
    """The period (days in Dushanbe, both included) and the forums (none ticked: every forum)."""

    class Meta:
        csrf = False  # read from the address: a report is a read, and its address can be bookmarked

    start = DateField(_l("From"), validators=[InputRequired()])
    end = DateField(_l("To"), validators=[InputRequired()])
    forums = MultiCheckboxField(_l("Forums (none ticked: every forum)"), coerce=int, validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        """The period runs forwards and is at most ``MAX_DAYS`` long."""
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The end must not be before the start."))
            if (field.data - self.start.data).days > MAX_DAYS:
                raise ValidationError(_l("A report covers at most three years."))


def report_form(forum_choices: list[tuple[int, str]], formdata: object, today: date) -> ReportForm:
    """The form, with last calendar month as the period when the address gives none."""
    first_day, last_day = rules.last_month(today)
    form = ReportForm(formdata=formdata, data={"start": first_day, "end": last_day})
    form.forums.choices = options(forum_choices)
    return form


class NarrativeForm(AppForm):
    """Staff's words for headquarters, stored with the report's period and forums."""

    text = TextAreaField(_l("Narrative for headquarters"), validators=[Optional(), Length(max=NARRATIVE_MAX)])
