"""Forms of the concerns pages; limits are read from ``forums.concerns.operations`` and ``limits``."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forums.concerns import limits
from forums.concerns.operations import MAX_LINE, MAX_TEXT, MAX_TITLE
from forums.forms import AppForm, options
from models import LANGUAGE_LABELS
from models.concerns import (
    ANONYMITY_LABELS,
    ANSWER_STATE_LABELS,
    CONCERN_LANGUAGES,
    ISSUE_STAGES,
    STAGE_LABELS,
    Channel,
)

LANGUAGE_CHOICES = [(code, LANGUAGE_LABELS[code]) for code in CONCERN_LANGUAGES]


class ConcernForm(AppForm):
    """A participant's own concern, through their personal link."""

    session_id = SelectField(_l("Session"), coerce=int, validators=[InputRequired()])
    language = SelectField(_l("Language you write in"), choices=options(LANGUAGE_CHOICES))
    text = TextAreaField(_l("Your concern, complaint or demand"), validators=[InputRequired(), Length(max=MAX_TEXT)])
    agrees_to_be_named = BooleanField(_l("I agree to be named to the officials and the public"))


class StaffConcernForm(AppForm):
    """A concern typed in by staff from a paper form, or recorded from the floor."""

    participant_id = SelectField(_l("Raised by"), coerce=int, validators=[InputRequired()])
    channel = SelectField(_l("Source"), choices=options([(Channel.paper.value, _l("Paper form")),
                                                         (Channel.floor.value, _l("From the floor"))]))
    language = SelectField(_l("Language it was written in"), choices=options(LANGUAGE_CHOICES))
    text = TextAreaField(_l("Concern"), validators=[InputRequired(), Length(max=MAX_TEXT)])
    agrees_to_be_named = BooleanField(_l("The person agreed to be named to the officials and the public"))


class ModerateForm(AppForm):
    """Accept, decline or reconsider one concern."""

    concern_id = HiddenField(validators=[InputRequired()])
    decision = HiddenField(validators=[InputRequired()])
    reason = StringField(_l("Reason for declining"), validators=[Optional(), Length(max=MAX_TEXT)])


class TranslationForm(AppForm):
    """A staff translation of one concern."""

    concern_id = HiddenField(validators=[InputRequired()])
    language = SelectField(_l("Into"), choices=options(LANGUAGE_CHOICES))
    text = TextAreaField(_l("Translation"), validators=[Optional(), Length(max=MAX_TEXT)])
    done = BooleanField(_l("The translation is done"))


class GroupForm(AppForm):
    """Group the chosen concerns into a new issue (a title) or an existing one."""

    title = StringField(_l("New issue"), validators=[Optional(), Length(max=MAX_TITLE)])
    issue_id = SelectField(_l("Or add to the issue"), coerce=int, validators=[Optional()])


class IssueStageForm(AppForm):
    """Move an issue to another stage (onto an agenda item of its session)."""

    issue_id = HiddenField(validators=[InputRequired()])
    stage = SelectField(_l("Stage"), choices=options((stage.value, STAGE_LABELS[stage]) for stage in ISSUE_STAGES))
    agenda_item_id = SelectField(_l("Agenda item"), coerce=int, validators=[Optional()])


class MergeForm(AppForm):
    """Merge one issue into another."""

    issue_id = HiddenField(validators=[InputRequired()])
    target_id = SelectField(_l("Merge into"), coerce=int, validators=[InputRequired()])


class AnswerForm(AppForm):
    """An official's answer, saved as a draft."""

    issue_id = HiddenField(validators=[InputRequired()])
    official = StringField(_l("Official"), validators=[InputRequired(), Length(max=MAX_LINE)])
    authority = StringField(_l("Authority"), validators=[InputRequired(), Length(max=MAX_LINE)])
    answered_on = DateField(_l("Answered on"), validators=[InputRequired()])
    state = SelectField(_l("Answer"),
                        choices=options((state.value, label) for state, label in ANSWER_STATE_LABELS.items()))
    text = TextAreaField(_l("What the official said"), validators=[InputRequired(), Length(max=MAX_TEXT)])


class CommitmentForm(AppForm):
    """A commitment of a published or drafted answer."""

    answer_id = HiddenField(validators=[InputRequired()])
    description = StringField(_l("Commitment"), validators=[InputRequired(), Length(max=MAX_TEXT)])
    owner = StringField(_l("Owner"), validators=[InputRequired(), Length(max=MAX_LINE)])
    due_on = DateField(_l("Due on"), validators=[InputRequired()])


class SettingsForm(AppForm):
    """A forum's anonymity and per-organisation limit."""

    anonymity = SelectField(_l("Who may know who raised a concern"),
                            choices=options((value.value, label) for value, label in ANONYMITY_LABELS.items()))
    max_per_organisation = IntegerField(_l("Concerns per organisation that reach the officials of a session"),
                                        validators=[Optional(), NumberRange(min=1, max=limits.MAX_LIMIT)])
