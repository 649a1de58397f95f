"""Validated changes to the register: dimensions, categories and participants.

Shared by the pages, the API, CSV import and walk-ins so every entry point applies the same rules.
Each function works inside the caller's transaction, records an audit entry and flushes; the caller
commits. Invalid input raises ``ValidationFailed`` before anything is changed.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forums import validation
from forums.audit import log as audit
from forums.people import limits
from forums.people.names import search_key
from models import (
    LANGUAGE_CODES,
    Category,
    Dimension,
    Participant,
    ParticipantCategory,
    db,
    utcnow,
)

# Dimensions and categories -------------------------------------------------------------------------

def _slug_and_names(key: Any, names: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A lowercase slug key and display names in English (required), Russian and Tajik."""
    key = validation.text(key, "key", errors, max_length=validation.SLUG_MAX, required=True)
    if "key" not in errors and not validation.SLUG.match(key):
        errors["key"] = str(validation.SLUG_MESSAGE)
    clean = {f"name_{lang}": validation.text(names.get(lang), f"name_{lang}", errors,
                                             max_length=limits.DISPLAY_NAME_MAX, required=lang == "en",
                                             single_line=True)
             for lang in ("en", "ru", "tg")}
    return key, clean


def dimensions_with_categories() -> list[Dimension]:
    """Every dimension with its categories (each knowing its dimension: ``is_offered`` asks), in display order."""
    return list(db.session.scalars(
        sa.select(Dimension).options(selectinload(Dimension.categories).joinedload(Category.dimension))
        .order_by(Dimension.position, Dimension.id)
    ))


def category_lookup() -> dict[str, dict[str, Category]]:
    """Dimension key -> category key -> category."""
    return {d.key: {c.key: c for c in d.categories} for d in dimensions_with_categories()}


def create_dimension(key: str, name_en: str, name_ru: str = "", name_tg: str = "") -> Dimension:
    """Add a dimension of representation (e.g. age band)."""
    errors: dict[str, str] = {}
    key, names = _slug_and_names(key, {"en": name_en, "ru": name_ru, "tg": name_tg}, errors)
    validation.check(errors)
    if db.session.scalar(sa.select(Dimension.id).where(Dimension.key == key)) is not None:
        raise validation.Conflict(_("A dimension with this key already exists."), "key")
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
    validation.check(errors)
    exists = db.session.scalar(
        sa.select(Category.id).where(Category.dimension_id == dimension.id, Category.key == key)
    )
    if exists is not None:
        raise validation.Conflict(_("This dimension already has a category with this key."), "key")
    position = (db.session.scalar(
        sa.select(sa.func.max(Category.position)).where(Category.dimension_id == dimension.id)) or 0) + 1
    category = Category(dimension_id=dimension.id, key=key, counts_toward_balance=counts_toward_balance,
                        position=position, **names)
    db.session.add(category)
    db.session.flush()
    audit.record("category.create", "category", category.id)
    return category


def rename(entry: Dimension | Category, name_en: str, name_ru: str = "", name_tg: str = "") -> None:
    """Give a dimension or category new display names; its key, which the API and imports use, stays."""
    errors: dict[str, str] = {}
    _key, names = _slug_and_names(entry.key, {"en": name_en, "ru": name_ru, "tg": name_tg}, errors)
    validation.check(errors)
    changed = sorted(field for field, value in names.items() if getattr(entry, field) != value)
    for field, value in names.items():
        setattr(entry, field, value)
    db.session.flush()
    if changed:
        is_dimension = isinstance(entry, Dimension)
        audit.record("dimension.update" if is_dimension else "category.update",
                     "dimension" if is_dimension else "category", entry.id, detail=",".join(changed))


def set_retired(entry: Dimension | Category, is_retired: bool) -> None:
    """Retire a dimension or category (kept on old records and in reports, not offered for new ones), or bring
    it back."""
    if entry.is_retired == is_retired:
        return
    entry.is_retired = is_retired
    db.session.flush()
    if isinstance(entry, Dimension):
        audit.record("dimension.retire" if is_retired else "dimension.restore", "dimension", entry.id)
    else:
        audit.record("category.retire" if is_retired else "category.restore", "category", entry.id)


