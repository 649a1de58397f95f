"""Representation balance: counts against a policy, the Gallagher index and the fewest fixes.

Pure computation (no Flask, no database): the web layer runs one aggregate query for the counts
and hands them in with the dimensions and quotas; the report's ``to_json`` is the API contract's
"balance report" (``shared/contracts/API.md``).

Rules used throughout:

- A share limit is read as an exact fraction, the simplest one within float noise of the stored
  number (denominator up to a million): ``0.3`` is exactly 3/10 and the float nearest 1/3 is exactly
  one third. Status checks and suggestions compare integers with these fractions, so "12 of 40
  with a maximum share of 0.3" is exactly at the limit (ok), never over it by rounding.
- Categories that do not count toward balance (e.g. international observers) are listed with their
  count and a share relative to ``counted`` (observers per counted participant), but they are
  left out of ``counted``, always have status ``ok``, and any quota on them is ignored (the policy
  validator refuses such quotas, see ``forums.balance.policy_rules``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

#: the stages a report can be computed at; which registration statuses each counts is
#: ``models.registrations.STAGE_STATUSES`` (a pure module does not import the model)
STAGES = ("invited", "registered", "confirmed", "attended")

#: shares are read as fractions with at most this denominator (see the module docstring)
SHARE_DENOMINATOR_LIMIT = 10**6

#: when no total up to (twice the obvious lower bound plus this) meets a policy, it is called
#: infeasible; only policies with exotic share fractions could need more people than that
SEARCH_MARGIN = 1000

#: English text for each infeasibility code; integrations read ``reason``, the web layer translates ``code``
INFEASIBLE_REASONS: dict[str, str] = {
    "min_count_above_max_count": "the minimum count is above the maximum count",
    "min_share_above_max_share": "the minimum share is above the maximum share",
    "min_shares_above_total": "minimum shares add up to more than 100%",
    "max_shares_below_total": "maximum shares of all categories add up to less than 100%",
    "no_total_fits": "no number of participants meets every limit at once",
}

Status = Literal["under", "over", "ok"]


@dataclass(frozen=True)
class Quota:
    """Limits for one category of one dimension; shares are fractions 0..1, None means no limit."""

    dimension: str
    category: str
    min_count: int | None = None
    max_count: int | None = None
    min_share: float | None = None
    max_share: float | None = None
    target_share: float | None = None


@dataclass(frozen=True)
class CategorySpec:
    """A category of a dimension, and whether its members count toward balance."""

    key: str
    counts_toward_balance: bool = True


@dataclass(frozen=True)
class DimensionSpec:
    """A dimension with its categories in display order."""

    key: str
    categories: tuple[CategorySpec, ...]


@dataclass(frozen=True)
class CategoryBalance:
    """One category's line in the report."""

    key: str
    count: int
    share: float
    counts_toward_balance: bool
    #: the quota that applies (None when there is none or the category does not count)
    quota: Quota | None
    status: Status

    def to_json(self) -> dict[str, Any]:
        """The contract's category object (share rounded to 4 decimals)."""
        quota = self.quota or Quota("", self.key)
        return {
            "key": self.key,
            "count": self.count,
            "share": round(self.share, 4),
            "target_share": quota.target_share,
            "min_count": quota.min_count,
            "max_count": quota.max_count,
            "min_share": quota.min_share,
            "max_share": quota.max_share,
            "status": self.status,
            "counts_toward_balance": self.counts_toward_balance,
        }


@dataclass(frozen=True)
class DimensionBalance:
    """One dimension's part of the report."""

    key: str
    counted: int
    #: least-squares index in percentage points, None when no category has a target share
    gallagher: float | None
    categories: tuple[CategoryBalance, ...]

    @property
    def ok(self) -> bool:
        """True when every category is within its limits."""
        return all(category.status == "ok" for category in self.categories)

    def to_json(self) -> dict[str, Any]:
        """The contract's dimension object (index rounded to 2 decimals)."""
        return {
            "key": self.key,
            "counted": self.counted,
            "gallagher": None if self.gallagher is None else round(self.gallagher, 2),
            "ok": self.ok,
            "categories": [category.to_json() for category in self.categories],
        }


