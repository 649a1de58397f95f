"""CSV export of a session's registrations: pseudonymous, neutralised, small groups suppressed.

Rules (SECURITY.md T15):

* **Codes, not names.** Each row carries a code ``P-`` + 12 base32 characters: an HMAC-SHA256 of the
  participant id under a salt drawn at random for this one export and then thrown away. Codes are
  stable inside one file (the same person appears once anyway), non-sequential, and cannot be joined
  across two exports or turned back into a person: there is no key table to steal. Names and
  organisations are added only for a user who holds ``can_export_names`` and asks for them.
* **Small groups are not singled out.** In each category column, a category held by fewer than
  ``K_ANONYMITY`` (5) rows of this export is written as "other/suppressed" (a missing category
  counts as a value too). This applies to exports with names as well, so a file never shows more
  than the pseudonymous one about the minorities of a small meeting.
* **Formula injection.** Every cell (headers too) that starts with ``= + - @``, tab, CR or NUL is
  prefixed with ``'`` so spreadsheet programs show it as text (ASVS 1.2.10).
* **Streamed.** Rows are read in batches by id (keyset), each batch in its own short transaction,
  and written out one line at a time: no whole table in memory, and on SQLite no write lock held
  while a slow link downloads the file.
"""

import base64
import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from models import (
    Category,
    Dimension,
    Participant,
    ParticipantCategory,
    Registration,
    db,
)

K_ANONYMITY = 5
BATCH_SIZE = 500
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'``."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def pseudonym(participant_id: int, salt: bytes) -> str:
    """The export code of a participant under this export's salt."""
    digest = hmac.new(salt, str(participant_id).encode(), hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest[:10]).decode()[:12]


@dataclass(frozen=True)
class ExportPlan:
    """What one export will contain: computed up front so the audit entry can state it."""

    session_id: int
    with_names: bool
    row_count: int
    dimensions: Sequence[tuple[int, str]]
    #: per dimension id: the category keys (``""`` for none) shown as they are
    shown_categories: dict[int, frozenset[str]]


def plan_export(session_id: int, with_names: bool) -> ExportPlan:
    """Count the rows and find which category values are held by at least ``K_ANONYMITY`` rows."""
    dimensions = [(d.id, d.key) for d in db.session.scalars(sa.select(Dimension).order_by(Dimension.position, Dimension.id))]
    row_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(Registration.session_id == session_id)
    ) or 0
    held = (
        sa.select(ParticipantCategory.dimension_id, ParticipantCategory.category_id, sa.func.count())
        .join(Registration, Registration.participant_id == ParticipantCategory.participant_id)
        .where(Registration.session_id == session_id)
        .group_by(ParticipantCategory.dimension_id, ParticipantCategory.category_id)
    )
    keys: dict[int, str] = {row.id: row.key for row in db.session.execute(sa.select(Category.id, Category.key))}
    shown: dict[int, set[str]] = {dimension_id: set() for dimension_id, _key in dimensions}
    with_category: dict[int, int] = {dimension_id: 0 for dimension_id, _key in dimensions}
    for dimension_id, category_id, count in db.session.execute(held):
        with_category[dimension_id] = with_category.get(dimension_id, 0) + count
        if count >= K_ANONYMITY:
            shown.setdefault(dimension_id, set()).add(keys[category_id])
    for dimension_id, count in with_category.items():
        if row_count - count >= K_ANONYMITY:
            shown[dimension_id].add("")
    return ExportPlan(session_id, with_names, row_count, dimensions,
                      {dimension_id: frozenset(values) for dimension_id, values in shown.items()})


def _header(plan: ExportPlan) -> list[str]:
    header = [_("code"), _("status")]
    if plan.with_names:
        header += [_("name"), _("organisation")]
    return header + [key for _id, key in plan.dimensions]


def _batches(session_id: int) -> Iterator[list[Registration]]:
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            sa.select(Registration)
            .where(Registration.session_id == session_id, Registration.id > last_id)
            .options(selectinload(Registration.participant).selectinload(Participant.categories)
                     .joinedload(ParticipantCategory.category))
            .order_by(Registration.id)
            .limit(BATCH_SIZE)
        ))
        # End the read transaction before the batch is written out to a client that may be slow: on
        # SQLite it holds the database's write lock. Detached first, the rows keep what was loaded
        # (a commit expires what the session holds, and each row would be loaded again, one by one).
        db.session.expunge_all()
        db.session.commit()
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(cell) for cell in cells])
    return buffer.getvalue()


def export_lines(plan: ExportPlan) -> Iterator[str]:
    """The CSV file as lines: a header, then one line per registration of the session."""
    salt = secrets.token_bytes(32)
    suppressed = _("other/suppressed")
    yield _csv_line(_header(plan))
    for batch in _batches(plan.session_id):
        for registration in batch:
            person = registration.participant
            cells = [pseudonym(person.id, salt), registration.status.value]
            if plan.with_names:
                cells += [person.name, person.organisation]
            held = {link.dimension_id: link.category.key for link in person.categories}
            for dimension_id, _key in plan.dimensions:
                value = held.get(dimension_id, "")
                cells.append(value if value in plan.shown_categories[dimension_id] else suppressed)
            yield _csv_line(cells)
