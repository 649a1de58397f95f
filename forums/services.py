"""Validated changes to forums, sessions, agendas, dimensions and participants.

Shared by the pages, the API, CSV import and walk-ins so every entry point applies the same rules.
Each function works inside the caller's transaction, records an audit entry and flushes; the caller
commits. Invalid input raises ``ValidationFailed`` before anything is changed.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forums import audit, operations
from forums.names import search_key
from forums.scheduling import Slot, outside_session, overlapping_keys
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    ParticipantCategory,
    SessionStatus,
    Visibility,
    db,
    utcnow,
)

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")
LANGUAGE_CODES = ("en", "ru", "tg", "uz", "fa")


class ValidationFailed(Exception):
    """Input that breaks a rule; ``fields`` maps each field to what is wrong, in words."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


class Conflict(Exception):
    """The change collides with the current state (a duplicate, or an edit of a stale copy)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check(fields: dict[str, str]) -> None:
    if fields:
        raise ValidationFailed(fields)


def _text(value: Any, field: str, errors: dict[str, str], *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[field] = _("Text may not contain NUL characters.")
    elif required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)d characters.", n=max_length)
    return text


def _choice(changes: Mapping[str, Any], field: str, enum_cls: type[Any], values: dict[str, Any],
            errors: dict[str, str]) -> None:
    """Copy ``changes[field]`` into ``values`` as a member of ``enum_cls``, or note the error."""
    if field not in changes:
        return
    if changes[field] not in {member.value for member in enum_cls}:
        errors[field] = _("Choose one of: %(values)s.", values=", ".join(m.value for m in enum_cls))
    else:
        values[field] = enum_cls(changes[field])


def _times(changes: Mapping[str, Any], values: dict[str, Any], errors: dict[str, str],
           current: Any) -> tuple[datetime | None, datetime | None]:
    """Validate ``starts_at``/``ends_at`` (aware, end after start); returns the resulting pair."""
    for field in ("starts_at", "ends_at"):
        if field in changes:
            if not isinstance(changes[field], datetime) or changes[field].tzinfo is None:
                errors[field] = _("The time needs an offset, e.g. +05:00.")
            else:
                values[field] = changes[field]
    starts_at = values.get("starts_at", current.starts_at if current else None)
    ends_at = values.get("ends_at", current.ends_at if current else None)
    if starts_at and ends_at and "starts_at" not in errors and "ends_at" not in errors and ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    return starts_at, ends_at


def _slug_and_names(key: Any, names: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A lowercase slug key and display names in English (required), Russian and Tajik."""
    key = _text(key, "key", errors, max_length=40, required=True)
    if "key" not in errors and not SLUG.match(key):
        errors["key"] = _("Use lowercase letters, digits and underscores, starting with a letter.")
    clean = {f"name_{lang}": _text(names.get(lang), f"name_{lang}", errors, max_length=120, required=lang == "en")
             for lang in ("en", "ru", "tg")}
    return key, clean


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse an edit made from a copy older than the stored object."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(_("Someone else changed this since you opened it. Reload to see their changes, then edit again."))


# Dimensions and categories -------------------------------------------------------------------------

def dimensions_with_categories() -> list[Dimension]:
    """Every dimension with its categories, in display order."""
    return list(db.session.scalars(
        sa.select(Dimension).options(selectinload(Dimension.categories)).order_by(Dimension.position, Dimension.id)
    ))


def category_lookup() -> dict[str, dict[str, Category]]:
    """Dimension key -> category key -> category."""
    return {d.key: {c.key: c for c in d.categories} for d in dimensions_with_categories()}


def create_dimension(key: str, name_en: str, name_ru: str = "", name_tg: str = "") -> Dimension:
    """Add a dimension of representation (e.g. age band)."""
    errors: dict[str, str] = {}
    key, names = _slug_and_names(key, {"en": name_en, "ru": name_ru, "tg": name_tg}, errors)
    _check(errors)
    if db.session.scalar(sa.select(Dimension.id).where(Dimension.key == key)) is not None:
        raise Conflict(_("A dimension with this key already exists."), "key")
    position = (db.session.scalar(sa.select(sa.func.max(Dimension.position))) or 0) + 1
    dimension = Dimension(key=key, position=position, **names)
    db.session.add(dimension)
    db.session.flush()
    audit.record("dimension.create", "dimension", dimension.id)
    return dimension