@dataclass(frozen=True)
class Suggestion:
    """Add or remove ``count`` people of a category, or say why a dimension cannot be fixed."""

    action: Literal["add", "remove", "infeasible"]
    dimension: str
    category: str | None = None
    count: int | None = None
    #: for ``infeasible``: a key of INFEASIBLE_REASONS
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's suggestion object; an infeasible one also carries ``category`` and ``code``."""
        if self.action == "infeasible":
            assert self.code is not None
            return {
                "action": self.action,
                "dimension": self.dimension,
                "category": self.category,
                "reason": INFEASIBLE_REASONS[self.code],
                "code": self.code,
            }
        return {"action": self.action, "dimension": self.dimension, "category": self.category, "count": self.count}


@dataclass(frozen=True)
class BalanceReport:
    """The balance of one session at one stage."""

    session_id: int
    stage: str
    total: int
    dimensions: tuple[DimensionBalance, ...]
    suggestions: tuple[Suggestion, ...]

    @property
    def ok(self) -> bool:
        """True when every dimension is ok."""
        return all(dimension.ok for dimension in self.dimensions)

    def to_json(self) -> dict[str, Any]:
        """The report exactly in the API contract's shape and key order."""
        return {
            "session_id": self.session_id,
            "stage": self.stage,
            "total": self.total,
            "ok": self.ok,
            "dimensions": [dimension.to_json() for dimension in self.dimensions],
            "suggestions": [suggestion.to_json() for suggestion in self.suggestions],
        }


