"""CSV exports: a session's registrations (pseudonymous, neutralised, k-anonymous) and counts for reports.

Rules (SECURITY.md T15, T23):

* **Codes, not names.** Each row carries a code ``P-`` + 12 base32 characters: an HMAC-SHA256 of the
  participant id under a salt drawn at random for this one export and then thrown away. Codes are
  stable inside one file (the same person appears once anyway), non-sequential, and cannot be joined
  across two exports or turned back into a person: there is no key table to steal. Names and
  organisations are added only for a user who holds ``can_export_names`` and asks for them.
* **No row stands out.** A row's status and its category in every dimension together are what a
  reader matches someone on, so they are made k-anonymous as a whole (``forums.data.anonymity.
  generalise``, k = the app's ``SMALL_COUNT_THRESHOLD``, default 5): values are written as
  "other/suppressed" until every combination in the file is shared by at least k rows (a missing
  category counts as a value too). This applies to exports with names as well, so a file never shows
  more than the pseudonymous one about the minorities of a small meeting.
* **Formula injection.** Every cell (headers too) that starts with ``= + - @``, tab, CR or NUL is
  prefixed with ``'`` so spreadsheet programs show it as text (ASVS 1.2.10).
* **Streamed.** Rows are read in batches by id (keyset), each batch in its own short transaction,
  and written out one line at a time: no whole table in memory, and on SQLite no write lock held
  while a slow link downloads the file. The combinations are counted up front in one GROUP BY; a
  registration added between the count and its batch has a combination the plan did not see and is
  written fully suppressed.

The **aggregate report** (for headquarters) has no rows of people at all: per session, stage,
dimension and category, how many people; a cell that could single someone out (a count of 1 to k-1,
or one recomputable from the others) is written "suppressed" (``forums.data.anonymity.
suppress_cells``).

Both files are written as Excel on Windows opens them (``forums.data.excel_csv``): UTF-8 with a byte
order mark, CRLF line ends, formula cells neutralised.
"""

import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from forums.balance.policies import load_catalogue
from forums.balance.queries import stage_counts, stage_totals
from forums.balance.rules import STAGES
from forums.data.anonymity import (
    Cell,
    Combination,
    Released,
    generalise,
    suppress_cells,
)
from forums.data.excel_csv import BOM
from forums.data.excel_csv import line as _csv_line
from forums.data.excel_csv import neutralise_cell as neutralise_cell
from forums.i18n import display_zone
from models import (
    Category,
    Dimension,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    db,
)

BATCH_SIZE = 500


def new_salt() -> bytes:
    """The salt of one export's codes: drawn at random, never stored, thrown away with the export."""
    return secrets.token_bytes(32)


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
    #: the k the file is anonymous to
    k: int
    #: per combination of (status, category key per dimension, ``""`` for none): what the file shows
    released: dict[Combination, Released]


def combination_counts(session_id: int, dimensions: Sequence[tuple[int, str]]) -> dict[Combination, int]:
    """Registrations of the session per (status, category key of each dimension): one GROUP BY query."""
    keys: dict[int, str] = {row.id: row.key for row in db.session.execute(sa.select(Category.id, Category.key))}
    links = [aliased(ParticipantCategory) for _dimension in dimensions]
    statement = sa.select(Registration.status, *(link.category_id for link in links), sa.func.count())
    for link, (dimension_id, _key) in zip(links, dimensions, strict=True):
        statement = statement.outerjoin(link, sa.and_(link.participant_id == Registration.participant_id,
                                                      link.dimension_id == dimension_id))
    statement = (statement.where(Registration.session_id == session_id)
                 .group_by(Registration.status, *(link.category_id for link in links)))
    counts: dict[Combination, int] = {}
    for status, *category_ids, count in db.session.execute(statement):
        categories = (keys.get(category_id, "") if category_id else "" for category_id in category_ids)
        combination = (status.value, *categories)
        counts[combination] = counts.get(combination, 0) + int(count)
    return counts


