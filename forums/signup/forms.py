"""Forms of open registration: the organisers' settings and the public form built from them."""

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forums import validation
from forums.forms import AppForm, MultiCheckboxField, options
from forums.people import limits
from forums.signup import rules
from forums.signup.queries import offered_categories
from models import Dimension, SignupSetting


class SignupSettingsForm(AppForm):
    """Whether a public session takes open registration and which questions its form asks."""

    is_open = BooleanField(_l("Take open registration on the session's public page"))
    asks_organisation = BooleanField(_l("Ask for an organisation"))
    asks_contact = BooleanField(_l("Ask for an e-mail address or a phone number"))
    dimensions = MultiCheckboxField(_l("Ask which category people belong to in"), coerce=int,
                                    validators=[Optional()])


def settings_form(dimensions: Sequence[Dimension], setting: SignupSetting | None, locale: str) -> SignupSettingsForm:
    """The settings form with one box per dimension, filled from ``setting`` (defaults when there is none)."""
    form = SignupSettingsForm(data=None if setting is None else {
        "is_open": setting.is_open, "asks_organisation": setting.asks_organisation,
        "asks_contact": setting.asks_contact, "dimensions": list(setting.dimension_ids),
    })
    if setting is None and not form.is_submitted():
        form.asks_organisation.data = form.asks_contact.data = True
    form.dimensions.choices = options((dimension.id, dimension.name(locale)) for dimension in dimensions)
    return form


class SignupForm(AppForm):
    """The public form; :func:`signup_form` adds the questions the organisers chose."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=limits.NAME_MAX)])
    consent = BooleanField(
        _l("I agree that the mission keeps these answers to organise this session and its balance of voices, "
           "and deletes them when the session's retention period ends."),
        validators=[DataRequired(_l("Tick this box to register: we cannot keep your answers without it."))])
    #: the honeypot (``rules.HONEYPOT_FIELD``): hidden from people, filled by bots
    website = StringField(_l("Leave this field empty"), validators=[Optional()])
    #: when the form was opened, signed (``rules.opened_token``)
    opened = HiddenField()

    #: dimension id -> form field name, filled by :func:`signup_form`
    question_fields: dict[int, str] = {}

    def chosen_categories(self) -> dict[int, int]:
        """Category id per dimension id answered (not blank, not "prefer not to say")."""
        chosen = {}
        for dimension_id, name in self.question_fields.items():
            answer = getattr(self, name).data
            if answer and answer != rules.PREFER_NOT:
                chosen[dimension_id] = int(answer)
        return chosen


def signup_form(setting: SignupSetting, questions: Sequence[Dimension], locale: str) -> SignupForm:
    """The public form of a session: name, then what its organisers chose to ask, each answer optional."""

    class SessionSignupForm(SignupForm):
        question_fields = {dimension.id: f"dimension_{dimension.id}" for dimension in questions}

    if setting.asks_organisation:
        SessionSignupForm.organisation = StringField(
            _l("Organisation (optional)"), validators=[Optional(), Length(max=limits.ORGANISATION_MAX)])
    if setting.asks_contact:
        SessionSignupForm.email = StringField(
            _l("E-mail (optional)"), validators=[Optional(), Length(max=limits.EMAIL_MAX),
                                                 Regexp(validation.EMAIL, message=_l("Not an e-mail address."))])
        SessionSignupForm.phone = StringField(
            _l("Phone (optional)"), validators=[
                Optional(), Length(max=limits.PHONE_MAX),
                Regexp(validation.PHONE, message=_l("Use digits, spaces, brackets and an optional leading +."))])
    for dimension in questions:
        choices = options([("", _l("(no answer)")), (rules.PREFER_NOT, _l("Prefer not to say")),
                           *((str(category.id), category.name(locale)) for category in offered_categories(dimension))])
        setattr(SessionSignupForm, f"dimension_{dimension.id}",
                SelectField(_l("%(dimension)s (optional)", dimension=dimension.name(locale)), choices=choices,
                            validators=[Optional()]))
    return SessionSignupForm()


class ConfirmForm(AppForm):
    """The button that confirms a sign-up; the code comes in the link, or is typed in."""

    code = StringField(_l("Confirmation code"), validators=[DataRequired(), Length(max=2 * rules.CODE_BYTES)])