def create_category(dimension: Dimension, key: str, name_en: str, name_ru: str = "", name_tg: str = "",
                    counts_toward_balance: bool = True) -> Category:
    """Add a category to a dimension."""
    errors: dict[str, str] = {}
    key, names = _slug_and_names(key, {"en": name_en, "ru": name_ru, "tg": name_tg}, errors)
    if not isinstance(counts_toward_balance, bool):
        errors["counts_toward_balance"] = _("Expected true or false.")
    _check(errors)
    exists = db.session.scalar(
        sa.select(Category.id).where(Category.dimension_id == dimension.id, Category.key == key)
    )
    if exists is not None:
        raise Conflict(_("This dimension already has a category with this key."), "key")
    position = (db.session.scalar(
        sa.select(sa.func.max(Category.position)).where(Category.dimension_id == dimension.id)) or 0) + 1
    category = Category(dimension_id=dimension.id, key=key, counts_toward_balance=counts_toward_balance,
                        position=position, **names)
    db.session.add(category)
    db.session.flush()
    audit.record("category.create", "category", category.id)
    return category


# Participants -------------------------------------------------------------------------------------

@dataclass
class ParticipantInput:
    """What staff may record about a person: nothing more (data minimisation)."""

    name: str
    organisation: str = ""
    email: str = ""
    phone: str = ""
    languages: Iterable[str] = ()
    categories: Mapping[str, str] | None = None


def _validated_participant(data: ParticipantInput, lookup: dict[str, dict[str, Category]]) -> tuple[dict[str, Any], dict[int, Category]]:
    errors: dict[str, str] = {}
    values = {
        "name": _text(data.name, "name", errors, max_length=200, required=True),
        "organisation": _text(data.organisation, "organisation", errors, max_length=200),
        "email": _text(data.email, "email", errors, max_length=254).lower(),
        "phone": _text(data.phone, "phone", errors, max_length=40),
    }
    if values["email"] and "email" not in errors and not EMAIL.match(values["email"]):
        errors["email"] = _("Not an e-mail address.")
    if values["phone"] and "phone" not in errors and not PHONE.match(values["phone"]):
        errors["phone"] = _("Use digits, spaces, brackets and an optional leading +.")
    languages = list(data.languages or ())
    unknown_languages = [code for code in languages if code not in LANGUAGE_CODES]
    if unknown_languages or not all(isinstance(code, str) for code in languages):
        errors["languages"] = _("Unknown language code; use %(codes)s.", codes=", ".join(LANGUAGE_CODES))
    values["languages"] = ",".join(dict.fromkeys(languages))
    chosen: dict[int, Category] = {}
    for dimension_key, category_key in (data.categories or {}).items():
        field = f"categories.{dimension_key}"
        if dimension_key not in lookup:
            errors[field] = _("Unknown dimension.")
        elif category_key in (None, ""):
            continue
        elif category_key not in lookup[dimension_key]:
            errors[field] = _("Unknown category.")
        else:
            category = lookup[dimension_key][category_key]
            chosen[category.dimension_id] = category
    _check(errors)
    values["search_key"] = search_key(values["name"])
    return values, chosen


def create_participant(data: ParticipantInput, lookup: dict[str, dict[str, Category]] | None = None) -> Participant:
    """Add a person to the register, with one category per dimension."""
    values, chosen = _validated_participant(data, lookup if lookup is not None else category_lookup())
    participant = Participant(consent_at=utcnow(), **values)
    participant.categories = [
        ParticipantCategory(dimension_id=dimension_id, category_id=category.id)
        for dimension_id, category in chosen.items()
    ]
    db.session.add(participant)
    db.session.flush()
    audit.record("participant.create", "participant", participant.id)
    return participant


def update_participant(participant: Participant, data: ParticipantInput, expected_version: int | None = None) -> Participant:
    """Change a person's details; each category given replaces that dimension's, an empty one clears it."""
    check_version(participant, expected_version)
    lookup = category_lookup()
    values, chosen = _validated_participant(data, lookup)
    for field, value in values.items():
        setattr(participant, field, value)
    if data.categories is not None:
        dimension_ids = {key: next(iter(categories.values())).dimension_id
                         for key, categories in lookup.items() if categories}
        cleared = {dimension_ids.get(key) for key, value in data.categories.items() if value in (None, "")}
        kept = [link for link in participant.categories if link.dimension_id not in cleared]
        by_dimension = {link.dimension_id: link for link in kept}
        for dimension_id, category in chosen.items():
            if dimension_id in by_dimension:
                by_dimension[dimension_id].category_id = category.id
            else:
                kept.append(ParticipantCategory(dimension_id=dimension_id, category_id=category.id))
        participant.categories = kept
        # Categories live in other rows: touching this one makes the change a new version, so a stale
        # copy cannot overwrite it unnoticed.
        participant.updated_at = utcnow()
    db.session.flush()
    audit.record("participant.update", "participant", participant.id)
    return participant