def plan_export(session_id: int, with_names: bool, k: int) -> ExportPlan:
    """Count the rows and decide what each combination of status and categories is written as (k-anonymous)."""
    dimensions = [(d.id, d.key)
                  for d in db.session.scalars(sa.select(Dimension).order_by(Dimension.position, Dimension.id))]
    counts = combination_counts(session_id, dimensions)
    return ExportPlan(session_id, with_names, sum(counts.values()), dimensions, k, generalise(counts, k))


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


def export_lines(plan: ExportPlan) -> Iterator[str]:
    """The CSV file as lines: a header, then one line per registration of the session."""
    salt = new_salt()
    suppressed = _("other/suppressed")
    unseen: Released = (None,) * (1 + len(plan.dimensions))
    yield BOM + _csv_line(_header(plan))
    for batch in _batches(plan.session_id):
        for registration in batch:
            person = registration.participant
            held = {link.dimension_id: link.category.key for link in person.categories}
            combination = (registration.status.value,
                           *(held.get(dimension_id, "") for dimension_id, _key in plan.dimensions))
            status, *categories = plan.released.get(combination, unseen)
            cells = [pseudonym(person.id, salt), suppressed if status is None else status]
            if plan.with_names:
                cells += [person.name, person.organisation]
            cells += [suppressed if value is None else value for value in categories]
            yield _csv_line(cells)


# Aggregate report -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AggregateReport:
    """People per session, stage, dimension and category, with the cells that could single someone out hidden."""

    #: (session id, title, local date) in the order of the file
    sessions: Sequence[tuple[int, str, str]]
    #: (session id, stage, dimension key, category key or ``""`` for none) -> count, None when hidden
    cells: dict[Cell, int | None]
    k: int

    @property
    def hidden(self) -> int:
        """How many cells are hidden (for the audit entry)."""
        return sum(1 for count in self.cells.values() if count is None)


def aggregate_report(sessions: Sequence[ForumSession], k: int) -> AggregateReport:
    """Count every session's people per stage and category (three queries) and hide what could single anyone out.

    Each dimension lists all its categories, zeros included, plus ``""`` for people without a
    category in it when there are any; hiding is ``forums.data.anonymity.suppress_cells``.
    """
    ids = [forum_session.id for forum_session in sessions]
    catalogue = load_catalogue()
    counts = stage_counts(ids, STAGES)
    totals = stage_totals(ids, STAGES)
    cells: dict[Cell, int] = {}
    for session_id in ids:
        for dimension in catalogue.dimensions:
            held = {stage: {category.key: counts.get((session_id, stage), Counter()).get(category.id, 0)
                            for category in dimension.categories} for stage in STAGES}
            without = {stage: totals.get((session_id, stage), 0) - sum(held[stage].values()) for stage in STAGES}
            for stage in STAGES:
                for category_key, count in held[stage].items():
                    cells[(session_id, stage, dimension.key, category_key)] = count
                if any(without.values()):
                    cells[(session_id, stage, dimension.key, "")] = without[stage]
    zone = display_zone()
    described = [(forum_session.id, forum_session.title, forum_session.starts_at.astimezone(zone).date().isoformat())
                 for forum_session in sessions]
    return AggregateReport(described, suppress_cells(cells, STAGES, k), k)


def aggregate_lines(report: AggregateReport) -> Iterator[str]:
    """The aggregate CSV as lines: a byte order mark and a header, then one line per cell."""
    suppressed = _("suppressed")
    no_category = _("(no category)")
    header = [_("session id"), _("session"), _("date"), _("stage"), _("dimension"), _("category"), _("count")]
    yield BOM + _csv_line(header)
    titles = {session_id: (title, day) for session_id, title, day in report.sessions}
    for (session_id, stage, dimension, category), count in report.cells.items():
        title, day = titles[session_id]  # type: ignore[index]
        yield _csv_line([str(session_id), title, day, stage, dimension, category or no_category,
                         suppressed if count is None else str(count)])
