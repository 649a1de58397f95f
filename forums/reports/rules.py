"""What a report for headquarters shows, pure (no Flask, SQLAlchemy or models import).

Input: the sessions held in the period (not cancelled, started before now), and for each the people
checked in per category and whether each category was under, within or over the session's policy
(``forums.balance.rules.compute_balance`` at the ``attended`` stage). Output, with no name anywhere:

* per category: attendances over the period (a person at two sessions counts twice), its share of
  the counted attendances of its dimension, and at how many sessions it was under or over its policy;
* per month (Asia/Dushanbe calendar months): sessions held and attendances per category (the trend);
* categories that count toward balance and nobody of which attended any session (never present), in
  dimensions someone who attended has a category of (a dimension nobody's category is recorded in, such
  as the sector at a discussion club, says nothing about who was absent).

Small counts are suppressed with ``forums.data.anonymity.suppress_cells`` and the app's k: the period
table is one "session" of the aggregate, each month another, at the single stage ``attended``. A
category counts as never present only where its zero is shown: a hidden zero says nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from forums.balance.rules import STAGES, DimensionSpec, Status
from forums.data.anonymity import suppress_cells

#: the stage a report counts: who was in the room
STAGE = STAGES[-1]


def last_month(today: date) -> tuple[date, date]:
    """The period a report covers when its reader names none: the last whole calendar month before ``today``."""
    last_day = today.replace(day=1) - timedelta(days=1)
    return last_day.replace(day=1), last_day
#: the key of the whole period among the months in the suppression table
PERIOD = "period"


def scope_key(first_day: date, last_day: date, forum_ids: Sequence[int]) -> str:
    """The key of a report's period and forums (its narrative is stored under it); no forum ids: every forum."""
    return f"{first_day.isoformat()}..{last_day.isoformat()}|{','.join(str(i) for i in sorted(set(forum_ids)))}"


def months_between(first_day: date, last_day: date) -> list[str]:
    """Every calendar month ``YYYY-MM`` from ``first_day`` to ``last_day``, in order."""
    months = []
    year, month = first_day.year, first_day.month
    while (year, month) <= (last_day.year, last_day.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class HeldSession:
    """One session held in the period, as the report counts it."""

    month: str
    #: people checked in per (dimension key, category key)
    counts: Mapping[tuple[str, str], int]
    #: each category's standing against the session's policy at the attended stage
    statuses: Mapping[tuple[str, str], Status]


@dataclass(frozen=True)
class CategoryLine:
    """One category over the period; ``attendances`` and ``share`` are None where suppressed."""

    dimension: str
    category: str
    counts_toward_balance: bool
    attendances: int | None
    share: float | None
    sessions_under: int
    sessions_over: int


@dataclass(frozen=True)
class MonthLine:
    """One month of the trend: sessions held, and attendances per category (None where suppressed)."""

    month: str
    sessions: int
    attendances: Mapping[tuple[str, str], int | None]


@dataclass(frozen=True)
class Report:
    """The report's numbers (names of dimensions and categories are the page's business)."""

    sessions_held: int
    k: int
    categories: tuple[CategoryLine, ...]
    months: tuple[MonthLine, ...]
    #: (dimension key, category key) of counting categories nobody of which attended, in catalogue order
    never_present: tuple[tuple[str, str], ...]


def build_report(dimensions: Sequence[DimensionSpec], held: Sequence[HeldSession], months: Sequence[str],
                 k: int) -> Report:
    """The report of these sessions (rules in the module docstring)."""
    pairs = [(dimension.key, category.key) for dimension in dimensions for category in dimension.categories]
    counting = {(dimension.key, category.key): category.counts_toward_balance
                for dimension in dimensions for category in dimension.categories}
    per_month: dict[str, Counter[tuple[str, str]]] = {month: Counter() for month in months}
    sessions_per_month: Counter[str] = Counter()
    period: Counter[tuple[str, str]] = Counter()
    under: Counter[tuple[str, str]] = Counter()
    over: Counter[tuple[str, str]] = Counter()
    for session in held:
        sessions_per_month[session.month] += 1
        for pair, count in session.counts.items():
            if pair in counting:
                period[pair] += count
                per_month.setdefault(session.month, Counter())[pair] += count
        for pair, status in session.statuses.items():
            if status == "under":
                under[pair] += 1
            elif status == "over":
                over[pair] += 1
    table: dict[tuple[Hashable, str, str, str], int] = {
        (PERIOD, STAGE, dimension, category): period[(dimension, category)] for dimension, category in pairs}
    for month in months:
        table.update({(month, STAGE, dimension, category): per_month[month][(dimension, category)]
                      for dimension, category in pairs})
    shown = suppress_cells(table, [STAGE], k)
    counted_total = Counter[str]()
    for (dimension, category), count in period.items():
        if counting[(dimension, category)]:
            counted_total[dimension] += count
    lines = []
    for dimension, category in pairs:
        value = shown[(PERIOD, STAGE, dimension, category)]
        total = counted_total[dimension]
        lines.append(CategoryLine(
            dimension, category, counting[(dimension, category)], value,
            None if value is None or not total else value / total,
            under[(dimension, category)], over[(dimension, category)]))
    return Report(
        sessions_held=len(held), k=k, categories=tuple(lines),
        months=tuple(MonthLine(month, sessions_per_month[month],
                               {pair: shown[(month, STAGE, *pair)] for pair in pairs}) for month in months),
        never_present=tuple(pair for pair in pairs
                            if counting[pair] and counted_total[pair[0]] and shown[(PERIOD, STAGE, *pair)] == 0),
    )