def move(entry: Dimension | Category, offset: int) -> bool:
    """Swap a dimension with its neighbour in display order (a category with its neighbour in its dimension);
    False, changing nothing, at either end. Positions are renumbered 1, 2, ... on the way."""
    if isinstance(entry, Dimension):
        siblings: list[Dimension | Category] = list(db.session.scalars(
            sa.select(Dimension).order_by(Dimension.position, Dimension.id)))
    else:
        siblings = list(db.session.scalars(sa.select(Category).where(Category.dimension_id == entry.dimension_id)
                                           .order_by(Category.position, Category.id)))
    index = siblings.index(entry)
    target = index + offset
    if not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    db.session.flush()
    is_dimension = isinstance(entry, Dimension)
    audit.record("dimension.move" if is_dimension else "category.move", "dimension" if is_dimension else "category",
                 entry.id, detail="up" if offset < 0 else "down")
    return True


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


def is_offered(category: Category) -> bool:
    """Whether a category may be given to someone: a retired one (or one of a retired dimension) stays on the
    records that have it and in reports, but nobody is newly recorded in it."""
    return not (category.is_retired or category.dimension.is_retired)


def _validated_participant(
    data: ParticipantInput, lookup: dict[str, dict[str, Category]], held: Collection[int] = ()
) -> tuple[dict[str, Any], dict[int, Category]]:
    errors: dict[str, str] = {}
    values = {
        "name": validation.text(data.name, "name", errors, max_length=limits.NAME_MAX, required=True,
                                  single_line=True),
        "organisation": validation.text(data.organisation, "organisation", errors, max_length=limits.ORGANISATION_MAX,
                                          single_line=True),
        "email": validation.text(data.email, "email", errors, max_length=limits.EMAIL_MAX, single_line=True).lower(),
        "phone": validation.text(data.phone, "phone", errors, max_length=limits.PHONE_MAX, single_line=True),
    }
    if values["email"] and "email" not in errors and not validation.EMAIL.match(values["email"]):
        errors["email"] = _("Not an e-mail address.")
    if values["phone"] and "phone" not in errors and not validation.PHONE.match(values["phone"]):
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
        elif lookup[dimension_key][category_key].id not in held and not is_offered(lookup[dimension_key][category_key]):
            errors[field] = _("This category is retired: nobody new is recorded in it.")
        else:
            category = lookup[dimension_key][category_key]
            chosen[category.dimension_id] = category
    validation.check(errors)
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


def update_participant(
    participant: Participant, data: ParticipantInput, expected_version: int | None = None
) -> Participant:
    """Change a person's details; each category given replaces that dimension's, an empty one clears it."""
    validation.check_version(participant, expected_version)
    lookup = category_lookup()
    held = {link.category_id for link in participant.categories}
    values, chosen = _validated_participant(data, lookup, held)
    # The names of the fields that change go in the audit entry, never their values; the search key follows the
    # name and is not a field of its own.
    changed = [field for field, value in values.items()
               if field != "search_key" and getattr(participant, field) != value]
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
                link = by_dimension[dimension_id]
                if link.category_id != category.id:
                    # Staff chose another category: it is no longer what the person declared (forums.signup).
                    link.category_id = category.id
                    link.is_self_declared = False
            else:
                kept.append(ParticipantCategory(dimension_id=dimension_id, category_id=category.id))
        participant.categories = kept
        # Categories live in other rows: touching this one makes the change a new version, so a stale
        # copy cannot overwrite it unnoticed.
        participant.updated_at = utcnow()
        if {link.category_id for link in kept} != held:
            changed.append("categories")
    db.session.flush()
    audit.record("participant.update", "participant", participant.id, detail=",".join(changed))
    return participant
