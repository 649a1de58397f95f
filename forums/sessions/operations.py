"""Validated changes to forums, sessions and agendas.

Shared by the pages and the API so every entry point applies the same rules. Each function works inside
the caller's transaction, records an audit entry and flushes; the caller commits. Invalid input raises
``ValidationFailed`` before anything is changed.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from forums import validation
from forums.accounts.scope import keep_new_forum_in_scope
from forums.audit import log as audit
from forums.mail import outbox
from forums.registrations import operations
from forums.sessions import limits
from forums.sessions.scheduling import Slot, agenda_key, move_target, outside_session, overlapping_keys
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
    SessionStatus,
    Visibility,
    db,
)


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


# Forums -------------------------------------------------------------------------------------------

def _forum_values(title: Any, kind: Any, description: Any, retention_days: Any, translations: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "title": validation.text(title, "title", errors, max_length=limits.TITLE_MAX, required=True, single_line=True),
        "description": validation.text(description, "description", errors, max_length=limits.DESCRIPTION_MAX),
        "translations": _translations(translations, FORUM_TRANSLATED, errors),
    }
    validation.choice({"kind": kind}, "kind", ForumKind, values, errors)
    if retention_days not in (None, ""):
        if (not isinstance(retention_days, int) or isinstance(retention_days, bool)
                or not limits.RETENTION_DAYS_MIN <= retention_days <= limits.RETENTION_DAYS_MAX):
            errors["retention_days"] = _("A number of days from %(min)d to %(max)d.", min=limits.RETENTION_DAYS_MIN,
                                               max=limits.RETENTION_DAYS_MAX)
        values["retention_days"] = retention_days
    else:
        values["retention_days"] = None
    validation.check(errors)
    return values


def create_forum(title: Any, kind: Any, description: Any = "", retention_days: Any = None,
                 translations: Any = None) -> Forum:
    """Add a forum (a series of sessions); ``translations`` as a session's: {"ru": {"title": ...}}."""
    forum = Forum(**_forum_values(title, kind, description, retention_days, translations))
    db.session.add(forum)
    db.session.flush()
    keep_new_forum_in_scope(forum.id)
    audit.record("forum.create", "forum", forum.id)
    return forum


def update_forum(forum: Forum, title: Any, kind: Any, description: Any = "", retention_days: Any = None,
                 expected_version: int | None = None, translations: Any = None) -> Forum:
    """Change a forum; ``translations`` replace the stored ones (None keeps them)."""
    validation.check_version(forum, expected_version)
    values = _forum_values(title, kind, description, retention_days, translations)
    if translations is None:
        del values["translations"]
    for field, value in values.items():
        setattr(forum, field, value)
    db.session.flush()
    audit.record("forum.update", "forum", forum.id)
    return forum


# Sessions -----------------------------------------------------------------------------------------

SESSION_FIELDS = ("forum_id", "title", "description", "translations", "starts_at", "ends_at", "venue",
                  "region", "capacity", "visibility", "status")
#: the fields a session's and an agenda item's translations may hold, with their longest length
SESSION_TRANSLATED = {"title": limits.TITLE_MAX, "description": limits.DESCRIPTION_MAX, "venue": limits.VENUE_MAX}
#: the fields a forum's translations may hold, with their longest length
FORUM_TRANSLATED = {"title": limits.TITLE_MAX, "description": limits.DESCRIPTION_MAX}
AGENDA_TRANSLATED = {"title": limits.AGENDA_TITLE_MAX}


