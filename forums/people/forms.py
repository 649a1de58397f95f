"""Staff forms for the register: participants, dimensions and categories, and the register's filters."""

from collections.abc import Sequence
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

from forums import validation
from forums.forms import (
    AppForm,
    MultiCheckboxField,
    VersionedForm,
    options,
)
from forums.people import limits
from forums.validation import SLUG_MESSAGE, SLUG_PATTERN
from models import (
    LANGUAGE_CODES,
    LANGUAGE_LABELS,
    Dimension,
    Participant,
)


class ParticipantForm(VersionedForm):
    """A person in the register; :func:`participant_form` adds one select per dimension."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=limits.NAME_MAX)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=limits.ORGANISATION_MAX)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=limits.EMAIL_MAX)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=limits.PHONE_MAX)])
    languages = MultiCheckboxField(_l("Languages"),
                                   choices=options((code, LANGUAGE_LABELS[code]) for code in LANGUAGE_CODES),
                                   validators=[Optional()])

    #: dimension key -> form field name, filled by :func:`participant_form`
    category_fields: dict[str, str] = {}

    def category_choices(self) -> dict[str, str]:
        """Dimension key -> chosen category key ('' clears it)."""
        return {key: getattr(self, name).data or "" for key, name in self.category_fields.items()}

    def field_map(self) -> dict[str, str]:
        """Service field -> form field."""
        return {f"categories.{key}": name for key, name in self.category_fields.items()}


def category_field_name(dimension_key: str) -> str:
    """The form field (and query parameter) of a dimension: ``cat_<key>``."""
    return f"cat_{dimension_key}"


def _retired_label(name: str) -> str:
    return str(_l("%(name)s (retired)", name=name))


def participant_form(dimensions: Sequence[Dimension], locale: str, **kwargs: Any) -> ParticipantForm:
    """A participant form with a select for each dimension, in the reader's language."""
    fields = {category_field_name(d.key): d.key for d in dimensions}

    class DynamicParticipantForm(ParticipantForm):
        category_fields = {key: name for name, key in fields.items()}

    for dimension in dimensions:
        # A retired category stays choosable for the people who have it (operations refuse it for anyone else).
        choices = options([("", _l("(not recorded)")),
                           *((c.key, _retired_label(c.name(locale)) if c.is_retired or dimension.is_retired
                              else c.name(locale)) for c in dimension.categories)])
        setattr(DynamicParticipantForm, category_field_name(dimension.key),
                SelectField(dimension.name(locale), choices=choices, validators=[Optional()]))
    return DynamicParticipantForm(**kwargs)


class DimensionForm(AppForm):
    """A new dimension of representation (e.g. age band)."""

    key = StringField(_l("Key"), validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_tg = StringField(_l("Name in Tajik"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])


class CategoryForm(AppForm):
    """A new category of a dimension."""

    dimension = SelectField(_l("Dimension"), validators=[InputRequired()])
    key = StringField(_l("Key"), validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_tg = StringField(_l("Name in Tajik"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])
    counts_toward_balance = BooleanField(_l("Counts toward balance"), default=True)


class RenameForm(AppForm):
    """A dimension's or category's display names, and whether it is retired; its key never changes."""

    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])
    name_tg = StringField(_l("Name in Tajik"), validators=[Optional(), Length(max=limits.DISPLAY_NAME_MAX)])
    is_retired = BooleanField(_l("Retired: kept on the records that have it and in reports, offered to nobody new"))


class MergeForm(AppForm):
    """Which of two records of one person to keep, with the version of each as the page showed it."""

    keep = RadioField(_l("Keep this record"), validators=[InputRequired(_l("Choose the record to keep."))])
    this_version = HiddenField()
    other_version = HiddenField()

    def version_of(self, field: HiddenField) -> int:
        """The version a record was shown at; -1 (stale) for anything this page did not give out."""
        number = validation.whole_number(field.data or "", maximum=validation.MAX_JSON_INT)
        return number if number is not None else -1


def merge_form(this: Participant, other: Participant, **kwargs: Any) -> MergeForm:
    """The merge form for two records, each offered by its name and id."""
    form = MergeForm(**kwargs)
    form.keep.choices = options((str(person.id), f"{person.name} (#{person.id})") for person in (this, other))
    return form


class ParticipantFilterForm(AppForm):
    """A name search and one category select per dimension (``cat_<dimension>``), sent by GET."""

    q = StringField(_l("Name"), validators=[Optional(), Length(max=limits.NAME_MAX)])

    #: dimension key -> form field name
    category_fields: dict[str, str] = {}

    def categories(self) -> dict[str, str]:
        """Dimension key -> chosen category key, for the valid choices only."""
        chosen = {}
        for key, name in self.category_fields.items():
            field = self._fields[name]
            if field.data and not field.errors:
                chosen[key] = field.data
        return chosen

    def query(self) -> str:
        """The name searched for."""
        return (self.q.data or "").strip() if not self.q.errors else ""

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters, for links to other pages of the list."""
        names = ["q", *self.category_fields.values()]
        return {name: value for name in names if (value := request.args.get(name, ""))}


def participant_filter_form(dimensions: Sequence[Dimension], locale: str) -> ParticipantFilterForm:
    """A filter form over the request's query string, with a select for each dimension."""
    class DynamicFilterForm(ParticipantFilterForm):
        category_fields = {d.key: category_field_name(d.key) for d in dimensions}

    for dimension in dimensions:
        choices = options([("", _l("Any")), *((c.key, c.name(locale)) for c in dimension.categories)])
        setattr(DynamicFilterForm, category_field_name(dimension.key),
                SelectField(dimension.name(locale), choices=choices, validators=[Optional()]))
    form = DynamicFilterForm(request.args, meta={"csrf": False})
    form.validate()
    return form
