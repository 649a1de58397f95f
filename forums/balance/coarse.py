"""The live balance as a facilitator sees it: where each category stands, never how many (issue 14).

A facilitator checks people in one by one while the live panel refreshes, so any count on it that
moves by one names the category of the person just checked in (check in, look, undo). Staff see
the exact report; a facilitator sees this coarse one instead. Rules (SECURITY.md T23):

* No count, share, "counted" figure, index or numbered suggestion: per category only whether it is
  under, within or over the policy (and whether it counts toward balance at all).
* Nothing per category at all while fewer than ``k`` people are present, or while fewer than ``k``
  people present hold a category of that dimension (``k`` is the app's ``SMALL_COUNT_THRESHOLD``,
  default 5): a status of a handful of people is their categories.
* The totals (arrived, expected, seats) stay: the facilitator counts heads anyway.

What remains: a status changes when a limit is crossed, and a dimension appears when the k-th person
holding one of its categories arrives, so the one check-in that does it says which side of the line
that person is on. That is the least the panel can show and still tell the door whom the room lacks.

Pure: no Flask, SQLAlchemy or models import (``forums.balance.rules`` is pure too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forums.balance.rules import BalanceReport, Status


@dataclass(frozen=True)
class CategoryStanding:
    """Where one category stands against the policy, without its count."""

    key: str
    status: Status
    counts_toward_balance: bool

    def to_json(self) -> dict[str, Any]:
        """The category as the summary JSON gives it to a facilitator."""
        return {"key": self.key, "status": self.status, "counts_toward_balance": self.counts_toward_balance}


@dataclass(frozen=True)
class DimensionStanding:
    """One dimension of the coarse report; ``shown`` False when too few people are in it to say anything."""

    key: str
    shown: bool
    categories: tuple[CategoryStanding, ...]

    @property
    def ok(self) -> bool | None:
        """Every category within its limits; None when the dimension is not shown."""
        return all(category.status == "ok" for category in self.categories) if self.shown else None

    def to_json(self) -> dict[str, Any]:
        """The dimension as the summary JSON gives it to a facilitator."""
        return {"key": self.key, "shown": self.shown, "ok": self.ok,
                "categories": [category.to_json() for category in self.categories]}


@dataclass(frozen=True)
class CoarseReport:
    """A balance report with every count taken out (rules in the module docstring)."""

    session_id: int
    stage: str
    total: int
    #: the threshold below which nothing per category is shown
    k: int
    dimensions: tuple[DimensionStanding, ...]

    @property
    def shown(self) -> bool:
        """Whether enough people are present for any category to be shown."""
        return self.total >= self.k

    @property
    def ok(self) -> bool | None:
        """Every dimension shown and within its limits; None while any is not shown."""
        if not all(dimension.shown for dimension in self.dimensions):
            return None
        return all(dimension.ok for dimension in self.dimensions)

    def to_json(self) -> dict[str, Any]:
        """The summary JSON's ``balance`` for a facilitator (``detail`` says it is the coarse one)."""
        return {"detail": "coarse", "session_id": self.session_id, "stage": self.stage, "total": self.total,
                "k": self.k, "ok": self.ok, "dimensions": [dimension.to_json() for dimension in self.dimensions]}


def coarse_report(report: BalanceReport, k: int) -> CoarseReport:
    """The report a facilitator may see of ``report``."""
    dimensions = []
    for dimension in report.dimensions:
        shown = report.total >= k and dimension.counted >= k
        categories = tuple(CategoryStanding(line.key, line.status, line.counts_toward_balance)
                           for line in dimension.categories) if shown else ()
        dimensions.append(DimensionStanding(dimension.key, shown, categories))
    return CoarseReport(report.session_id, report.stage, report.total, k, tuple(dimensions))
