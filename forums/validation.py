"""Input checks shared by every feature's operations: the errors they raise and the helpers that find them.

An operation collects every problem of its input into ``errors`` (field -> words) and raises
``ValidationFailed`` before it changes anything, so a refused form or API call changes nothing.
"""

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map

#: keys of dimensions and categories (used in URLs, the API and CSV files): the forms and the API read these
SLUG_MAX = 40
SLUG_PATTERN = rf"^[a-z][a-z0-9_]{{0,{SLUG_MAX - 1}}}$"
SLUG_MESSAGE = _l("Use lowercase letters, digits and underscores, starting with a letter.")
SLUG = re.compile(SLUG_PATTERN)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")


#: the largest id a row can have: PostgreSQL's ``integer`` (SQLite's are 64-bit; one bound for both)
MAX_ID = 2**31 - 1
#: the largest whole number any JSON field may hold (64-bit signed, like PostgreSQL's ``bigint``)
MAX_JSON_INT = 2**63 - 1
_SURROGATES = re.compile("[\ud800-\udfff]")


def digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``limit``, and no other digit string.

    For 2147483647: up to 9 digits, or 10 digits starting 1, 20, 21[0-3], 214[0-6], ... up to the limit itself.
    """
    text = str(limit)
    parts = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        lowest = 1 if position == 0 and len(text) > 1 else 0
        if int(digit) > lowest:
            rest = len(text) - position - 1
            parts.append(f"{text[:position]}[{lowest}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` URL converter, bounded at ``MAX_ID``, registered app-wide as ``int``.

    ``/sessions/99999999999999999999`` matches no route and is a 404, as for any id that does not
    exist, instead of reaching a query PostgreSQL refuses with an error (every ``<int:...>`` of every
    blueprint gets the bound, including routes added later). The bound is in the pattern itself: a
    number the pattern matched but ``max`` refused would make werkzeug answer 405 when another rule
    takes the same path with another method.
    """

    regex = digits_up_to(MAX_ID)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def is_id(value: Any) -> bool:
    """Whether ``value`` (from JSON) can be the id of a row: a whole number from 1 to ``MAX_ID``."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def whole_number(raw: str | None, *, maximum: int = MAX_ID) -> int | None:
    """A query-string or form value as a whole number from 0 to ``maximum``, or None when it is not one.

    ASCII digits only: ``str.isdigit()`` also accepts digits such as "²" that ``int()`` refuses, and a
    number past ``maximum`` would reach the database as a value it refuses with an error.
    """
    if not raw or len(raw) > len(str(maximum)) or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= maximum else None


def page_number(raw: str | None) -> int:
    """The page of a list a query string asks for: 1 when absent or nonsense, and a number too large for
    any list (``?page=99999999999999999999``) stands for the last possible page, past the end like page 99."""
    if not (raw and raw.isascii() and raw.isdigit()):
        return 1
    number = whole_number(raw)
    return MAX_ID if number is None else max(1, number)


def is_clean_unicode(value: str) -> bool:
    """Whether text can be stored anywhere: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    return "\x00" not in value and not _SURROGATES.search(value)


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


#: Unicode categories refused in a one-line field: control characters (CR, LF, tab, NUL, ...) and the
#: line and paragraph separators; any of them could break a calendar line, a CSV row or a log line
LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def line_problem(value: str) -> str | None:
    """Why ``value`` cannot be one line of text (a title, a venue, a name), or None when it can."""
    if any(unicodedata.category(char) in LINE_BREAKING_CATEGORIES for char in value):
        return _("Write this on one line: line breaks and control characters are not allowed here.")
    return None


def text(value: Any, field: str, errors: dict[str, str], *, max_length: int, required: bool = False,
         single_line: bool = False) -> str:
    """``value`` as stripped text, noting in ``errors`` why it is refused: NUL, empty when required, too long,
    or, for a ``single_line`` field (titles, venues, names), a line break or another control character."""
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[field] = _("Text may not contain NUL characters.")
    elif single_line and (problem := line_problem(text)):
        errors[field] = problem
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


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse an edit made from a copy older than the stored object."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(_("Someone else changed this since you opened it. Reload to see their changes, "
                         "then edit again."))
