"""Who in the register may already be the person being added: the same name in any script, e-mail or phone.

The staff page, ``POST /api/v1/participants`` and the CSV import ask :func:`find` before adding anyone,
and warn with the records it returns instead of adding a second copy of the same person (the page and
the import offer to add anyway, the API asks for ``"allow_duplicate": true``). Two people are taken for
the same person when any one of these holds:

* **name**: the same words after ``forums.people.names.search_key`` folding, in any order
  (Раҳимова Нигора = Rahimova Nigora = Нигора Рахимова);
* **e-mail**: the same address, whatever the case;
* **phone**: the same last nine digits (a Tajik number is nine digits after +992, so ``+992 93 555 0101``
  and ``93-555-01-01`` are one number), or the same digits when a number has fewer than nine.

A blank field matches nothing. At most three queries per ``CHUNK`` people looked up, whatever the register's size.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from forums.people.names import search_key
from models import Participant, db

#: the fields a match can be on, in the order they are told
FIELDS = ("name", "email", "phone")
#: how a match on each field is told on pages
FIELD_LABELS = {"name": _l("same name"), "email": _l("same e-mail"), "phone": _l("same phone")}
#: how many trailing digits identify a phone number (a Tajik number without its country code)
PHONE_DIGITS = 9
#: names with more words than this are matched in their given order and sorted, not in every order
MAX_REORDERED_WORDS = 4
#: people looked up per query
CHUNK = 300

_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True)
class Identity:
    """What identifies a person being added."""

    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Match:
    """A person in the register who may be the one being added, and on which fields."""

    participant_id: int
    name: str
    organisation: str
    #: a subset of ``FIELDS``, in that order
    fields: tuple[str, ...]

    def reasons(self) -> str:
        """What matched, in words ("same name, same e-mail")."""
        return ", ".join(str(FIELD_LABELS[field]) for field in self.fields)


def name_words(name: str) -> tuple[str, ...]:
    """The folded words of a name, sorted: equal for the same name in any script and word order."""
    return tuple(sorted(search_key(name).split()))


def email_key(email: str) -> str:
    """An e-mail address as compared: trimmed, lower case."""
    return email.strip().lower()


def phone_key(phone: str) -> str:
    """A phone number as compared: its last ``PHONE_DIGITS`` digits (all of them when fewer)."""
    return _NOT_DIGIT.sub("", phone)[-PHONE_DIGITS:]


def _stored_keys(name: str) -> set[str]:
    """The search keys a stored name with these words may have: every order of its words (sorted when many)."""
    words = search_key(name).split()
    if not words:
        return set()
    if len(words) > MAX_REORDERED_WORDS:
        return {" ".join(words), " ".join(sorted(words))}
    return {" ".join(order) for order in itertools.permutations(words)}


def _phone_digits() -> sa.ColumnElement[str]:
    """``participant.phone`` with the characters a phone may hold besides digits removed, in SQL."""
    digits: sa.ColumnElement[str] = sa.func.replace(Participant.phone, "+", "")
    for character in (" ", "-", "(", ")"):
        digits = sa.func.replace(digits, character, "")
    return digits


def _phone_key_sql() -> sa.ColumnElement[str]:
    """``phone_key`` in SQL (SQLite and PostgreSQL): the last digits, or all of them when fewer."""
    digits = _phone_digits()
    length = sa.func.length(digits)
    return sa.case((length > PHONE_DIGITS, sa.func.substr(digits, length - (PHONE_DIGITS - 1))), else_=digits)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def find(identities: Sequence[Identity], exclude: Iterable[int] = ()) -> list[list[Match]]:
    """For each identity, the people of the register who may be the same person, by id (rules above).

    ``exclude`` are ids never returned (the person being compared with themselves).
    """
    excluded = set(exclude)
    wanted_keys = {key for identity in identities for key in _stored_keys(identity.name)}
    wanted_emails = {email_key(identity.email) for identity in identities} - {""}
    wanted_phones = {phone_key(identity.phone) for identity in identities} - {""}
    rows: dict[int, tuple[str, str, str, str]] = {}

    def collect(where: sa.ColumnElement[bool]) -> None:
        statement = sa.select(Participant.id, Participant.name, Participant.organisation, Participant.email,
                              Participant.phone).where(where)
        for participant_id, *values in db.session.execute(statement):
            rows[participant_id] = (values[0], values[1], values[2], values[3])

    for chunk in _chunks(wanted_keys):
        collect(Participant.search_key.in_(chunk))
    for chunk in _chunks(wanted_emails):
        collect(sa.func.lower(Participant.email).in_(chunk))
    for chunk in _chunks(wanted_phones):
        collect(sa.and_(Participant.phone != "", _phone_key_sql().in_(chunk)))
    index: dict[tuple[str, object], list[int]] = {}
    for participant_id, row in sorted(rows.items()):
        if participant_id not in excluded:
            name, _organisation, email, phone = row
            for pair in keys_of(Identity(name, email, phone)):
                index.setdefault(pair, []).append(participant_id)
    found: list[list[Match]] = []
    for identity in identities:
        on: dict[int, list[str]] = {}
        for field, key in keys_of(identity):
            for participant_id in index.get((field, key), []):
                on.setdefault(participant_id, []).append(field)
        found.append([Match(participant_id, rows[participant_id][0], rows[participant_id][1], tuple(fields))
                      for participant_id, fields in sorted(on.items())])
    return found


def find_one(identity: Identity, exclude: Iterable[int] = ()) -> list[Match]:
    """The people of the register who may be this person (:func:`find` for one)."""
    return find([identity], exclude)[0]


def keys_of(identity: Identity) -> list[tuple[str, object]]:
    """``(field, key)`` of each field that identifies this person: two people sharing one are taken for the same."""
    pairs: list[tuple[str, object]] = [("name", name_words(identity.name)), ("email", email_key(identity.email)),
                                       ("phone", phone_key(identity.phone))]
    return [(field, key) for field, key in pairs if key]


def identity_keys(participant_ids: Sequence[int]) -> dict[int, list[tuple[str, object]]]:
    """:func:`keys_of` of each of these people of the register, in one query per ``CHUNK``."""
    found: dict[int, list[tuple[str, object]]] = {}
    ordered = sorted(set(participant_ids))
    for start in range(0, len(ordered), CHUNK):
        rows = db.session.execute(sa.select(Participant.id, Participant.name, Participant.email, Participant.phone)
                                  .where(Participant.id.in_(ordered[start:start + CHUNK])))
        for participant_id, name, email, phone in rows:
            found[participant_id] = keys_of(Identity(name, email, phone))
    return found