class InfeasiblePolicy(Exception):
    """No counts satisfy a dimension's policy; ``code`` is a key of INFEASIBLE_REASONS."""

    def __init__(self, code: str, category: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.category = category


def share_fraction(share: float) -> Fraction:
    """Read a stored share as the exact fraction it stands for (see the module docstring)."""
    return Fraction(share).limit_denominator(SHARE_DENOMINATOR_LIMIT)


@dataclass(frozen=True)
class _Limits:
    """A quota in exact arithmetic, with "no minimum" as 0."""

    min_count: int
    max_count: int | None
    min_share: Fraction | None
    max_share: Fraction | None

    @classmethod
    def of(cls, quota: Quota | None) -> _Limits:
        if quota is None:
            return cls(0, None, None, None)
        return cls(
            quota.min_count or 0,
            quota.max_count,
            None if quota.min_share is None else share_fraction(quota.min_share),
            None if quota.max_share is None else share_fraction(quota.max_share),
        )

    def status(self, count: int, counted: int) -> Status:
        """Under wins over over: a missing voice is the graver failure (and both only happen in broken policies)."""
        share = Fraction(count, counted) if counted else Fraction(0)
        if count < self.min_count or (self.min_share is not None and share < self.min_share):
            return "under"
        if (self.max_count is not None and count > self.max_count) or (
            self.max_share is not None and share > self.max_share
        ):
            return "over"
        return "ok"

    def interval(self, counted: int) -> tuple[int, int] | None:
        """The counts that are ok when ``counted`` (> 0) people are counted, or None when there are none."""
        low, high = self.min_count, counted
        if self.max_count is not None:
            high = min(high, self.max_count)
        # count >= share * counted  <=>  count >= ceil(share * counted), exactly, for Fractions
        if self.min_share is not None:
            low = max(low, math.ceil(self.min_share * counted))
        if self.max_share is not None:
            high = min(high, math.floor(self.max_share * counted))
        return (low, high) if low <= high else None


def category_status(count: int, counted: int, quota: Quota | None) -> Status:
    """``under`` below min_count or min_share, ``over`` above max_count or max_share, else ``ok``.

    The share is count / counted, 0 when counted is 0. When a count is both under and over (only
    possible with a contradictory policy) it is ``under``.
    """
    return _Limits.of(quota).status(count, counted)


def promotion_problems(dimensions: Sequence[DimensionSpec], counts: Mapping[tuple[str, str], int],
                       quotas: Sequence[Quota], person: Mapping[str, str]) -> tuple[str, ...]:
    """The dimensions one more person would take further from the policy, in order; empty when none.

    ``counts`` are the people per (dimension key, category key) the stage counts now, ``person`` the new
    person's category key per dimension key. In each dimension where the person's category counts toward
    balance, every category with a quota is compared before and after the person joins:

    - it may stay within its limits, or come within them;
    - it may not leave them (a share that drops below a minimum share counts: the person is elsewhere);
    - one already above its maximum may not gain the person;
    - one already below its minimum may not fall further below: its share may not drop while it has a
      minimum share (a minimum count alone is as far off as before when the person is elsewhere);
    - a status that flips between below and above (only with contradictory limits) is worse.
    """
    quota_by_pair = {(quota.dimension, quota.category): quota for quota in quotas}
    worse = []
    for dimension in dimensions:
        counting = [category.key for category in dimension.categories if category.counts_toward_balance]
        joined = person.get(dimension.key)
        if joined not in counting:
            continue
        counted = sum(counts.get((dimension.key, key), 0) for key in counting)
        for key in counting:
            quota = quota_by_pair.get((dimension.key, key))
            if quota is None:
                continue
            limits = _Limits.of(quota)
            count = counts.get((dimension.key, key), 0)
            new = count + (key == joined)
            before, after = limits.status(count, counted), limits.status(new, counted + 1)
            if _worse(limits, before, after, Fraction(count, counted) if counted else Fraction(0),
                      Fraction(new, counted + 1), joins=key == joined):
                worse.append(dimension.key)
                break
    return tuple(worse)


def _worse(limits: _Limits, before: Status, after: Status, share_before: Fraction, share_after: Fraction, *,
           joins: bool) -> bool:
    """Whether a category moved further from its limits (rules in ``promotion_problems``)."""
    if after == "ok":
        return False
    if before != after:
        return True
    if after == "over":
        return joins
    return limits.min_share is not None and share_after < share_before


def seat_order(dimensions: Sequence[DimensionSpec], counts: Mapping[tuple[str, str], int], quotas: Sequence[Quota],
               waiting: Sequence[tuple[int, Mapping[str, str]]],
               free: int) -> tuple[list[int], list[tuple[int, tuple[str, ...]]]]:
    """Who of ``waiting`` (id and categories, first come first) takes ``free`` seats, and who is passed over.

    Seat by seat, the first waiting person whose joining ``promotion_problems`` finds nothing wrong with
    takes it, and the counts grow by them before the next seat. A seat nobody can take stays free. Returns
    the ids that take a seat, in order, and each person passed over (someone after them took a seat, or a
    seat stayed free) with the dimensions that stopped them. With no quotas, the first ``free`` take them.
    """
    taken: list[int] = []
    reasons: dict[int, tuple[str, ...]] = {}
    now = dict(counts)
    remaining = list(waiting)
    for _seat in range(max(0, free)):
        for index, (person_id, person) in enumerate(remaining):
            problems = promotion_problems(dimensions, now, quotas, person)
            if problems:
                reasons[person_id] = problems
                continue
            taken.append(person_id)
            for dimension_key, category_key in person.items():
                now[(dimension_key, category_key)] = now.get((dimension_key, category_key), 0) + 1
            del remaining[index]
            break
        else:
            break  # nobody left can take a seat: the rest stay free
    passed = [(person_id, reasons[person_id]) for person_id, _person in waiting
              if person_id in reasons and person_id not in taken]
    return taken, passed


def gallagher_index(shares_and_targets: Sequence[tuple[float, float | None]]) -> float | None:
    """``sqrt(0.5 * sum((100*share - 100*target)^2))`` over pairs with a target; None when none has one."""
    gaps = [(100 * share - 100 * target) ** 2 for share, target in shares_and_targets if target is not None]
    return math.sqrt(0.5 * sum(gaps)) if gaps else None


def fewest_changes(
    current: Mapping[str, int], quotas: Mapping[str, Quota], max_total: int | None = None
) -> dict[str, int]:
    """The new count per category reached by the fewest additions plus removals that make all ok.

    ``current`` holds every counting category of one dimension (in display order), ``quotas`` the
    quota per category key where there is one. Share limits are checked against the new total, so
    adding people to one category lowers every other category's share.

    Rules: the new total is at least 1 (emptying a dimension is not a fix); no category both gains
    and loses people; among fixes with equally few changes the one with the fewest removals wins
    (turning people away is costlier than inviting more). Within that, added seats go one by one to
    the category with the fewest people, removals come one by one from the category with the most,
    ties going to the category listed first. ``max_total`` caps the new total (e.g. the capacity).
    Raises InfeasiblePolicy when no counts up to the search bound meet the policy.
    """
    keys = list(current)
    counts = [current[key] for key in keys]
    limits = [_Limits.of(quotas.get(key)) for key in keys]
    _check_consistent(keys, limits)
    upper = _search_bound(counts, limits) if max_total is None else max_total

    best_total: int | None = None
    best_cost: float = math.inf
    total_now = sum(counts)
    for total in _totals_nearest_first(total_now, upper):
        if abs(total - total_now) > best_cost:
            break  # every change of total moves at least that many people
        cost = _cost_at(total, counts, limits)
        # nearest-first visits total_now + d before total_now - d: on equal cost keep the larger
        # total, which is the plan with fewer removals
        # an equal cost is a finite one, so a best total was kept already
        if cost is not None and (cost < best_cost or (cost == best_cost and best_total is not None
                                                      and total > best_total)):
            best_total, best_cost = total, cost
    if best_total is None:
        raise InfeasiblePolicy("no_total_fits")
    return dict(zip(keys, _counts_at(best_total, counts, limits), strict=True))


def _check_consistent(keys: Sequence[str], limits: Sequence[_Limits]) -> None:
    """Raise InfeasiblePolicy for contradictions that no total can fix, naming the first one."""
    for key, limit in zip(keys, limits, strict=True):
        if limit.max_count is not None and limit.min_count > limit.max_count:
            raise InfeasiblePolicy("min_count_above_max_count", key)
        if limit.min_share is not None and limit.max_share is not None and limit.min_share > limit.max_share:
            raise InfeasiblePolicy("min_share_above_max_share", key)
    if sum(limit.min_share or 0 for limit in limits) > 1:
        raise InfeasiblePolicy("min_shares_above_total")
    max_shares = [limit.max_share for limit in limits if limit.max_share is not None]
    if limits and len(max_shares) == len(limits) and sum(max_shares) < 1:
        raise InfeasiblePolicy("max_shares_below_total")


def _search_bound(counts: Sequence[int], limits: Sequence[_Limits]) -> int:
    """The largest total worth trying: beyond it only policies with exotic share fractions are satisfiable."""
    needed = max(sum(counts), sum(limit.min_count for limit in limits))
    for limit in limits:
        if limit.max_share:  # a minimum count under a maximum share needs min_count / max_share people
            needed = max(needed, math.ceil(limit.min_count / limit.max_share))
    return 2 * needed + SEARCH_MARGIN


def _totals_nearest_first(start: int, upper: int) -> Iterator[int]:
    """Totals in 1..upper by distance from ``start``, the larger first at equal distance."""
    for distance in range(max(start, upper - start) + 1):
        for total in (start + distance, start - distance) if distance else (start,):
            if 1 <= total <= upper:
                yield total


def _intervals(total: int, limits: Sequence[_Limits]) -> list[tuple[int, int]] | None:
    intervals = []
    for limit in limits:
        interval = limit.interval(total)
        if interval is None:
            return None
        intervals.append(interval)
    return intervals


def _cost_at(total: int, counts: Sequence[int], limits: Sequence[_Limits]) -> int | None:
    """The fewest changes giving ``total`` counted people with every category ok, or None.

    Clamping each count into its interval is forced; every further person added or removed to
    reach the total costs exactly one more change.
    """
    intervals = _intervals(total, limits)
    if intervals is None or not sum(low for low, _ in intervals) <= total <= sum(high for _, high in intervals):
        return None
    clamped = [min(max(count, low), high) for count, (low, high) in zip(counts, intervals, strict=True)]
    return sum(abs(new - old) for new, old in zip(clamped, counts, strict=True)) + abs(total - sum(clamped))


def _counts_at(total: int, counts: Sequence[int], limits: Sequence[_Limits]) -> list[int]:
    """The new counts for a feasible ``total``, spread by the rules in ``fewest_changes``."""
    intervals = _intervals(total, limits)
    assert intervals is not None
    new = [min(max(count, low), high) for count, (low, high) in zip(counts, intervals, strict=True)]
    while sum(new) < total:
        room = [i for i, (_, high) in enumerate(intervals) if new[i] < high]
        new[min(room, key=lambda i: (new[i], i))] += 1
    while sum(new) > total:
        slack = [i for i, (low, _) in enumerate(intervals) if new[i] > low]
        new[min(slack, key=lambda i: (-new[i], i))] -= 1
    return new


def compute_balance(
    session_id: int,
    stage: str,
    total: int,
    dimensions: Sequence[DimensionSpec],
    counts: Mapping[tuple[str, str], int],
    quotas: Sequence[Quota],
    stages: Sequence[str] = STAGES,
) -> BalanceReport:
    """The balance report of a session at a stage, with suggestions for each dimension not ok.

    ``total`` is the number of registrations the stage counts; ``counts`` maps (dimension key,
    category key) to how many of them are in that category (missing pairs are 0). Quotas for
    dimensions or categories not given are ignored. ``stages`` are the stages the caller counts by:
    the registration stages by default, another feature's own (``forums.concerns.stages``) when it
    measures who is heard with the same policy. Raises ValueError for a stage not in ``stages``, a
    count for an unknown category, a negative count or two quotas for one category.
    """
    if stage not in stages:
        raise ValueError(f"unknown stage {stage!r}")
    known = {(dimension.key, category.key) for dimension in dimensions for category in dimension.categories}
    for pair, count in counts.items():
        if pair not in known:
            raise ValueError(f"count for unknown category {pair!r}")
        if count < 0:
            raise ValueError(f"negative count for {pair!r}")
    quota_by_pair: dict[tuple[str, str], Quota] = {}
    for quota in quotas:
        pair = (quota.dimension, quota.category)
        if pair in quota_by_pair:
            raise ValueError(f"two quotas for {pair!r}")
        quota_by_pair[pair] = quota

    results = [_dimension_balance(dimension, counts, quota_by_pair) for dimension in dimensions]
    return BalanceReport(
        session_id=session_id,
        stage=stage,
        total=total,
        dimensions=tuple(balance for balance, _ in results),
        suggestions=tuple(suggestion for _, suggestions in results for suggestion in suggestions),
    )


def _dimension_balance(
    dimension: DimensionSpec, counts: Mapping[tuple[str, str], int], quota_by_pair: Mapping[tuple[str, str], Quota]
) -> tuple[DimensionBalance, list[Suggestion]]:
    counting = {
        category.key: counts.get((dimension.key, category.key), 0)
        for category in dimension.categories
        if category.counts_toward_balance
    }
    quotas = {key: quota_by_pair[(dimension.key, key)] for key in counting if (dimension.key, key) in quota_by_pair}
    counted = sum(counting.values())
    lines = []
    for category in dimension.categories:
        count = counts.get((dimension.key, category.key), 0)
        quota = quotas.get(category.key)
        lines.append(
            CategoryBalance(
                key=category.key,
                count=count,
                share=count / counted if counted else 0.0,
                counts_toward_balance=category.counts_toward_balance,
                quota=quota,
                status=category_status(count, counted, quota),
            )
        )
    gallagher = gallagher_index(
        [(line.share, line.quota.target_share if line.quota else None) for line in lines if line.counts_toward_balance]
    )
    balance = DimensionBalance(dimension.key, counted, gallagher, tuple(lines))
    return balance, [] if balance.ok else _suggestions(dimension.key, counting, quotas)


def _suggestions(dimension: str, counting: Mapping[str, int], quotas: Mapping[str, Quota]) -> list[Suggestion]:
    """Additions first, then removals, each in category order; or the one reason it cannot be done."""
    try:
        target = fewest_changes(counting, quotas)
    except InfeasiblePolicy as problem:
        return [Suggestion("infeasible", dimension, category=problem.category, code=problem.code)]
    changes = [(key, target[key] - count) for key, count in counting.items()]
    additions = [Suggestion("add", dimension, key, change) for key, change in changes if change > 0]
    removals = [Suggestion("remove", dimension, key, -change) for key, change in changes if change < 0]
    return additions + removals
