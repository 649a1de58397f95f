"""Policy validation and presets."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forums.balance.policy_rules import (
    PolicyProblem,
    broad_inclusion,
    equal_shares,
    no_dominance,
    proportional_to_pool,
    validate_quotas,
)
from forums.balance.rules import (
    CategorySpec,
    DimensionSpec,
    Quota,
    compute_balance,
    share_fraction,
)

GROUP = DimensionSpec(
    "group",
    (
        CategorySpec("government"),
        CategorySpec("uto"),
        CategorySpec("minorities"),
        CategorySpec("international", counts_toward_balance=False),
    ),
)
GENDER = DimensionSpec("gender", (CategorySpec("woman"), CategorySpec("man")))
CATEGORIES = {GROUP.key: GROUP.categories, GENDER.key: GENDER.categories}


def codes(quotas, capacity=40):
    return [(p.dimension, p.category, p.field, p.code) for p in validate_quotas(quotas, capacity, CATEGORIES)]


def test_sound_policy_has_no_problems():
    quotas = [
        Quota("group", "government", min_count=2, max_count=10, max_share=0.4, target_share=1 / 3),
        Quota("group", "uto", min_count=2, max_share=0.4, target_share=1 / 3),
        Quota("group", "minorities", min_count=2, min_share=0.1, target_share=1 / 3),
        Quota("gender", "woman", min_share=0.3, max_share=0.7, target_share=0.5),
    ]
    assert validate_quotas(quotas, 40, CATEGORIES) == []


@pytest.mark.parametrize(
    ("quota", "field", "code"),
    [
        (Quota("group", "uto", min_count=-1), "min_count", "negative_count"),
        (Quota("group", "uto", max_count=-2), "max_count", "negative_count"),
        (Quota("group", "uto", min_share=-0.1), "min_share", "share_out_of_range"),
        (Quota("group", "uto", max_share=1.5), "max_share", "share_out_of_range"),
        (Quota("group", "uto", target_share=2.0), "target_share", "share_out_of_range"),
        (Quota("group", "uto", min_count=5, max_count=3), "min_count", "min_above_max"),
        (Quota("group", "uto", min_share=0.5, max_share=0.2), "min_share", "min_above_max"),
        (Quota("group", "uto", min_count=41), "min_count", "min_count_above_capacity"),
        (Quota("group", "nobody", min_count=1), "category", "unknown_category"),
        (Quota("group", "international", max_count=3), "category", "not_counted"),
    ],
)
def test_problems_of_one_quota(quota, field, code):
    assert codes([quota]) == [(quota.dimension, quota.category, field, code)]


def test_unknown_dimension_and_duplicate():
    quotas = [Quota("age", "young", min_count=1)] + [Quota("group", "uto", min_count=1),
                                                     Quota("group", "uto", max_count=3)]
    assert codes(quotas) == [
        ("age", "young", "dimension", "unknown_dimension"),
        ("group", "uto", "category", "duplicate_quota"),
    ]


def test_min_above_max_carries_the_numbers():
    [problem] = validate_quotas([Quota("group", "uto", min_count=5, max_count=3)], None, CATEGORIES)
    assert problem == PolicyProblem("group", "uto", "min_count", "min_above_max", {"min": 5, "max": 3})


def test_minimums_adding_up_to_more_than_capacity():
    quotas = [Quota("group", key, min_count=15) for key in ("government", "uto", "minorities")]
    [problem] = validate_quotas(quotas, 40, CATEGORIES)
    assert (problem.dimension, problem.code, problem.message_params) == (
        "group", "min_counts_above_capacity", {"total": 45, "capacity": 40},
    )
    assert validate_quotas(quotas, None, CATEGORIES) == []  # no capacity, nothing to compare with


def test_share_sums():
    over = [
        Quota("gender", "woman", min_share=0.6, target_share=0.6),
        Quota("gender", "man", min_share=0.5, target_share=0.5),
    ]
    assert codes(over) == [
        ("gender", None, "min_share", "min_shares_above_total"),
        ("gender", None, "target_share", "target_shares_above_total"),
    ]
    # 0.1 + 0.2 + 0.7 is exactly 100%, whatever binary floats make of it
    shares = {"government": 0.1, "uto": 0.2, "minorities": 0.7}
    exact = [Quota("group", key, min_share=share) for key, share in shares.items()]
    assert codes(exact) == []
    capped = [Quota("gender", "woman", max_share=0.4), Quota("gender", "man", max_share=0.4)]
    assert codes(capped) == [("gender", None, "max_share", "max_shares_below_total")]


def test_limits_that_no_counts_within_capacity_meet():
    # 5 government at no more than 10% needs 50 people: the session holds 40
    quotas = [Quota("group", "government", min_count=5, max_share=0.1)]
    assert codes(quotas) == [("group", None, None, "unsatisfiable")]
    assert validate_quotas(quotas, 40, CATEGORIES)[0].message_params == {"reason": "no_total_fits"}
    assert codes(quotas, capacity=50) == []


def test_broad_inclusion():
    assert broad_inclusion(GROUP) == [Quota("group", key, min_count=1) for key in ("government", "uto", "minorities")]


def test_no_dominance():
    assert no_dominance(GENDER, max_share=0.6) == [Quota("gender", key, max_share=0.6) for key in ("woman", "man")]
    assert {q.max_share for q in no_dominance(GROUP)} == {0.4}


def test_equal_shares():
    assert [(q.category, q.target_share) for q in equal_shares(GENDER)] == [("woman", 0.5), ("man", 0.5)]
    assert sum(share_fraction(q.target_share) for q in equal_shares(GROUP)) == 1


def test_proportional_to_pool_ignores_observers():
    quotas = proportional_to_pool(GROUP, {"government": 30, "uto": 10, "minorities": 10, "international": 50})
    assert [(q.category, q.target_share) for q in quotas] == [("government", 0.6), ("uto", 0.2), ("minorities", 0.2)]
    assert proportional_to_pool(GROUP, {}) == []


def test_broad_inclusion_shows_up_in_the_report():
    counts = {("group", "government"): 5, ("group", "uto"): 5}
    report = compute_balance(1, "invited", 10, [GROUP], counts, broad_inclusion(GROUP))
    assert [s.to_json() for s in report.suggestions] == [
        {"action": "add", "dimension": "group", "category": "minorities", "count": 1}
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 50), min_size=1, max_size=6),
    st.integers(1, 6).map(lambda tenths: tenths / 10),
    st.integers(0, 100),
)
def test_presets_are_sound_policies(pool, max_share, capacity):
    dimension = DimensionSpec("d", tuple(CategorySpec(f"c{i}") for i in range(len(pool))))
    categories = {"d": dimension.categories}
    assert validate_quotas(equal_shares(dimension), None, categories) == []
    proportional = proportional_to_pool(dimension, {f"c{i}": n for i, n in enumerate(pool)})
    assert validate_quotas(proportional, None, categories) == []
    if proportional:
        assert abs(sum(Fraction(q.target_share) for q in proportional) - 1) < Fraction(1, 10**9)
    inclusion_problems = validate_quotas(broad_inclusion(dimension), capacity, categories)
    assert (inclusion_problems == []) == (len(pool) <= capacity)
    dominance_problems = validate_quotas(no_dominance(dimension, max_share), None, categories)
    assert (dominance_problems == []) == (max_share * len(pool) >= 1 - 1e-9)
