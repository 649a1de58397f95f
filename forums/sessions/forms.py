"""Staff forms: forums, sessions, agenda items, participants, dimensions, categories, registrations.

The forms check the shape of the input (required, lengths, choices); ``forums.sessions.operations`` then applies
the domain rules and its per-field messages are attached back with :func:`attach_errors`.
Times are typed as wall-clock date and time in the display zone (Asia/Dushanbe) and turned into
aware datetimes here, so nothing downstream ever sees a naive time.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from forums.forms import AppForm
from forums.i18n import display_zone, to_local
from forums.sessions.page_queries import SessionFilter
from models import (
    AGENDA_KIND_LABELS,
    FORUM_KIND_LABELS,
    LANGUAGE_CODES,
    LANGUAGE_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    Dimension,
)

SLUG_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
SLUG_MESSAGE = _l("Use lowercase letters, digits and underscores, starting with a letter.")



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
    """Only a CSRF token: for buttons that change something (publish, cancel, move, delete)."""


class VersionedForm(AppForm):
    """An edit form carrying the version it was opened at, so a stale save is refused."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        """The version the editor saw, or None when the form was opened for a new object."""
        raw = self.version.data or ""
        # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
        return int(raw) if raw.isascii() and raw.isdigit() else None


class ForumForm(VersionedForm):
    """A forum: title, kind, description and how long its personal data is kept."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options((kind.value, label) for kind, label in FORUM_KIND_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    retention_days = IntegerField(_l("Keep personal data for (days after each session)"),
                                  validators=[Optional(), NumberRange(min=1, max=36500)])


