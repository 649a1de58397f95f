"""Balance policies without a database: validation with structured problems, and ready-made presets.

Pure module: problems carry a code and parameters, the web layer turns them into translated text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from forums.balance.rules import (
    CategorySpec,
    DimensionSpec,
    InfeasiblePolicy,
    Quota,
    fewest_changes,
    share_fraction,
)

_COUNT_FIELDS = ("min_count", "max_count")
_SHARE_FIELDS = ("min_share", "max_share", "target_share")


@dataclass(frozen=True)
class PolicyProblem:
    """Why a policy is refused.

    Codes: ``unknown_dimension``, ``unknown_category``, ``duplicate_quota``, ``not_counted`` (the
    category does not count toward balance, so a quota on it would be ignored), ``negative_count``,
    ``share_out_of_range``, ``min_above_max``, ``min_count_above_capacity``,
    ``min_counts_above_capacity``, ``min_shares_above_total``, ``target_shares_above_total``,
    ``max_shares_below_total``, ``unsatisfiable`` (the limits together admit no counts within the
    capacity; ``message_params["reason"]`` is a code of ``forums.balance.rules.INFEASIBLE_REASONS``).
    """

    dimension: str
    category: str | None
    field: str | None
    code: str
    # dataclasses.field by its module: the ``field`` attribute above shadows the bare name in this class body
    message_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def validate_quotas(
    quotas: Sequence[Quota], capacity: int | None, categories_by_dimension: Mapping[str, Sequence[CategorySpec]]
) -> list[PolicyProblem]:
    """Every problem of a policy, in quota order then per dimension; empty when the policy is sound.

    Sums of shares are compared exactly (0.1 + 0.2 + 0.7 is 100%, not a hair more). ``capacity``
    None skips the checks against capacity.
    """
    problems: list[PolicyProblem] = []
    valid_by_dimension: dict[str, list[Quota]] = {}
    seen: set[tuple[str, str]] = set()
    for quota in quotas:
        quota_problems = _quota_problems(quota, capacity, categories_by_dimension, seen)
        seen.add((quota.dimension, quota.category))
        problems += quota_problems
        if not quota_problems:
            valid_by_dimension.setdefault(quota.dimension, []).append(quota)
    for dimension, dimension_quotas in valid_by_dimension.items():
        problems += _dimension_problems(dimension, dimension_quotas, capacity, categories_by_dimension[dimension])
    return problems


def _quota_problems(
    quota: Quota,
    capacity: int | None,
    categories_by_dimension: Mapping[str, Sequence[CategorySpec]],
    seen: set[tuple[str, str]],
) -> list[PolicyProblem]:
    """The problems of one quota on its own."""
    dimension, category = quota.dimension, quota.category
    if dimension not in categories_by_dimension:
        return [PolicyProblem(dimension, category, "dimension", "unknown_dimension")]
    spec = next((spec for spec in categories_by_dimension[dimension] if spec.key == category), None)
    if spec is None:
        return [PolicyProblem(dimension, category, "category", "unknown_category")]
    if (dimension, category) in seen:
        return [PolicyProblem(dimension, category, "category", "duplicate_quota")]
    if not spec.counts_toward_balance:
        return [PolicyProblem(dimension, category, "category", "not_counted")]

    problems = [
        PolicyProblem(dimension, category, name, "negative_count", {"value": value})
        for name in _COUNT_FIELDS
        if (value := getattr(quota, name)) is not None and value < 0
    ] + [
        PolicyProblem(dimension, category, name, "share_out_of_range", {"value": value})
        for name in _SHARE_FIELDS
        if (value := getattr(quota, name)) is not None and not 0 <= value <= 1
    ]
    for low, high in (("min_count", "max_count"), ("min_share", "max_share")):
        low_value, high_value = getattr(quota, low), getattr(quota, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            bounds = {"min": low_value, "max": high_value}
            problems.append(PolicyProblem(dimension, category, low, "min_above_max", bounds))
    if capacity is not None and quota.min_count is not None and quota.min_count > capacity:
        params = {"min": quota.min_count, "capacity": capacity}
        problems.append(PolicyProblem(dimension, category, "min_count", "min_count_above_capacity", params))
    return problems


def _dimension_problems(
    dimension: str, quotas: Sequence[Quota], capacity: int | None, categories: Sequence[CategorySpec]
) -> list[PolicyProblem]:
    """The problems of a dimension's quotas taken together (each already fine on its own)."""
    problems = []
    min_counts = sum(quota.min_count or 0 for quota in quotas)
    if capacity is not None and min_counts > capacity:
        params: dict[str, Any] = {"total": min_counts, "capacity": capacity}
        problems.append(PolicyProblem(dimension, None, "min_count", "min_counts_above_capacity", params))
    for name, code in (("min_share", "min_shares_above_total"), ("target_share", "target_shares_above_total")):
        total = _share_sum(quotas, name)
        if total > 1:
            problems.append(PolicyProblem(dimension, None, name, code, {"total": float(total)}))
    counting = [spec.key for spec in categories if spec.counts_toward_balance]
    capped = {quota.category for quota in quotas if quota.max_share is not None}
    max_total = _share_sum(quotas, "max_share")
    if counting and capped == set(counting) and max_total < 1:
        params = {"total": float(max_total)}
        problems.append(PolicyProblem(dimension, None, "max_share", "max_shares_below_total", params))
    if problems:
        return problems
    try:
        fewest_changes(dict.fromkeys(counting, 0), {quota.category: quota for quota in quotas}, max_total=capacity)
    except InfeasiblePolicy as infeasible:
        return [PolicyProblem(dimension, infeasible.category, None, "unsatisfiable", {"reason": infeasible.code})]
    return []


def _share_sum(quotas: Sequence[Quota], name: str) -> Fraction:
    return sum((share_fraction(value) for quota in quotas if (value := getattr(quota, name)) is not None), Fraction(0))


def broad_inclusion(dimension: DimensionSpec) -> list[Quota]:
    """Every counting category at least one seat."""
    return [Quota(dimension.key, key, min_count=1) for key in _counting_keys(dimension)]


def no_dominance(dimension: DimensionSpec, max_share: float = 0.4) -> list[Quota]:
    """No counting category above ``max_share`` of the counted participants."""
    return [Quota(dimension.key, key, max_share=max_share) for key in _counting_keys(dimension)]


def equal_shares(dimension: DimensionSpec) -> list[Quota]:
    """Target share 1/k for each of the k counting categories."""
    keys = _counting_keys(dimension)
    return [Quota(dimension.key, key, target_share=1 / len(keys)) for key in keys]


def proportional_to_pool(dimension: DimensionSpec, pool_counts: Mapping[str, int]) -> list[Quota]:
    """Target shares equal to each counting category's share of the pool; no quotas for an empty pool."""
    keys = _counting_keys(dimension)
    pool = sum(pool_counts.get(key, 0) for key in keys)
    if not pool:
        return []
    return [Quota(dimension.key, key, target_share=pool_counts.get(key, 0) / pool) for key in keys]


def _counting_keys(dimension: DimensionSpec) -> list[str]:
    return [spec.key for spec in dimension.categories if spec.counts_toward_balance]
