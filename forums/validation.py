"""Input checks shared by every feature's operations: the errors they raise and the helpers that find them.

An operation collects every problem of its input into ``errors`` (field -> words) and raises
``ValidationFailed`` before it changes anything, so a refused form or API call changes nothing.
"""

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")


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


def check(fields: dict[str, str]) -> None:
    if fields:
        raise ValidationFailed(fields)


def text(value: Any, field: str, errors: dict[str, str], *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[field] = _("Text may not contain NUL characters.")
    elif required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)d characters.", n=max_length)
    return text


def choice(changes: Mapping[str, Any], field: str, enum_cls: type[Any], values: dict[str, Any],
            errors: dict[str, str]) -> None:
    """Copy ``changes[field]`` into ``values`` as a member of ``enum_cls``, or note the error."""
    if field not in changes:
        return
    if changes[field] not in {member.value for member in enum_cls}:
        errors[field] = _("Choose one of: %(values)s.", values=", ".join(m.value for m in enum_cls))
    else:
        values[field] = enum_cls(changes[field])


def slug_and_names(key: Any, names: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A lowercase slug key and display names in English (required), Russian and Tajik."""
    key = text(key, "key", errors, max_length=40, required=True)
    if "key" not in errors and not SLUG.match(key):
        errors["key"] = _("Use lowercase letters, digits and underscores, starting with a letter.")
    clean = {f"name_{lang}": text(names.get(lang), f"name_{lang}", errors, max_length=120, required=lang == "en")
             for lang in ("en", "ru", "tg")}
    return key, clean


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse an edit made from a copy older than the stored object."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(_("Someone else changed this since you opened it. Reload to see their changes, then edit again."))
