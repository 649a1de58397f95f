"""The export of a session's concerns and answers for the report to headquarters.

The rules of the other exports (``forums.data.exports``): no names or organisations at all; the
submitter's categories at submission, together with the concern's stage, are the quasi-identifiers and are
made k-anonymous as a whole (``forums.data.anonymity.generalise``, k = ``SMALL_COUNT_THRESHOLD``); cells are
written as Excel opens them, formula cells neutralised (``forums.data.excel_csv``). Only published answers
are written; a draft is the officials' word only once it is checked. The caller audits the export.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from forums.concerns import queries
from forums.data.anonymity import Combination, Released, generalise
from forums.data.excel_csv import lines as csv_lines
from models import Concern, Dimension, db


@dataclass(frozen=True)
class ExportPlan:
    """What the file will contain: the concerns, the dimensions written, and what each combination shows."""

    concerns: Sequence[Concern]
    dimensions: Sequence[tuple[int, str]]
    k: int
    released: dict[Combination, Released]

    @property
    def row_count(self) -> int:
        """How many concerns the file lists (for the audit entry)."""
        return len(self.concerns)


def _combination(concern: Concern, dimensions: Sequence[tuple[int, str]]) -> Combination:
    held = {link.dimension_id: link.category.key for link in concern.categories}
    return (concern.stage.value, *(held.get(dimension_id, "") for dimension_id, _key in dimensions))


def plan(forum_session_id: int, k: int) -> ExportPlan:
    """Load the session's concerns with their issues and published answers, and make the categories k-anonymous."""
    dimensions = [(row.id, row.key) for row in db.session.execute(
        sa.select(Dimension.id, Dimension.key).order_by(Dimension.position, Dimension.id))]
    issues = {issue.id: issue for issue in queries.session_issues(forum_session_id)}
    concerns = [concern for issue in issues.values() for concern in issue.concerns]
    concerns += [concern for concern in queries.session_concerns(forum_session_id) if concern.issue_id is None]
    concerns.sort(key=lambda concern: concern.id)
    counts = Counter(_combination(concern, dimensions) for concern in concerns)
    return ExportPlan(concerns, dimensions, k, generalise(counts, k))


def lines(export: ExportPlan) -> Iterator[str]:
    """The CSV file as lines: one row per concern, with its issue and the issue's published answers."""
    suppressed = _("other/suppressed")
    header = [_("concern"), _("stage"), _("language"), _("text"), _("issue"), _("answers")] + \
        [key for _id, key in export.dimensions]

    def rows() -> Iterator[list[str]]:
        for concern in export.concerns:
            stage, *categories = export.released[_combination(concern, export.dimensions)]
            issue = concern.issue
            answers = " | ".join(f"{answer.answered_on.isoformat()} {answer.authority} ({answer.state.value}): "
                                 f"{answer.text}" for answer in (issue.answers if issue else [])
                                 if answer.published_at is not None)
            yield [f"C-{concern.id}", suppressed if stage is None else stage, concern.language, concern.text,
                   issue.title if issue else "", answers,
                   *(suppressed if value is None else value for value in categories)]

    return csv_lines(header, rows())
