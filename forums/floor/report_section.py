"""The floor's section of the report for headquarters: who was heard over the period, per category, no names.

Over the report's sessions held that had a list of speakers: per category of each dimension, the attendances
(people checked in, a person at two sessions counted twice), their share of the room, the share of the time
spoken and the number of speeches. Attendance counts go through ``forums.data.anonymity.suppress_cells`` with
the report's ``k`` (the period is one "session" of that table, at one stage); where a count is hidden, its shares
and speeches are hidden too, since they would tell what one or two people said.
"""

from __future__ import annotations

from flask_babel import gettext as _

from forums.balance.policies import Catalogue
from forums.data.anonymity import Cell, suppress_cells
from forums.floor import queries, rules
from forums.reports.sections import ReportScope, ReportSection, add_section

#: the one "session" and stage of the suppressed table: the period, people in the room
_PERIOD, _STAGE = "period", "attended"
HIDDEN = "—"


def floor_section(scope: ReportScope) -> ReportSection | None:
    """The floor over the scope's sessions held, or None when none of them had anyone speak."""
    catalogue = queries.catalogue()
    floor = queries.floor_over(queries.sessions_with_lists(scope.session_ids), catalogue)
    if floor is None:
        return None
    return ReportSection(
        title=_("Who was heard: the floor against the room"),
        header=(_("Dimension"), _("Category"), _("Attendances"), _("Share of the room"), _("Share of the time"),
                _("Speeches")),
        rows=tuple(_rows(floor, catalogue, scope)),
        note=_("Sessions held that had a list of speakers. Counts under %(k)d are hidden with what they would "
               "reveal.", k=scope.k),
    )


def _rows(floor: tuple[rules.DimensionFloor, ...], catalogue: Catalogue,
          scope: ReportScope) -> list[tuple[str, ...]]:
    table: dict[Cell, int] = {(_PERIOD, _STAGE, dimension.key, category.key): category.present
             for dimension in floor for category in dimension.categories}
    shown = suppress_cells(table, [_STAGE], scope.k)
    rows: list[tuple[str, ...]] = []
    for dimension in floor:
        for category in dimension.categories:
            present = shown[(_PERIOD, _STAGE, dimension.key, category.key)]
            visible = present is not None
            rows.append((
                catalogue.dimension_name(dimension.key, scope.locale),
                catalogue.category_name(dimension.key, category.key, scope.locale),
                str(present) if visible else HIDDEN,
                _percent(category.attendance_share) if visible and category.counts_toward_balance else HIDDEN,
                _percent(category.time_share) if visible and category.counts_toward_balance else HIDDEN,
                str(category.speeches) if visible else HIDDEN,
            ))
    return rows


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


add_section(floor_section)
