"""The effect of a change of registrations on a session's balance, before it is made.

Pure (no Flask, no database): the caller hands in the counts as they are and the people a change moves,
each with their categories and their status before and after; the reports before and after are
``rules.compute_balance`` on both counts, so the preview says exactly what the balance page will say once
the change is saved.

Rules:

- a person counts at a stage when their status is one the stage counts (``stage_statuses``, which the
  caller takes from ``models.registrations.STAGE_STATUSES``: a pure module does not import models); a
  person not on the session has no status (``None``) and counts nowhere;
- a move counts once per stage it enters or leaves: moving from invited to registered adds the person to
  the registered stage and leaves the invited stage (which counts both) as it was;
- only stages whose numbers change are previewed, in the order of ``rules.STAGES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from forums.balance.rules import STAGES, BalanceReport, DimensionSpec, Quota, Status, compute_balance

#: (dimension key, category key)
Pair = tuple[str, str]


@dataclass(frozen=True)
class Move:
    """One person's registration before and after a change; ``None`` is "not on the session"."""

    categories: tuple[Pair, ...]
    old: str | None
    new: str | None


class PreviewLine(NamedTuple):
    """A category whose count or status a change moves."""

    dimension: str
    category: str
    count_before: int
    count_after: int
    status_before: Status
    status_after: Status
    counts_toward_balance: bool


@dataclass(frozen=True)
class StagePreview:
    """A stage's report before and after the change."""

    before: BalanceReport
    after: BalanceReport

    @property
    def stage(self) -> str:
        """The stage both reports count."""
        return self.before.stage

    def lines(self) -> list[PreviewLine]:
        """Every category whose count or status changes, in catalogue order."""
        changed: list[PreviewLine] = []
        for dimension_before, dimension_after in zip(self.before.dimensions, self.after.dimensions, strict=True):
            for line_before, line_after in zip(dimension_before.categories, dimension_after.categories, strict=True):
                if (line_before.count, line_before.status) != (line_after.count, line_after.status):
                    changed.append(PreviewLine(dimension_before.key, line_before.key, line_before.count,
                                               line_after.count, line_before.status, line_after.status,
                                               line_before.counts_toward_balance))
        return changed


def _counted_at(status: str | None, statuses: Collection[str]) -> bool:
    return status is not None and status in statuses


def preview(session_id: int, dimensions: Sequence[DimensionSpec], quotas: Sequence[Quota],
            counts: Mapping[str, Mapping[Pair, int]], totals: Mapping[str, int], moves: Iterable[Move],
            stage_statuses: Mapping[str, Collection[str]]) -> list[StagePreview]:
    """The reports before and after ``moves`` at every stage they change (see the module's rules).

    ``counts`` and ``totals`` are per stage as they are now; a stage missing from them counts nobody.
    """
    moves = list(moves)
    previews = []
    for stage in STAGES:
        statuses = stage_statuses[stage]
        delta: Counter[Pair] = Counter()
        total_delta = 0
        for move in moves:
            step = _counted_at(move.new, statuses) - _counted_at(move.old, statuses)
            if step:
                total_delta += step
                for pair in move.categories:
                    delta[pair] += step
        if not total_delta and not any(delta.values()):
            continue
        before = dict(counts.get(stage, {}))
        after = Counter(before)
        after.update(delta)
        previews.append(StagePreview(
            compute_balance(session_id, stage, totals.get(stage, 0), dimensions, before, quotas),
            compute_balance(session_id, stage, totals.get(stage, 0) + total_delta, dimensions,
                            {pair: count for pair, count in after.items() if count > 0}, quotas),
        ))
    return previews