def _session_values(changes: Mapping[str, Any], current: ForumSession | None) -> dict[str, Any]:
    """Validate session fields; ``changes`` holds Python values (aware datetimes, region key, int)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "forum_id" in changes:
        forum_id = changes["forum_id"]
        if not validation.is_id(forum_id) or db.session.get(Forum, forum_id) is None:
            errors["forum_id"] = _("No such forum.")
        values["forum_id"] = forum_id
    for field, limit in (("title", limits.TITLE_MAX), ("description", limits.DESCRIPTION_MAX),
                         ("venue", limits.VENUE_MAX)):
        if field in changes:
            values[field] = validation.text(changes[field], field, errors, max_length=limit, required=field == "title",
                                            single_line=field != "description")
    if "translations" in changes:
        values["translations"] = _translations(changes["translations"], SESSION_TRANSLATED, errors)
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
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < limits.CAPACITY_MIN:
            errors["capacity"] = _("Capacity must be at least %(n)d.", n=limits.CAPACITY_MIN)
        elif capacity > limits.CAPACITY_MAX:
            errors["capacity"] = _("Capacity must be at most %(n)d.", n=limits.CAPACITY_MAX)
        elif current is not None and capacity < operations.seated_count(current.id):
            errors["capacity"] = _("%(n)d people already hold a seat; move some to the waitlist first.",
                                   n=operations.seated_count(current.id))
        values["capacity"] = capacity
    validation.choice(changes, "visibility", Visibility, values, errors)
    validation.choice(changes, "status", SessionStatus, values, errors)
    _times(changes, values, errors, current)
    validation.check(errors)
    return values


def _translations(raw: Any, fields: Mapping[str, int], errors: dict[str, str]) -> dict[str, dict[str, str]]:
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
        clean[language] = {field: validation.text(value, f"translations.{language}.{field}", errors,
                                                  max_length=fields[field], single_line=field != "description")
                           for field, value in texts.items() if value}
    return clean


def create_session(changes: Mapping[str, Any]) -> ForumSession:
    """Schedule a session; needs forum_id, title, starts_at, ends_at, region and capacity."""
    required = ("forum_id", "title", "starts_at", "ends_at", "region", "capacity")
    missing = {field: _("This field is required.") for field in required if changes.get(field) in (None, "")}
    validation.check(missing)
    values = _session_values(changes, None)
    forum_session = ForumSession(**values)
    db.session.add(forum_session)
    db.session.flush()
    audit.record("session.create", "session", forum_session.id)
    return forum_session


def update_session(forum_session: ForumSession, changes: Mapping[str, Any],
                   expected_version: int | None = None) -> ForumSession:
    """Change a session; more capacity gives the waitlist its seats (not while it is cancelled).

    A status change into or out of ``cancelled`` (the API's way to cancel or reinstate) is audited as
    ``session.cancel`` or ``session.reinstate`` as well, like ``cancel_session`` and ``reinstate_session``.
    """
    validation.check_version(forum_session, expected_version)
    was_cancelled = forum_session.status is SessionStatus.cancelled
    values = _session_values(changes, forum_session)
    was_published = forum_session.status is SessionStatus.published
    where_and_when = (forum_session.starts_at, forum_session.ends_at, forum_session.venue, forum_session.region_id)
    new_times = ("starts_at" in values or "ends_at" in values)
    for field, value in values.items():
        setattr(forum_session, field, value)
    db.session.flush()
    if new_times:
        outside = [item for item in forum_session.agenda
                   if outside_session(Slot(item.id, item.starts_at, item.ends_at), forum_session.starts_at,
                                      forum_session.ends_at)]
        if outside:
            raise validation.ValidationFailed({"starts_at": _(
                "%(n)d agenda items would fall outside the session; move them first.", n=len(outside))})
    if "capacity" in values:
        operations.promote_waitlisted(forum_session)
    audit.record("session.update", "session", forum_session.id, detail=",".join(sorted(values)))
    is_cancelled = forum_session.status is SessionStatus.cancelled
    if is_cancelled != was_cancelled:
        audit.record("session.cancel" if is_cancelled else "session.reinstate", "session", forum_session.id)
    # Everyone still expected hears of a cancellation or of a new time or place, in this transaction.
    outbox.session_changed(forum_session, was_published=was_published, cancelled=is_cancelled and not was_cancelled,
                           moved=where_and_when != (forum_session.starts_at, forum_session.ends_at,
                                                    forum_session.venue, forum_session.region_id))
    return forum_session


def cancel_session(forum_session: ForumSession) -> ForumSession:
    """Cancel a session; it stays on record and calendars show it as cancelled.

    Until it is reinstated its registrations cannot change and no panel can be drawn
    (``forums.registrations.operations.SessionCancelled``). The session is locked first, so a
    registration change under way finishes before the cancellation, never after it.
    """
    operations.lock_session(forum_session.id)
    was_published = forum_session.status is SessionStatus.published
    forum_session.status = SessionStatus.cancelled
    db.session.flush()
    audit.record("session.cancel", "session", forum_session.id)
    outbox.session_changed(forum_session, was_published=was_published, moved=False, cancelled=True)
    return forum_session


def reinstate_session(forum_session: ForumSession) -> ForumSession:
    """Take a cancelled session back: it is published again and its registrations can change once more.

    Its list is as it was when it was cancelled (nothing changed meanwhile); calendars show it as
    confirmed again (the iCalendar SEQUENCE rises with the status). A session that is not cancelled
    is refused with ``Conflict``.
    """
    operations.lock_session(forum_session.id)
    if forum_session.status is not SessionStatus.cancelled:
        raise validation.Conflict(_("This session is not cancelled."))
    forum_session.status = SessionStatus.published
    db.session.flush()
    audit.record("session.reinstate", "session", forum_session.id)
    return forum_session


# Agenda -------------------------------------------------------------------------------------------

def _agenda_values(forum_session: ForumSession, changes: Mapping[str, Any], item: AgendaItem | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = validation.text(changes["title"], "title", errors, max_length=limits.AGENDA_TITLE_MAX,
                                          required=True, single_line=True)
    if "translations" in changes:
        values["translations"] = _translations(changes["translations"], AGENDA_TRANSLATED, errors)
    validation.choice(changes, "kind", AgendaKind, values, errors)
    starts_at, ends_at = _times(changes, values, errors, item)
    if starts_at and ends_at and not errors:
        if outside_session(Slot(None, starts_at, ends_at), forum_session.starts_at, forum_session.ends_at):
            errors["starts_at"] = _("The item must lie within the session's time.")
    if "speaker_ids" in changes:
        ids = changes["speaker_ids"] or []
        if not isinstance(ids, list) or not all(validation.is_id(i) for i in ids):
            errors["speaker_ids"] = _("Expected a list of participant ids.")
        else:
            found = set(db.session.scalars(sa.select(Participant.id).where(Participant.id.in_(ids))))
            if set(ids) - found:
                errors["speaker_ids"] = _("Unknown participant.")
            values["speaker_ids"] = list(dict.fromkeys(ids))
    validation.check(errors)
    return values


def _set_speakers(item: AgendaItem, speaker_ids: list[int]) -> None:
    """Make ``speaker_ids`` the item's speakers, in that order.

    A speaker who stays keeps their row (only its position changes): replacing every row would insert
    the new ones before the old ones are deleted, and (item, participant) is unique.
    """
    kept = {speaker.participant_id: speaker for speaker in item.speakers}
    speakers = []
    for position, participant_id in enumerate(speaker_ids):
        speaker = kept.pop(participant_id, None) or AgendaSpeaker(participant_id=participant_id)
        speaker.position = position
        speakers.append(speaker)
    item.speakers = speakers


def _renumber(forum_session: ForumSession) -> list[AgendaItem]:
    """Put the agenda in agenda order (time first, see ``forums.sessions.scheduling``) and number it
    0, 1, 2... in that order; returns the items in order."""
    agenda = forum_session.agenda
    # Sorting in place reorders the loaded list without adding or removing anything.
    agenda.sort(key=lambda each: agenda_key(each.starts_at, each.position, each.id))
    for position, each in enumerate(agenda):
        each.position = position
    return list(agenda)


def add_agenda_item(forum_session: ForumSession, changes: Mapping[str, Any]) -> AgendaItem:
    """Add a timed item; it must lie within the session (overlaps are allowed and flagged).

    It takes its place by its start time, after any item that starts at the same moment."""
    required = ("title", "starts_at", "ends_at", "kind")
    validation.check({field: _("This field is required.") for field in required if changes.get(field) in (None, "")})
    values = _agenda_values(forum_session, changes, None)
    speaker_ids = values.pop("speaker_ids", [])
    position = max((existing.position for existing in forum_session.agenda), default=-1) + 1
    item = AgendaItem(forum_session=forum_session, position=position, **values)
    _set_speakers(item, speaker_ids)
    db.session.add(item)
    _renumber(forum_session)
    forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.create", "agenda_item", item.id)
    return item


def update_agenda_item(item: AgendaItem, changes: Mapping[str, Any]) -> AgendaItem:
    """Change an agenda item under the same rules as adding one; a new start time moves it in the agenda."""
    values = _agenda_values(item.forum_session, changes, item)
    speaker_ids = values.pop("speaker_ids", None)
    for field, value in values.items():
        setattr(item, field, value)
    if speaker_ids is not None:
        _set_speakers(item, speaker_ids)
    _renumber(item.forum_session)
    item.forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.update", "agenda_item", item.id)
    return item


def move_agenda_item(item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1), or ``offset`` places, among the items that start at the same time.

    Agendas run in time order (``forums.sessions.scheduling``): a move past an item that starts at
    another time is refused with a message, and nothing changes; a move past either end stops there.
    """
    items = _renumber(item.forum_session)
    index = items.index(item)
    target = move_target([each.starts_at for each in items], index, index + offset)
    if target is None:
        raise validation.ValidationFailed({"position": _(
            "The agenda runs in order of time: only items that start at the same time can be moved past each "
            "other. To move this item, change its start time.")})
    if target == index:
        return
    items.insert(target, items.pop(index))
    for position, each in enumerate(items):
        each.position = position
    _renumber(item.forum_session)
    item.forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.move", "agenda_item", item.id)


def delete_agenda_item(item: AgendaItem) -> None:
    """Remove an item from its session's agenda."""
    forum_session = item.forum_session
    forum_session.agenda.remove(item)
    _renumber(forum_session)
    forum_session.sequence += 1
    db.session.flush()
    audit.record("agenda.delete", "agenda_item", item.id)


def agenda_overlaps(items: Iterable[AgendaItem]) -> set[int | None]:
    """Ids of agenda items that overlap another one (shown as a warning, not refused)."""
    return overlapping_keys([Slot(item.id, item.starts_at, item.ends_at) for item in items])