# Forums -------------------------------------------------------------------------------------------

def _forum_values(title: Any, kind: Any, description: Any, retention_days: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "title": _text(title, "title", errors, max_length=200, required=True),
        "description": _text(description, "description", errors, max_length=5000),
    }
    _choice({"kind": kind}, "kind", ForumKind, values, errors)
    if retention_days not in (None, ""):
        if not isinstance(retention_days, int) or isinstance(retention_days, bool) or not 1 <= retention_days <= 36500:
            errors["retention_days"] = _("A number of days from 1 to 36500.")
        values["retention_days"] = retention_days
    else:
        values["retention_days"] = None
    _check(errors)
    return values


def create_forum(title: Any, kind: Any, description: Any = "", retention_days: Any = None) -> Forum:
    """Add a forum (a series of sessions)."""
    forum = Forum(**_forum_values(title, kind, description, retention_days))
    db.session.add(forum)
    db.session.flush()
    audit.record("forum.create", "forum", forum.id)
    return forum


def update_forum(forum: Forum, title: Any, kind: Any, description: Any = "", retention_days: Any = None,
                 expected_version: int | None = None) -> Forum:
    """Change a forum."""
    check_version(forum, expected_version)
    for field, value in _forum_values(title, kind, description, retention_days).items():
        setattr(forum, field, value)
    db.session.flush()
    audit.record("forum.update", "forum", forum.id)
    return forum


# Sessions -----------------------------------------------------------------------------------------

SESSION_FIELDS = ("forum_id", "title", "description", "translations", "starts_at", "ends_at", "venue",
                  "region", "capacity", "visibility", "status")


