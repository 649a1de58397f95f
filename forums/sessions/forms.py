"""Staff forms for forums, sessions and agenda items, and the session list's filters.

The forms check the shape of the input (required, lengths, choices); ``forums.sessions.operations`` then applies
the domain rules and its per-field messages are attached back with :func:`forums.forms.attach_errors`.
Times are typed as wall-clock date and time in the display zone (Asia/Dushanbe) and turned into
aware datetimes here, so nothing downstream ever sees a naive time.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from forums.forms import (
    AppForm,
    VersionedForm,
    options,
    wall_clock,
)
from forums.i18n import to_local
from forums.sessions import limits
from forums.sessions.queries import SessionFilter
from models import (
    AGENDA_KIND_LABELS,
    FORUM_KIND_LABELS,
    VISIBILITY_LABELS,
    utcnow,
)

#: the words for an end that does not come after the start: the form says it with every other problem
#: (all at once), ``forums.sessions.operations`` says the same to the API
END_BEFORE_START = _l("The end must be after the start.")


def _end_after_start(starts: datetime | None, ends: datetime | None, field: Field) -> bool:
    """False, with the reason on ``field``, when both times were read and the end is not after the start."""
    if starts is not None and ends is not None and ends <= starts:
        field.errors = [*field.errors, str(END_BEFORE_START)]
        return False
    return True


def _read(day: Any, moment: Any) -> datetime | None:
    """A typed date and time as an aware datetime, None while either could not be read."""
    return wall_clock(day, moment) if day is not None and moment is not None else None


class ForumForm(VersionedForm):
    """A forum: title, kind, description and how long its personal data is kept."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=limits.TITLE_MAX)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=limits.TITLE_MAX)])
    title_tg = StringField(_l("Title in Tajik"), validators=[Optional(), Length(max=limits.TITLE_MAX)])
    kind = SelectField(_l("Kind"), choices=options((kind.value, label) for kind, label in FORUM_KIND_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    description_ru = TextAreaField(_l("Description in Russian"),
                                   validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    description_tg = TextAreaField(_l("Description in Tajik"),
                                   validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    retention_days = IntegerField(_l("Keep personal data for (days after each session)"),
                                  validators=[Optional(), NumberRange(min=limits.RETENTION_DAYS_MIN,
                                                                      max=limits.RETENTION_DAYS_MAX)])


    #: the translated fields (``<field>_ru``, ``<field>_tg``)
    TRANSLATED = ("title", "description")

    def fill_translations(self, translations: Mapping[str, Mapping[str, str]] | None) -> None:
        """Show stored translations in their fields."""
        fill_translations(self, self.TRANSLATED, translations)

    def translations(self) -> dict[str, dict[str, str]]:
        """The translations typed, as stored (empty ones left out)."""
        return typed_translations(self, self.TRANSLATED)


#: the languages a title, description or venue may be translated into on staff forms
TRANSLATION_LANGUAGES = ("ru", "tg")


def fill_translations(form: Any, fields: Iterable[str], translations: Mapping[str, Mapping[str, str]] | None) -> None:
    """Put stored translations into a form's ``<field>_<language>`` fields."""
    for language in TRANSLATION_LANGUAGES:
        texts = (translations or {}).get(language, {})
        for field in fields:
            getattr(form, f"{field}_{language}").data = texts.get(field, "")


def typed_translations(form: Any, fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """A form's ``<field>_<language>`` fields as stored translations, leaving out what was left empty."""
    return {language: texts for language in TRANSLATION_LANGUAGES
            if (texts := {field: value for field in fields
                          if (value := (getattr(form, f"{field}_{language}").data or "").strip())})}


class SessionForm(VersionedForm):
    """A session; times are Asia/Dushanbe wall-clock, titles optionally in Russian and Tajik."""

    forum_id = SelectField(_l("Forum"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=limits.TITLE_MAX)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=limits.TITLE_MAX)])
    title_tg = StringField(_l("Title in Tajik"), validators=[Optional(), Length(max=limits.TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    description_ru = TextAreaField(_l("Description in Russian"),
                                   validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    description_tg = TextAreaField(_l("Description in Tajik"),
                                   validators=[Optional(), Length(max=limits.DESCRIPTION_MAX)])
    starts_on = DateField(_l("Start date"), validators=[InputRequired()])
    starts_time = TimeField(_l("Start time"), validators=[InputRequired()])
    ends_on = DateField(_l("End date (if not the start date)"), validators=[Optional()])
    ends_time = TimeField(_l("End time"), validators=[InputRequired()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=limits.VENUE_MAX)])
    venue_ru = StringField(_l("Venue in Russian"), validators=[Optional(), Length(max=limits.VENUE_MAX)])
    venue_tg = StringField(_l("Venue in Tajik"), validators=[Optional(), Length(max=limits.VENUE_MAX)])
    region = SelectField(_l("Region"), validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity (seats)"),
                            validators=[InputRequired(), NumberRange(min=limits.CAPACITY_MIN, max=limits.CAPACITY_MAX)])
    visibility = SelectField(_l("Who may see the agenda"),
                             choices=options((v.value, label) for v, label in VISIBILITY_LABELS.items()))
    #: the start the form was opened with (blank for a new session): a past date warns only when it changed
    opened_start = HiddenField()
    #: ticked after the warning, to save a session dated in the past (a session typed in afterwards)
    confirm_past = BooleanField(_l("Yes, this session took place in the past: save it with this date"))

    #: service field -> form field, for messages about computed values
    FIELD_MAP = {"starts_at": "starts_time", "ends_at": "ends_time",
                 "translations.ru.title": "title_ru", "translations.tg.title": "title_tg",
                 "translations.ru.description": "description_ru", "translations.tg.description": "description_tg",
                 "translations.ru.venue": "venue_ru", "translations.tg.venue": "venue_tg"}
    #: the translated fields (``<field>_ru``, ``<field>_tg``)
    TRANSLATED = ("title", "description", "venue")

    def set_choices(self, forums: Iterable[tuple[int, str]], regions: Iterable[tuple[str, str]]) -> None:
        """Fill the forum and region lists from the database."""
        self.forum_id.choices = options(forums)
        self.region.choices = options(regions)

    #: set by ``validate`` when the start is in the past and not yet confirmed: the page shows the tick box
    asks_about_the_past = False

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Every problem at once: the fields' own, an end before the start, and a start in the past.

        A start in the past is a warning that asks first: the session is saved once ``confirm_past`` is
        ticked, and only a start that changed asks (an old session can still be edited as it is).
        """
        valid = super().validate(extra_validators)
        starts = _read(self.starts_on.data, self.starts_time.data)
        ends = _read(self.ends_on.data or self.starts_on.data, self.ends_time.data)
        valid = _end_after_start(starts, ends, self.ends_time) and valid
        if starts is not None and starts < utcnow() and starts.isoformat() != self.opened_start.data \
                and not self.confirm_past.data:
            self.asks_about_the_past = True
            self.starts_on.errors = [*self.starts_on.errors, _(
                "This date is in the past. If it is right (a session typed in afterwards), tick the box below "
                "the form and save again.")]
            valid = False
        return valid

    def fill_from(self, forum_session: Any) -> None:
        """Show a stored session, times converted to the display zone."""
        starts, ends = to_local(forum_session.starts_at), to_local(forum_session.ends_at)
        self.forum_id.data = forum_session.forum_id
        self.title.data = forum_session.title
        self.description.data = forum_session.description
        fill_translations(self, self.TRANSLATED, forum_session.translations)
        self.starts_on.data, self.starts_time.data = starts.date(), starts.time()
        self.ends_on.data = ends.date() if ends.date() != starts.date() else None
        self.ends_time.data = ends.time()
        self.venue.data = forum_session.venue
        self.region.data = forum_session.region.key
        self.capacity.data = forum_session.capacity
        self.visibility.data = forum_session.visibility.value
        self.version.data = str(forum_session.version)
        self.opened_start.data = starts.isoformat()

    def changes(self) -> dict[str, Any]:
        """The submitted values as the services expect them (aware datetimes, region key); call it on a valid form."""
        # InputRequired: a valid form has a start date and both times
        assert self.starts_on.data is not None and self.starts_time.data is not None
        assert self.ends_time.data is not None
        translations = typed_translations(self, self.TRANSLATED)
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
    """A timed agenda item with its speakers, chosen from the session's list (``queries.speaker_choices``)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=limits.AGENDA_TITLE_MAX)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=limits.AGENDA_TITLE_MAX)])
    title_tg = StringField(_l("Title in Tajik"), validators=[Optional(), Length(max=limits.AGENDA_TITLE_MAX)])
    kind = SelectField(_l("Kind"), choices=options((kind.value, label) for kind, label in AGENDA_KIND_LABELS.items()))
    on = DateField(_l("Date"), validators=[InputRequired()])
    starts_time = TimeField(_l("Start time"), validators=[InputRequired()])
    ends_time = TimeField(_l("End time"), validators=[InputRequired()])
    speaker_ids = SelectMultipleField(_l("Speakers"), coerce=int, validators=[Optional()])

    FIELD_MAP = {"starts_at": "starts_time", "ends_at": "ends_time",
                 "translations.ru.title": "title_ru", "translations.tg.title": "title_tg"}

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Every problem at once: the fields' own and an end before the start."""
        valid = super().validate(extra_validators)
        return _end_after_start(_read(self.on.data, self.starts_time.data), _read(self.on.data, self.ends_time.data),
                                self.ends_time) and valid

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
        """The submitted values as the services expect them; call it on a valid form."""
        # InputRequired: a valid form has the date and both times
        assert self.on.data is not None and self.starts_time.data is not None and self.ends_time.data is not None
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
