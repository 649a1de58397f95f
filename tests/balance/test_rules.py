"""The balance report: worked examples by hand, and properties checked with Hypothesis."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forums.balance.rules import (
    STAGES,
    CategorySpec,
    DimensionSpec,
    Quota,
    category_status,
    compute_balance,
    gallagher_index,
)
from models.registrations import STAGE_STATUSES

GROUP = DimensionSpec(
    "group",
    (
        CategorySpec("government"),
        CategorySpec("uto"),
        CategorySpec("minorities"),
        CategorySpec("business"),
        CategorySpec("international", counts_toward_balance=False),
    ),
)


def group_counts(**counts: int) -> dict[tuple[str, str], int]:
    return {("group", key): count for key, count in counts.items()}


def report_json(counts, quotas, dimensions=(GROUP,), stage="registered", total=None):
    total = sum(counts.values()) if total is None else total
    return compute_balance(7, stage, total, dimensions, counts, quotas).to_json()


def test_contract_example_government_over_share_and_minorities_under():
    counts = group_counts(government=12, uto=12, minorities=2, business=12, international=2)
    quotas = [
        Quota("group", "government", min_count=4, max_count=10, max_share=0.3, target_share=0.2),
        Quota("group", "minorities", min_count=4),
    ]
    report = report_json(counts, quotas)

    assert list(report) == ["session_id", "stage", "total", "ok", "dimensions", "suggestions"]
    assert (report["session_id"], report["stage"], report["total"], report["ok"]) == (7, "registered", 40, False)
    group = report["dimensions"][0]
    assert list(group)[:5] == ["key", "counted", "gallagher", "ok", "categories"]
    assert group["counted"] == 38  # the 2 international observers do not count
    government = group["categories"][0]
    assert government == {
        "key": "government", "count": 12, "share": 0.3158, "target_share": 0.2,
        "min_count": 4, "max_count": 10, "min_share": None, "max_share": 0.3,
        "status": "over", "counts_toward_balance": True,
    }
    # only government has a target: sqrt(0.5 * (100*12/38 - 20)^2) = 11.578.../sqrt(2)
    assert group["gallagher"] == round((1200 / 38 - 20) / math.sqrt(2), 2)
    # government must drop to its max_count 10 (10/38 is then under 0.3) and minorities reach 4
    assert report["suggestions"] == [
        {"action": "add", "dimension": "group", "category": "minorities", "count": 2},
        {"action": "remove", "dimension": "group", "category": "government", "count": 2},
    ]


def test_every_category_listed_with_zeros_and_observers_reported_but_not_counted():
    counts = group_counts(government=3, uto=2, international=5)
    report = report_json(counts, [Quota("group", "international", max_count=1)])
    group = report["dimensions"][0]

    assert [c["key"] for c in group["categories"]] == ["government", "uto", "minorities", "business", "international"]
    assert group["counted"] == 5
    by_key = {c["key"]: c for c in group["categories"]}
    assert (by_key["government"]["share"], by_key["uto"]["share"], by_key["minorities"]["share"]) == (0.6, 0.4, 0.0)
    # observers: share relative to the counted people, never a status, their quota ignored
    assert by_key["international"]["share"] == 1.0
    assert by_key["international"]["status"] == "ok"
    assert by_key["international"]["max_count"] is None
    assert by_key["international"]["counts_toward_balance"] is False
    assert report["ok"] is True and report["suggestions"] == []
    assert group["gallagher"] is None


def test_share_exactly_at_a_limit_is_ok():
    # 12 of 40 is exactly 0.3: binary floating point must not make it "over"
    counts = group_counts(government=12, uto=28)
    report = report_json(counts, [Quota("group", "government", max_share=0.3), Quota("group", "uto", min_share=0.7)])
    assert report["ok"] is True


def test_empty_session():
    quotas = [Quota("group", key, min_count=1, target_share=0.5) for key in ("government", "uto")]
    report = report_json({}, quotas, total=0)
    group = report["dimensions"][0]

    assert report["total"] == 0 and group["counted"] == 0
    assert all(c["count"] == 0 and c["share"] == 0.0 for c in group["categories"])
    assert [c["status"] for c in group["categories"][:2]] == ["under", "under"]
    assert group["gallagher"] == 50.0  # sqrt(0.5 * (50^2 + 50^2))
    assert report["suggestions"] == [
        {"action": "add", "dimension": "group", "category": "government", "count": 1},
        {"action": "add", "dimension": "group", "category": "uto", "count": 1},
    ]


def test_empty_session_without_minimums_is_ok():
    report = report_json({}, [Quota("group", "government", max_share=0.3)], total=0)
    assert report["ok"] is True and report["suggestions"] == []


def test_gallagher_by_hand():
    counts = group_counts(government=3, uto=1)
    quotas = [Quota("group", "government", target_share=0.5), Quota("group", "uto", target_share=0.5)]
    # shares 75% and 25% against 50% each: sqrt(0.5 * (25^2 + 25^2)) = 25
    assert report_json(counts, quotas)["dimensions"][0]["gallagher"] == 25.0


def test_suggestion_accounts_for_shares_moving_with_the_total():
    dimension = DimensionSpec("group", (CategorySpec("a"), CategorySpec("b"), CategorySpec("c")))
    counts = {("group", "a"): 6, ("group", "b"): 4}
    # removing one a leaves 5 of 9 (still over 0.5): two changes are needed either way
    # (remove 2 a, or add 2); adding wins the tie, and the seats go to the smallest group c
    report = report_json(counts, [Quota("group", "a", max_share=0.5)], dimensions=(dimension,))
    assert report["suggestions"] == [{"action": "add", "dimension": "group", "category": "c", "count": 2}]


def test_removal_when_only_removal_helps():
    dimension = DimensionSpec("region", (CategorySpec("dushanbe"), CategorySpec("kulyab")))
    counts = {("region", "dushanbe"): 7, ("region", "kulyab"): 3}
    quotas = [Quota("region", "dushanbe", max_count=5), Quota("region", "kulyab", max_count=3)]
    report = report_json(counts, quotas, dimensions=(dimension,))
    assert report["suggestions"] == [{"action": "remove", "dimension": "region", "category": "dushanbe", "count": 2}]


@pytest.mark.parametrize(
    ("quotas", "code", "category"),
    [
        ([Quota("group", key, min_share=0.6) for key in ("government", "uto")], "min_shares_above_total", None),
        ([Quota("group", "uto", min_count=5, max_count=3)], "min_count_above_max_count", "uto"),
        ([Quota("group", "uto", min_share=0.5, max_share=0.25)], "min_share_above_max_share", "uto"),
        ([Quota("group", key, max_share=0.2) for key in ("government", "uto", "minorities", "business")],
         "max_shares_below_total", None),
        # 5 government at most 10% needs 50 people, but the others are capped at 3 in all
        ([Quota("group", "government", min_count=5, max_share=0.1)]
         + [Quota("group", key, max_count=1) for key in ("uto", "minorities", "business")], "no_total_fits", None),
    ],
)
def test_infeasible_policy_says_why(quotas, code, category):
    report = report_json(group_counts(government=2, uto=2), quotas)
    [suggestion] = report["suggestions"]
    assert suggestion["action"] == "infeasible" and suggestion["dimension"] == "group"
    assert (suggestion["code"], suggestion["category"]) == (code, category)
    assert suggestion["reason"]


def test_several_dimensions_are_judged_separately():
    gender = DimensionSpec("gender", (CategorySpec("woman"), CategorySpec("man")))
    counts = group_counts(government=2, uto=2) | {("gender", "woman"): 1, ("gender", "man"): 3}
    quotas = [Quota("gender", "woman", min_share=0.4)]
    report = report_json(counts, quotas, dimensions=(GROUP, gender))
    assert [d["ok"] for d in report["dimensions"]] == [True, False]
    assert report["ok"] is False
    # 1 of 4 women; 2 of 5 after adding one is exactly 40%
    assert report["suggestions"] == [{"action": "add", "dimension": "gender", "category": "woman", "count": 1}]


def test_stage_mapping():
    assert STAGES == ("invited", "registered", "confirmed", "attended")
    every = {"invited", "registered", "confirmed", "attended", "declined", "cancelled", "waitlisted"}
    assert STAGE_STATUSES["invited"] == every - {"cancelled"}
    assert STAGE_STATUSES["registered"] == {"registered", "confirmed", "attended"}
    assert STAGE_STATUSES["confirmed"] == {"confirmed", "attended"}
    assert STAGE_STATUSES["attended"] == {"attended"}


@pytest.mark.parametrize(
    ("counts", "quotas", "message"),
    [
        ({}, [], "stage"),
        ({("group", "nobody"): 1}, [], "unknown"),
        ({("group", "uto"): -1}, [], "negative"),
        ({}, [Quota("group", "uto", min_count=1), Quota("group", "uto", max_count=2)], "two quotas"),
    ],
)
def test_bad_input_is_refused(counts, quotas, message):
    stage = "nowhere" if message == "stage" else "registered"
    with pytest.raises(ValueError, match=message):
        compute_balance(1, stage, 0, [GROUP], counts, quotas)


@pytest.mark.parametrize(
    ("count", "counted", "quota", "status"),
    [
        (3, 10, None, "ok"),
        (1, 10, Quota("d", "c", min_count=2), "under"),
        (1, 10, Quota("d", "c", min_share=0.1), "ok"),
        (1, 11, Quota("d", "c", min_share=0.1), "under"),
        (5, 10, Quota("d", "c", max_count=4), "over"),
        (1, 3, Quota("d", "c", max_share=1 / 3), "ok"),
        (0, 0, Quota("d", "c", min_share=0.2), "under"),  # the share of an empty dimension is 0
        (0, 0, Quota("d", "c", max_share=0.2), "ok"),
        (1, 1, Quota("d", "c", min_count=2, max_share=0.5), "under"),  # both: under wins
    ],
)
def test_category_status(count, counted, quota, status):
    assert category_status(count, counted, quota) == status


# --- properties --------------------------------------------------------------------------------

KEYS = ("a", "b", "c")
share_steps = st.none() | st.integers(0, 20).map(lambda step: step / 20)


@st.composite
def quotas_for(draw, key):
    return Quota(
        "d",
        key,
        min_count=draw(st.none() | st.integers(0, 4)),
        max_count=draw(st.none() | st.integers(0, 8)),
        min_share=draw(share_steps),
        max_share=draw(share_steps),
        target_share=draw(share_steps),
    )


@st.composite
def dimensions_with_policy(draw):
    """A dimension of 1-3 counting categories and maybe observers, its counts and quotas."""
    keys = KEYS[: draw(st.integers(1, 3))]
    observers = draw(st.booleans())
    categories = tuple(CategorySpec(key) for key in keys) + ((CategorySpec("obs", False),) if observers else ())
    counts = {("d", key): draw(st.integers(0, 6)) for key in keys}
    if observers:
        counts[("d", "obs")] = draw(st.integers(0, 3))
    quotas = [draw(quotas_for(key)) for key in keys if draw(st.booleans())]
    return DimensionSpec("d", categories), counts, quotas


def report_of(dimension, counts, quotas):
    return compute_balance(1, "registered", 0, [dimension], counts, quotas)


def apply(counts, suggestions):
    new = dict(counts)
    for suggestion in suggestions:
        sign = 1 if suggestion.action == "add" else -1
        new[("d", suggestion.category)] = new.get(("d", suggestion.category), 0) + sign * suggestion.count
    return new


def brute_force_best(dimension, counts, quotas, bound=12):
    """(fewest changes, fewest removals among them) over all new counts up to ``bound``, or None."""
    by_key = {quota.category: quota for quota in quotas}
    keys = [c.key for c in dimension.categories if c.counts_toward_balance]
    old = [counts.get(("d", key), 0) for key in keys]
    best = None
    for new in itertools.product(range(bound + 1), repeat=len(keys)):
        counted = sum(new)
        if counted and all(category_status(n, counted, by_key.get(k)) == "ok" for n, k in zip(new, keys, strict=True)):
            changes = sum(abs(n - o) for n, o in zip(new, old, strict=True))
            removals = sum(max(o - n, 0) for n, o in zip(new, old, strict=True))
            best = min(best or (changes, removals), (changes, removals))
    return best


@settings(max_examples=200, deadline=None)
@given(dimensions_with_policy())
def test_applying_suggestions_makes_the_dimension_ok(case):
    dimension, counts, quotas = case
    report = report_of(dimension, counts, quotas)
    if report.ok:
        assert report.suggestions == ()
        return
    if report.suggestions[0].action == "infeasible":
        return
    assert all(s.count > 0 for s in report.suggestions)
    touched = [s.category for s in report.suggestions]
    assert len(touched) == len(set(touched))  # never add and remove in one category
    assert report_of(dimension, apply(counts, report.suggestions), quotas).ok


@settings(max_examples=200, deadline=None)
@given(dimensions_with_policy())
def test_suggestions_are_minimal(case):
    dimension, counts, quotas = case
    report = report_of(dimension, counts, quotas)
    if report.ok:
        return
    best = brute_force_best(dimension, counts, quotas)
    if report.suggestions[0].action == "infeasible":
        assert best is None
        return
    changes = sum(s.count for s in report.suggestions)
    removals = sum(s.count for s in report.suggestions if s.action == "remove")
    if best is not None:
        assert (changes, removals) <= best


@settings(max_examples=200, deadline=None)
@given(dimensions_with_policy())
def test_counting_shares_add_up_to_one(case):
    dimension, counts, quotas = case
    [result] = report_of(dimension, counts, quotas).dimensions
    counting = [c for c in result.categories if c.counts_toward_balance]
    assert result.counted == sum(c.count for c in counting)
    assert math.isclose(sum(c.share for c in counting), 1.0 if result.counted else 0.0)


@settings(max_examples=200, deadline=None)
@given(dimensions_with_policy(), st.integers(0, 5))
def test_a_category_without_target_does_not_move_the_index(case, observers):
    dimension, counts, quotas = case
    [before] = report_of(dimension, counts, quotas).dimensions
    # a new, empty category without a target, and observers who do not count
    widened = DimensionSpec("d", dimension.categories + (CategorySpec("new"), CategorySpec("guests", False)))
    more = counts | {("d", "guests"): observers}
    [after] = report_of(widened, more, quotas).dimensions
    assert after.gallagher == before.gallagher


@given(st.lists(st.tuples(st.floats(0, 1), st.none() | st.floats(0, 1)), max_size=5), st.floats(0, 1))
def test_gallagher_ignores_pairs_without_target(pairs, share):
    assert gallagher_index([*pairs, (share, None)]) == gallagher_index(pairs)
