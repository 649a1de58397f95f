"""Form messages in the reader's language: the base of every form, and WTForms' own messages.

WTForms and Flask-WTF write their messages ("This field is required.", "Not a valid integer value.",
"Not a valid choice.", CSRF failures...) in English and translate them through a catalogue of their
own, which has Russian but no Tajik, so a Tajik reader met English. Every form of the app derives from
:class:`AppForm`, whose ``Meta.get_translations`` answers those calls from the app's catalogue
(``translations/``) in the reader's language instead. Their message ids are declared below with the
``N_`` and ``ngettext`` markers so ``pybabel extract`` puts them in ``messages.pot`` beside ours;
``tests/test_form_messages.py`` checks that every message WTForms and Flask-WTF can ask for is here
and translated.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms import (
    Field,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; types-WTForms is 3.2
from wtforms.widgets import CheckboxInput, ListWidget, TextArea

from forums import validation
from forums.i18n import display_zone


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it (Babel's ``N_`` keyword)."""
    return message


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural message id for extraction (Babel's ``ngettext`` keyword); WTForms gives the count later."""
    return singular, plural


#: the messages WTForms' fields and validators ask for by ``gettext``
WTFORMS_MESSAGES = (
    # validators
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    # fields that parse what was typed
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid datetime value."),
    N_("Not a valid week value."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Choices cannot be None."),
    # WTForms' own CSRF implementations (the app uses Flask-WTF's, below)
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    # Flask-WTF's file validators (FileSize's message is built with an f-string and cannot be
    # translated: give FileSize a message= of our own if the app ever uses it)
    N_("File does not have an approved extension: {extensions}"),
    N_("File does not have an approved extension."),
)

#: the messages WTForms asks for by ``ngettext``, with a count
WTFORMS_PLURAL_MESSAGES = (
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long."),
    ngettext("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field."),
)

#: the reasons Flask-WTF's ``validate_csrf`` gives; it raises them untranslated, see :class:`TranslatedCSRF`
CSRF_MESSAGES = (
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)


class CatalogueTranslations:
    """The translations object WTForms expects, answered from the app's catalogue in the reader's language.

    WTForms calls ``gettext``/``ngettext`` with its English id and fills the placeholders itself, so
    these return the bare translation (Flask-Babel's ``gettext`` would try to format it).
    """

    def gettext(self, string: str) -> str:
        """``string`` in the reader's language (unchanged if the catalogue lacks it)."""
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of the message for ``n`` in the reader's language."""
        return get_translations().ngettext(singular, plural, n)


catalogue_translations = CatalogueTranslations()


class TranslatedCSRF(_FlaskFormCSRF):
    """Flask-WTF's form CSRF check, with its reason translated.

    ``validate_csrf`` raises English text without asking any translations object. Global
    ``CSRFProtect`` usually refuses a bad token before the view (the error page is translated); this
    covers forms validated where it does not run (exempt views, tests, ``validate_csrf`` outside it).
    Flask-WTF has no public hook for this, hence the subclass of its (private) class.
    """

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        """Check the token; a refusal carries the reason in the reader's language."""
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as refusal:
            raise ValidationError(catalogue_translations.gettext(str(refusal.args[0]))) from refusal


def is_single_line(field: Field) -> bool:
    """Whether ``field`` takes one line of text: a text input, not a text area (nor a password, never shown)."""
    return isinstance(field, StringField) and not isinstance(field, PasswordField | TextAreaField) \
        and not isinstance(field.widget, TextArea)


def _one_line(form: FlaskForm, field: Field) -> None:
    problem = validation.line_problem((field.data or "").strip()) if isinstance(field.data, str) else None
    if problem:
        raise ValidationError(problem)


class AppForm(FlaskForm):
    """The base of every form of the app: its messages, WTForms' own included, in the reader's language,
    and the one-line rule (``forums.validation.line_problem``) on every single-line text field."""

    class Meta:
        csrf_class = TranslatedCSRF

        def get_translations(self, form: Any) -> CatalogueTranslations:
            """WTForms' messages from the app's catalogue (Flask-WTF would use WTForms', which lacks Tajik)."""
            return catalogue_translations

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """WTForms' validation, with a line break or control character in a one-line field refused as its error."""
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if is_single_line(field):
                extra.setdefault(name, []).append(_one_line)
        return bool(super().validate(extra_validators=extra))


# Shared form pieces ----------------------------------------------------------------------------------




def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes, each with its own label: usable without a mouse or JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def wall_clock(day: date, moment: time) -> datetime:
    """A date and time typed in the display zone, as an aware datetime."""
    return datetime.combine(day, moment, tzinfo=display_zone())


def attach_errors(form: FlaskForm, errors: Mapping[str, str], field_map: Mapping[str, str] | None = None) -> list[str]:
    """Show service errors beside their fields; returns the messages no field of the form takes."""
    unplaced: list[str] = []
    for name, message in errors.items():
        target = (field_map or {}).get(name, name)
        field = form._fields.get(target)
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*field.errors, message]
    return unplaced


class ActionForm(AppForm):
    """Only a CSRF token: the one form of every button that changes something (publish, cancel, confirm, sign out)."""


class VersionedForm(AppForm):
    """An edit form carrying the version it was opened at, so a stale save is refused."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        """The version the editor saw, or None when the form was opened for a new object."""
        raw = self.version.data or ""
        if not raw:
            return None
        # Anything but a version this app could have given out (ASCII digits of a sane length) is a copy
        # of nothing: refused as stale rather than read as "new" (no check) or, past 4,300 digits, a crash.
        number = validation.whole_number(raw, maximum=validation.MAX_JSON_INT)
        return number if number is not None else -1
