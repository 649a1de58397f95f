"""The report's arithmetic without an app: suppression, never present, the trend, standings against policy."""

from datetime import date

import pytest

from forums.balance.rules import CategorySpec, DimensionSpec
from forums.reports.rules import HeldSession, build_report, last_month, months_between, scope_key

GROUP = DimensionSpec("group", (CategorySpec("government"), CategorySpec("uto"), CategorySpec("media"),
                                CategorySpec("international", counts_toward_balance=False)))


def line(report, category):
    return next(each for each in report.categories if each.category == category)


def test_small_counts_are_hidden_with_a_complement():
    held = [HeldSession("2026-10", {("group", "government"): 6, ("group", "uto"): 2}, {})]
    report = build_report([GROUP], held, ["2026-10"], k=5)
    # 2 is hidden; alone it could be worked out from the total, so the smallest other count goes too.
    assert [(each.category, each.attendances) for each in report.categories] == [
        ("government", None), ("uto", None), ("media", 0), ("international", 0)]
    assert report.never_present == (("group", "media"),)


def test_a_dimension_of_fewer_than_k_people_shows_nothing_not_even_who_was_absent():
    held = [HeldSession("2026-10", {("group", "government"): 3}, {})]
    report = build_report([GROUP], held, ["2026-10"], k=5)
    assert all(each.attendances is None and each.share is None for each in report.categories)
    assert report.never_present == ()


def test_never_present_lists_counting_categories_whose_zero_is_shown():
    held = [HeldSession("2026-10", {("group", "government"): 6, ("group", "uto"): 7}, {}),
            HeldSession("2026-11", {("group", "government"): 5, ("group", "uto"): 5}, {})]
    report = build_report([GROUP], held, months_between(date(2026, 10, 1), date(2026, 11, 30)), k=5)
    assert report.never_present == (("group", "media"),)
    assert report.sessions_held == 2
    assert line(report, "government").attendances == 11 and line(report, "uto").attendances == 12
    assert abs(line(report, "uto").share - 12 / 23) < 1e-9
    assert [(month.month, month.sessions) for month in report.months] == [("2026-10", 1), ("2026-11", 1)]
    assert report.months[1].attendances[("group", "uto")] == 5


def test_standings_count_sessions_under_and_over_the_policy():
    held = [HeldSession("2026-10", {("group", "government"): 9}, {("group", "government"): "over",
                                                                 ("group", "uto"): "under"}),
            HeldSession("2026-10", {("group", "government"): 9}, {("group", "uto"): "under"})]
    report = build_report([GROUP], held, ["2026-10"], k=5)
    assert (line(report, "uto").sessions_under, line(report, "government").sessions_over) == (2, 1)


def test_months_and_scope_keys():
    assert months_between(date(2026, 11, 15), date(2027, 2, 1)) == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert scope_key(date(2026, 11, 1), date(2026, 11, 30), [3, 1, 3]) == "2026-11-01..2026-11-30|1,3"
    assert scope_key(date(2026, 11, 1), date(2026, 11, 30), []) == "2026-11-01..2026-11-30|"


def test_a_dimension_nobody_attending_has_a_category_of_names_nobody_absent():
    sector = DimensionSpec("sector", (CategorySpec("trade"), CategorySpec("services")))
    held = [HeldSession("2026-10", {("group", "government"): 6, ("group", "uto"): 7}, {})]
    report = build_report([GROUP, sector], held, ["2026-10"], k=5)
    assert report.never_present == (("group", "media"),)


@pytest.mark.parametrize("today, period", [
    (date(2026, 12, 3), (date(2026, 11, 1), date(2026, 11, 30))),
    (date(2027, 1, 1), (date(2026, 12, 1), date(2026, 12, 31))),
    (date(2028, 3, 31), (date(2028, 2, 1), date(2028, 2, 29))),
])
def test_the_default_period_is_the_last_whole_month(today, period):
    assert last_month(today) == period