class SessionForm(VersionedForm):
    """A session; times are Asia/Dushanbe wall-clock, titles optionally in Russian and Tajik."""

    forum_id = SelectField(_l("Forum"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=200)])
    title_tg = StringField(_l("Title in Tajik"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    description_ru = TextAreaField(_l("Description in Russian"), validators=[Optional(), Length(max=5000)])
    description_tg = TextAreaField(_l("Description in Tajik"), validators=[Optional(), Length(max=5000)])
    starts_on = DateField(_l("Start date"), validators=[InputRequired()])
    starts_time = TimeField(_l("Start time"), validators=[InputRequired()])
    ends_on = DateField(_l("End date (if not the start date)"), validators=[Optional()])
    ends_time = TimeField(_l("End time"), validators=[InputRequired()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    region = SelectField(_l("Region"), validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity (seats)"), validators=[InputRequired(), NumberRange(min=1, max=100000)])
    visibility = SelectField(_l("Who may see the agenda"),
                             choices=options((v.value, label) for v, label in VISIBILITY_LABELS.items()))

    #: service field -> form field, for messages about computed values
    FIELD_MAP = {"starts_at": "starts_time", "ends_at": "ends_time",
                 "translations.ru.title": "title_ru", "translations.tg.title": "title_tg",
                 "translations.ru.description": "description_ru", "translations.tg.description": "description_tg"}

    def set_choices(self, forums: Iterable[tuple[int, str]], regions: Iterable[tuple[str, str]]) -> None:
        """Fill the forum and region lists from the database."""
        self.forum_id.choices = options(forums)
        self.region.choices = options(regions)

    def fill_from(self, forum_session: Any) -> None:
        """Show a stored session, times converted to the display zone."""
        starts, ends = to_local(forum_session.starts_at), to_local(forum_session.ends_at)
        self.forum_id.data = forum_session.forum_id
        self.title.data = forum_session.title
        self.description.data = forum_session.description
        for language in ("ru", "tg"):
            texts = (forum_session.translations or {}).get(language, {})
            getattr(self, f"title_{language}").data = texts.get("title", "")
            getattr(self, f"description_{language}").data = texts.get("description", "")
        self.starts_on.data, self.starts_time.data = starts.date(), starts.time()
        self.ends_on.data = ends.date() if ends.date() != starts.date() else None
        self.ends_time.data = ends.time()
        self.venue.data = forum_session.venue
        self.region.data = forum_session.region.key
        self.capacity.data = forum_session.capacity
        self.visibility.data = forum_session.visibility.value
        self.version.data = str(forum_session.version)

    def changes(self) -> dict[str, Any]:
        """The submitted values as the services expect them (aware datetimes, region key)."""
        translations = {
            language: texts for language in ("ru", "tg")
            if (texts := {field: value for field in ("title", "description")
                          if (value := (getattr(self, f"{field}_{language}").data or "").strip())})
        }
        return {
            "forum_id": self.forum_id.data,
            "title": self.title.data,
            "description": self.description.data or "",
            "translations": translations,
            "starts_at": wall_clock(self.starts_on.data, self.starts_time.data),
            "ends_at": wall_clock(self.ends_on.data or self.starts_on.data, self.ends_time.data),
            "venue": self.venue.data or "",
            "region": self.region.data,
            "capacity": self.capacity.data,
            "visibility": self.visibility.data,
        }


class AgendaItemForm(AppForm):
    """A timed agenda item with its speakers, chosen from the register."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=300)])
    title_tg = StringField(_l("Title in Tajik"), validators=[Optional(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=options((kind.value, label) for kind, label in AGENDA_KIND_LABELS.items()))
    on = DateField(_l("Date"), validators=[InputRequired()])
    starts_time = TimeField(_l("Start time"), validators=[InputRequired()])
    ends_time = TimeField(_l("End time"), validators=[InputRequired()])
    speaker_ids = SelectMultipleField(_l("Speakers"), coerce=int, validators=[Optional()])

    FIELD_MAP = {"starts_at": "starts_time", "ends_at": "ends_time",
                 "translations.ru.title": "title_ru", "translations.tg.title": "title_tg"}

    def fill_from(self, item: Any) -> None:
        """Show a stored item in the display zone."""
        starts, ends = to_local(item.starts_at), to_local(item.ends_at)
        self.title.data = item.title
        self.title_ru.data = (item.translations or {}).get("ru", {}).get("title", "")
        self.title_tg.data = (item.translations or {}).get("tg", {}).get("title", "")
        self.kind.data = item.kind.value
        self.on.data, self.starts_time.data, self.ends_time.data = starts.date(), starts.time(), ends.time()
        self.speaker_ids.data = [speaker.participant_id for speaker in item.speakers]

    def changes(self) -> dict[str, Any]:
        """The submitted values as the services expect them."""
        translations = {language: {"title": text} for language in ("ru", "tg")
                        if (text := (getattr(self, f"title_{language}").data or "").strip())}
        return {
            "title": self.title.data,
            "translations": translations,
            "kind": self.kind.data,
            "starts_at": wall_clock(self.on.data, self.starts_time.data),
            "ends_at": wall_clock(self.on.data, self.ends_time.data),
            "speaker_ids": list(self.speaker_ids.data or []),
        }


class ParticipantForm(VersionedForm):
    """A person in the register; :func:`participant_form` adds one select per dimension."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    languages = MultiCheckboxField(_l("Languages"), choices=options((code, LANGUAGE_LABELS[code]) for code in LANGUAGE_CODES),
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


def participant_form(dimensions: Sequence[Dimension], locale: str, **kwargs: Any) -> ParticipantForm:
    """A participant form with a select for each dimension, in the reader's language."""
    fields = {category_field_name(d.key): d.key for d in dimensions}

    class DynamicParticipantForm(ParticipantForm):
        category_fields = {key: name for name, key in fields.items()}

    for dimension in dimensions:
        choices = options([("", _l("(not recorded)")), *((c.key, c.name(locale)) for c in dimension.categories)])
        setattr(DynamicParticipantForm, category_field_name(dimension.key),
                SelectField(dimension.name(locale), choices=choices, validators=[Optional()]))
    return DynamicParticipantForm(**kwargs)


class DimensionForm(AppForm):
    """A new dimension of representation (e.g. age band)."""

    key = StringField(_l("Key"), validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=120)])
    name_tg = StringField(_l("Name in Tajik"), validators=[Optional(), Length(max=120)])


class CategoryForm(AppForm):
    """A new category of a dimension."""

    dimension = SelectField(_l("Dimension"), validators=[InputRequired()])
    key = StringField(_l("Key"), validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=120)])
    name_tg = StringField(_l("Name in Tajik"), validators=[Optional(), Length(max=120)])
    counts_toward_balance = BooleanField(_l("Counts toward balance"), default=True)


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



class SessionFilterForm(AppForm):
    """The session list's filters, sent by GET (no CSRF token: it changes nothing)."""

    forum = SelectField(_l("Forum"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def set_choices(self, forums: Iterable[tuple[int, str]], regions: Iterable[tuple[str, str]]) -> None:
        """Fill the forum and region lists, each with an "any" choice first."""
        self.forum.choices = options([("", _l("Any forum")), *((str(forum_id), title) for forum_id, title in forums)])
        self.region.choices = options([("", _l("Any region")), *regions])

    def filters(self) -> SessionFilter:
        """The valid filters; a refused value filters nothing."""
        def valid(field: Field) -> Any:
            return field.data if field.data and not field.errors else None

        forum = valid(self.forum)
        return SessionFilter(forum_id=int(forum) if forum else None, region=valid(self.region),
                             date_from=valid(self.date_from), date_to=valid(self.date_to))

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters, for links to other pages of the list."""
        return {name: value for name in ("forum", "region", "date_from", "date_to")
                if (value := request.args.get(name, ""))}


class ParticipantFilterForm(AppForm):
    """A name search and one category select per dimension (``cat_<dimension>``), sent by GET."""

    q = StringField(_l("Name"), validators=[Optional(), Length(max=200)])

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