def _session_values(changes: Mapping[str, Any], current: ForumSession | None) -> dict[str, Any]:
    """Validate session fields; ``changes`` holds Python values (aware datetimes, region key, int)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "forum_id" in changes:
        forum_id = changes["forum_id"]
        if not isinstance(forum_id, int) or isinstance(forum_id, bool) or db.session.get(Forum, forum_id) is None:
            errors["forum_id"] = _("No such forum.")
        values["forum_id"] = forum_id
    for field, limit in (("title", 200), ("description", 5000), ("venue", 200)):
        if field in changes:
            values[field] = _text(changes[field], field, errors, max_length=limit, required=field == "title")
    if "translations" in changes:
        values["translations"] = _translations(changes["translations"], ("title", "description"), errors)
    if "region" in changes:
        region = db.session.scalar(
            sa.select(Category).join(Dimension).where(Dimension.key == "region", Category.key == changes["region"])
        ) if isinstance(changes["region"], str) else None
        if region is None:
            errors["region"] = _("Unknown region.")
        else:
            values["region_id"] = region.id
    if "capacity" in changes:
        capacity = changes["capacity"]
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            errors["capacity"] = _("Capacity must be at least 1.")
        elif capacity > 100000:
            errors["capacity"] = _("Capacity must be at most 100000.")
        elif current is not None and capacity < operations.seated_count(current.id):
            errors["capacity"] = _("%(n)d people already hold a seat; move some to the waitlist first.",
                                   n=operations.seated_count(current.id))
        values["capacity"] = capacity
    _choice(changes, "visibility", Visibility, values, errors)
    _choice(changes, "status", SessionStatus, values, errors)
    _times(changes, values, errors, current)
    _check(errors)
    return values


def _translations(raw: Any, fields: tuple[str, ...], errors: dict[str, str]) -> dict[str, dict[str, str]]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        errors["translations"] = _('Expected {"ru": {"title": "..."}, "tg": {...}}.')
        return {}
    clean: dict[str, dict[str, str]] = {}
    for language, texts in raw.items():
        if language not in ("en", "ru", "tg") or not isinstance(texts, dict) or set(texts) - set(fields):
            errors["translations"] = _('Expected {"ru": {"title": "..."}, "tg": {...}}.')
            return {}
        clean[language] = {field: _text(value, f"translations.{language}.{field}", errors, max_length=5000)
                           for field, value in texts.items() if value}
    return clean


def create_session(changes: Mapping[str, Any]) -> ForumSession:
    """Schedule a session; needs forum_id, title, starts_at, ends_at, region and capacity."""
    required = ("forum_id", "title", "starts_at", "ends_at", "region", "capacity")
    missing = {field: _("This field is required.") for field in required if changes.get(field) in (None, "")}
    _check(missing)
    values = _session_values(changes, None)
    forum_session = ForumSession(**values)
    db.session.add(forum_session)
    db.session.flush()
    audit.record("session.create", "session", forum_session.id)
    return forum_session


def update_session(forum_session: ForumSession, changes: Mapping[str, Any],
                   expected_version: int | None = None) -> ForumSession:
    """Change a session; more capacity gives the waitlist its seats."""
    check_version(forum_session, expected_version)
    values = _session_values(changes, forum_session)
    new_times = ("starts_at" in values or "ends_at" in values)
    for field, value in values.items():
        setattr(forum_session, field, value)
    db.session.flush()
    if new_times:
        outside = [item for item in forum_session.agenda
                   if outside_session(Slot(item.id, item.starts_at, item.ends_at), forum_session.starts_at, forum_session.ends_at)]
        if outside:
            raise ValidationFailed({"starts_at": _("%(n)d agenda items would fall outside the session; move them first.", n=len(outside))})
    if "capacity" in values:
        operations.promote_waitlisted(forum_session)
    audit.record("session.update", "session", forum_session.id, detail=",".join(sorted(values)))
    return forum_session


def cancel_session(forum_session: ForumSession) -> ForumSession:
    """Cancel a session; it stays on record and calendars show it as cancelled."""
    forum_session.status = SessionStatus.cancelled
    db.session.flush()
    audit.record("session.cancel", "session", forum_session.id)
    return forum_session


# Agenda -------------------------------------------------------------------------------------------

def _agenda_values(forum_session: ForumSession, changes: Mapping[str, Any], item: AgendaItem | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = _text(changes["title"], "title", errors, max_length=300, required=True)
    if "translations" in changes:
        values["translations"] = _translations(changes["translations"], ("title",), errors)
    _choice(changes, "kind", AgendaKind, values, errors)
    starts_at, ends_at = _times(changes, values, errors, item)
    if starts_at and ends_at and not errors:
        if outside_session(Slot(None, starts_at, ends_at), forum_session.starts_at, forum_session.ends_at):
            errors["starts_at"] = _("The item must lie within the session's time.")
    if "speaker_ids" in changes:
        ids = changes["speaker_ids"] or []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors["speaker_ids"] = _("Expected a list of participant ids.")
        else:
            found = set(db.session.scalars(sa.select(Participant.id).where(Participant.id.in_(ids))))
            if set(ids) - found:
                errors["speaker_ids"] = _("Unknown participant.")
            values["speaker_ids"] = list(dict.fromkeys(ids))
    _check(errors)
    return values


def _set_speakers(item: AgendaItem, speaker_ids: list[int]) -> None:
    item.speakers = [AgendaSpeaker(participant_id=pid, position=pos) for pos, pid in enumerate(speaker_ids)]


def add_agenda_item(forum_session: ForumSession, changes: Mapping[str, Any]) -> AgendaItem:
    """Add a timed item; it must lie within the session (overlaps are allowed and flagged)."""
    required = ("title", "starts_at", "ends_at", "kind")
    _check({field: _("This field is required.") for field in required if changes.get(field) in (None, "")})
    values = _agenda_values(forum_session, changes, None)
    speaker_ids = values.pop("speaker_ids", [])
    position = max((existing.position for existing in forum_session.agenda), default=-1) + 1
    item = AgendaItem(forum_session=forum_session, position=position, **values)
    _set_speakers(item, speaker_ids)
    db.session.add(item)
    forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.create", "agenda_item", item.id)
    return item


def update_agenda_item(item: AgendaItem, changes: Mapping[str, Any]) -> AgendaItem:
    """Change an agenda item under the same rules as adding one."""
    values = _agenda_values(item.forum_session, changes, item)
    speaker_ids = values.pop("speaker_ids", None)
    for field, value in values.items():
        setattr(item, field, value)
    if speaker_ids is not None:
        _set_speakers(item, speaker_ids)
    item.forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.update", "agenda_item", item.id)
    return item


def move_agenda_item(item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) in the agenda's order."""
    items = list(item.forum_session.agenda)
    index = items.index(item)
    target = min(max(index + offset, 0), len(items) - 1)
    items.insert(target, items.pop(index))
    for position, each in enumerate(items):
        each.position = position
    item.forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.move", "agenda_item", item.id)


def delete_agenda_item(item: AgendaItem) -> None:
    """Remove an item from its session's agenda."""
    forum_session = item.forum_session
    forum_session.agenda.remove(item)
    forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.delete", "agenda_item", item.id)


def agenda_overlaps(items: Iterable[AgendaItem]) -> set[int | None]:
    """Ids of agenda items that overlap another one (shown as a warning, not refused)."""
    return overlapping_keys([Slot(item.id, item.starts_at, item.ends_at) for item in items])
