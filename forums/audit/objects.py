"""What the audit log's entries are about, in words a reader knows, and what their changes changed.

The log stores an object as a type and an id (``session`` 12) and a change as the names of the fields it
changed (``title,starts_at``), never their values. The audit page shows instead the object's name with a
link to its page (a session's title, a forum's title, a staff account's e-mail, a dimension's or category's
name) and the fields in plain words. A person is shown as "Person 12" with a link to their record: the log
never copies a name out of the register, so reading it reads no personal data (the record's page is itself
audited). An object since deleted is shown by its type and id, without a link.

One query per kind of object on the page, whatever the number of entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import raiseload

from forums.audit.labels import object_type_label
from forums.i18n import current_language
from models import AgendaItem, AuditEntry, Category, Dimension, Forum, ForumSession, Registration, User, db


@dataclass(frozen=True)
class NamedObject:
    """An entry's object as the page shows it: a name, and where to see it (None when it is gone)."""

    name: str
    url: str | None


#: the fields a change may name in its detail, in plain words (values are never recorded)
FIELD_LABELS: dict[str, LazyString] = {
    "title": _l("title"),
    "description": _l("description"),
    "translations": _l("translations"),
    "starts_at": _l("start"),
    "ends_at": _l("end"),
    "venue": _l("venue"),
    "region": _l("region"),
    "region_id": _l("region"),
    "capacity": _l("capacity"),
    "visibility": _l("who may see it"),
    "status": _l("status"),
    "forum_id": _l("forum"),
    "name": _l("name"),
    "name_en": _l("name in English"),
    "name_ru": _l("name in Russian"),
    "name_tg": _l("name in Tajik"),
    "organisation": _l("organisation"),
    "email": _l("e-mail"),
    "phone": _l("phone"),
    "languages": _l("languages"),
    "categories": _l("categories"),
}

#: actions whose detail lists the fields they changed
CHANGE_ACTIONS = frozenset({"session.update", "participant.update", "dimension.update", "category.update"})


def changed_fields(entry: AuditEntry) -> str | None:
    """"title, start" for a change whose detail names known fields; None for any other detail (shown as it is)."""
    if entry.action not in CHANGE_ACTIONS or not entry.detail:
        return None
    fields = entry.detail.split(",")
    if not all(field in FIELD_LABELS for field in fields):
        return None
    return ", ".join(str(FIELD_LABELS[field]) for field in fields)


def _sessions(ids: set[int]) -> dict[int, NamedObject]:
    locale = current_language()
    rows = db.session.scalars(sa.select(ForumSession).where(ForumSession.id.in_(ids))
                              .options(raiseload("*")))
    return {s.id: NamedObject(s.localized("title", locale), url_for("desk.session_page", session_id=s.id))
            for s in rows}


def _forums(ids: set[int]) -> dict[int, NamedObject]:
    return {forum_id: NamedObject(title, url_for("staff.forum_edit", forum_id=forum_id))
            for forum_id, title in db.session.execute(sa.select(Forum.id, Forum.title).where(Forum.id.in_(ids)))}


def _agenda_items(ids: set[int]) -> dict[int, NamedObject]:
    rows = db.session.execute(sa.select(AgendaItem.id, AgendaItem.title, AgendaItem.session_id)
                              .where(AgendaItem.id.in_(ids)))
    return {item_id: NamedObject(title, url_for("staff.agenda", session_id=session_id, _anchor=f"item-{item_id}"))
            for item_id, title, session_id in rows}


def _registrations(ids: set[int]) -> dict[int, NamedObject]:
    # Whose registration is not said: the session's list is a link away, and audited there.
    rows = db.session.execute(sa.select(Registration.id, Registration.session_id, ForumSession.title)
                              .join(ForumSession, ForumSession.id == Registration.session_id)
                              .where(Registration.id.in_(ids)))
    return {registration_id: NamedObject(str(_l("Registration %(id)d: %(session)s", id=registration_id,
                                                session=title)),
                                         url_for("registrations.registration_list", session_id=session_id))
            for registration_id, session_id, title in rows}


def _dimensions(ids: set[int]) -> dict[int, NamedObject]:
    locale = current_language()
    return {entry.id: NamedObject(entry.name(locale),
                                  url_for("people.dimension_list", _anchor=f"dimensions-{entry.id}"))
            for entry in db.session.scalars(sa.select(Dimension).where(Dimension.id.in_(ids))
                                            .options(raiseload("*")))}


def _categories(ids: set[int]) -> dict[int, NamedObject]:
    locale = current_language()
    return {entry.id: NamedObject(entry.name(locale),
                                  url_for("people.dimension_list", _anchor=f"categories-{entry.id}"))
            for entry in db.session.scalars(sa.select(Category).where(Category.id.in_(ids))
                                            .options(raiseload("*")))}


def _users(ids: set[int]) -> dict[int, NamedObject]:
    return {user_id: NamedObject(email, url_for("admin.user_list"))
            for user_id, email in db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids)))}


def _people(ids: set[int]) -> dict[int, NamedObject]:
    # Never the name: see the module's docstring.
    return {participant_id: NamedObject(str(_l("Person %(id)d", id=participant_id)),
                                        url_for("people.participant_view", participant_id=participant_id))
            for participant_id in ids}


#: how each kind of object is named
NAMERS: Mapping[str, Callable[[set[int]], dict[int, NamedObject]]] = {
    "session": _sessions,
    "forum": _forums,
    "agenda_item": _agenda_items,
    "registration": _registrations,
    "dimension": _dimensions,
    "category": _categories,
    "user": _users,
    "participant": _people,
}


def named_objects(entries: Iterable[AuditEntry]) -> dict[tuple[str, int], NamedObject]:
    """The name and link of every object these entries are about; one query per kind of object."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type in NAMERS and entry.object_id is not None:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    named: dict[tuple[str, int], NamedObject] = {}
    for object_type, ids in wanted.items():
        found = NAMERS[object_type](ids)
        for object_id in ids:
            named[(object_type, object_id)] = found.get(object_id) or NamedObject(
                f"{object_type_label(object_type) or object_type} {object_id}", None)
    return named
