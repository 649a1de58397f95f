"""Fair panel selection: quotas, constraints, reproducibility, optimality and infeasibility."""

import dataclasses
import itertools
import random
import time
from collections import Counter

import highspy
import numpy as np
import pytest

from forums.selection.solver import (
    CountQuota,
    InfeasibleSelection,
    Person,
    QuotaBound,
    SelectionRequest,
    SelectionResult,
    _Budget,
    _compile,
    _draw,
    _Pricer,
    select_panel,
)

INF = highspy.kHighsInf


def create_pool(rng: random.Random, size: int, organisations: int = 0) -> list[Person]:
    """People with a group, region and gender drawn from ``rng``, optionally in organisations."""
    return [
        Person(
            person_id,
            {
                "group": rng.choice(["government", "uto", "minorities"]),
                "region": rng.choice(["dushanbe", "kulyab"]),
                "gender": rng.choice(["woman", "man"]),
            },
            f"org{rng.randrange(organisations)}" if organisations else None,
        )
        for person_id in range(size)
    ]


def random_quotas(rng: random.Random, pool: list[Person]) -> list[CountQuota]:
    """Random min/max quotas on about half the categories present in the pool."""
    quotas = []
    for dimension in ("group", "region", "gender"):
        for category in sorted({p.categories[dimension] for p in pool}):
            if rng.random() < 0.5:
                low = rng.randint(0, 2)
                quotas.append(CountQuota(dimension, category, low, low + rng.randint(0, 2)))
    return quotas


def count(members: list[Person], quota: CountQuota) -> int:
    return sum(1 for p in members if p.categories.get(quota.dimension) == quota.category)


def meets(members: list[Person], quota: CountQuota) -> bool:
    upper = len(members) if quota.max_count is None else quota.max_count
    return quota.min_count <= count(members, quota) <= upper


def feasible_panels(request: SelectionRequest) -> list[frozenset[int]]:
    """Every panel meeting the request, by enumeration (small pools only)."""
    candidates = [p for p in request.pool if p.id not in request.exclude]
    panels = []
    for members in itertools.combinations(candidates, request.size):
        ids = {p.id for p in members}
        organisations = Counter(p.organisation for p in members if p.organisation)
        if (
            request.keep <= ids
            and all(meets(list(members), q) for q in request.quotas)
            and all(n <= (request.max_per_organisation or n) for n in organisations.values())
        ):
            panels.append(frozenset(ids))
    return panels


def best_probability(
    ids: list[int], panels: list[frozenset[int]], floors: dict[int, float], person: int | None
) -> float:
    """LP over enumerated panels: everyone in ``floors`` at least their floor, everyone else at
    least z. With ``person`` None maximise z, else maximise that person's probability given z at
    least its value in ``floors['z']``."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVar(floors.get("z", -INF), INF)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for panel in panels:
        highs.addVar(0.0, INF)
        if person is not None and person in panel:
            highs.changeColCost(highs.getNumCol() - 1, 1.0)
    if person is None:
        highs.changeColCost(0, 1.0)
    for pid in ids:
        columns = [j + 1 for j, panel in enumerate(panels) if pid in panel]
        if pid in floors:
            highs.addRow(floors[pid] - 1e-9, INF, len(columns), np.array(columns, dtype=np.int32),
                         np.ones(len(columns)))
        else:
            highs.addRow(0.0, INF, len(columns) + 1, np.array([0, *columns], dtype=np.int32),
                         np.array([-1.0] + [1.0] * len(columns)))
    everyone = np.arange(1, len(panels) + 1, dtype=np.int32)
    highs.addRow(1.0, 1.0, len(panels), everyone, np.ones(len(panels)))
    highs.run()
    return highs.getInfo().objective_function_value


def brute_force_maximin(request: SelectionRequest) -> float:
    ids = [p.id for p in request.pool if p.id not in request.exclude]
    return best_probability(ids, feasible_panels(request), {}, None)


def brute_force_leximin(request: SelectionRequest) -> list[float]:
    """Sorted leximin probabilities: fix, level by level, everyone who cannot rise above it."""
    ids = [p.id for p in request.pool if p.id not in request.exclude]
    panels = feasible_panels(request)
    floors: dict = {}
    while len(floors) < len(ids):
        level = best_probability(ids, panels, floors, None)
        stuck = [
            pid for pid in ids if pid not in floors
            and best_probability(ids, panels, {**floors, "z": level - 1e-9}, pid) <= level + 1e-7
        ]
        assert stuck
        floors.update(dict.fromkeys(stuck, level))
    return sorted(floors.values())


def small_requests(seed: int, count_: int, algorithm: str) -> list[SelectionRequest]:
    """Random small feasible requests (some where the LP relaxation is not exact)."""
    rng = random.Random(seed)
    requests = []
    while len(requests) < count_:
        pool = create_pool(rng, rng.randint(6, 9))
        request = SelectionRequest(pool, rng.randint(2, 4), random_quotas(rng, pool),
                                   algorithm=algorithm)
        if feasible_panels(request):
            requests.append(request)
    return requests


# Found by random search: here the LP relaxation's leximin is not a mix of panels, so the engine
# must fall back to column generation.
NOT_LP_EXACT = SelectionRequest(
    pool=[
        Person(i, dict(zip("abc", code, strict=True)))
        for i, code in enumerate(["xuq", "yup", "yvr", "xur", "yvq", "yvq", "xvp", "zup"])
    ],
    size=4,
    quotas=[
        CountQuota("a", "x", 1, 2),
        CountQuota("a", "y", 1, 3),
        CountQuota("b", "v", 2, 4),
        CountQuota("c", "p", 0, 1),
    ],
)


def panels_of(result: SelectionResult, pool: list[Person]) -> list[list[Person]]:
    """One concrete panel per template (the first candidates of every pick)."""
    by_id = {p.id: p for p in pool}
    return [
        [by_id[pid] for pick in template.picks for pid in pick.candidates[: pick.count]]
        for template in result.distribution
    ]


@pytest.fixture(scope="module")
def dummy_request() -> SelectionRequest:
    rng = random.Random(5)
    pool = create_pool(rng, 60, organisations=12)
    quotas = [
        CountQuota("group", "government", 2, 4),
        CountQuota("group", "uto", 2, 4),
        CountQuota("group", "minorities", 3, 5),
        CountQuota("region", "kulyab", 4, 6),
        CountQuota("gender", "woman", 5, 6),
        CountQuota("gender", "man", 4, 5),
    ]
    return SelectionRequest(pool, 10, quotas, keep=frozenset({0, 1}), exclude=frozenset({2, 3}),
                            max_per_organisation=2, seed=11)


@pytest.fixture(scope="module", params=["maximin", "leximin"])
def dummy_result(request, dummy_request: SelectionRequest) -> SelectionResult:
    return select_panel(dataclasses.replace(dummy_request, algorithm=request.param))


def test_every_panel_in_the_support_and_the_drawn_one_meet_the_quotas(dummy_request, dummy_result):
    by_id = {p.id: p for p in dummy_request.pool}
    dimensions = {q.dimension for q in dummy_request.quotas}
    for template in dummy_result.distribution:
        for pick in template.picks:
            if pick.count == len(pick.candidates):
                continue
            # Any choice within a pick gives the same counts: its candidates are interchangeable.
            assert len({tuple(by_id[c].categories[d] for d in sorted(dimensions))
                        for c in pick.candidates}) == 1
    for panel in [*panels_of(dummy_result, dummy_request.pool),
                  [by_id[pid] for pid in dummy_result.selected]]:
        assert len(panel) == dummy_request.size
        assert all(meets(panel, q) for q in dummy_request.quotas)
    assert sum(t.weight for t in dummy_result.distribution) == pytest.approx(1.0)


def test_probabilities_sum_to_the_panel_size_and_match_the_distribution(
    dummy_request, dummy_result
):
    assert sum(dummy_result.probabilities.values()) == pytest.approx(dummy_request.size)
    implied = Counter()
    for template in dummy_result.distribution:
        for pick in template.picks:
            for pid in pick.candidates:
                implied[pid] += template.weight * pick.count / len(pick.candidates)
    for pid, probability in dummy_result.probabilities.items():
        assert probability == pytest.approx(implied[pid], abs=1e-9)
    selectable = [p for pid, p in dummy_result.probabilities.items()
                  if pid not in dummy_request.exclude]
    assert dummy_result.min_probability == pytest.approx(min(selectable))
    assert dummy_result.is_optimal


def test_keep_exclude_and_organisation_cap_are_honoured(dummy_request, dummy_result):
    organisation = {p.id: p.organisation for p in dummy_request.pool}
    assert dummy_request.keep <= set(dummy_result.selected)
    assert not dummy_request.exclude & set(dummy_result.selected)
    assert all(dummy_result.probabilities[pid] == 1.0 for pid in dummy_request.keep)
    assert all(dummy_result.probabilities[pid] == 0.0 for pid in dummy_request.exclude)
    for template in dummy_result.distribution:
        members = {pid for pick in template.picks for pid in pick.candidates}
        assert dummy_request.keep <= members and not dummy_request.exclude & members
        # The most people of one organisation any draw from this template can seat.
        most = Counter()
        for pick in template.picks:
            per_org = Counter(organisation[pid] for pid in pick.candidates)
            for org, available in per_org.items():
                most[org] += min(available, pick.count)
        assert max(most.values()) <= dummy_request.max_per_organisation
    drawn = Counter(organisation[pid] for pid in dummy_result.selected)
    assert max(drawn.values()) <= dummy_request.max_per_organisation


def test_the_draw_is_reproducible_from_the_seed_and_varies_with_it(dummy_request):
    first = select_panel(dummy_request)
    assert select_panel(dummy_request).selected == first.selected
    assert first.seed == dummy_request.seed
    draws = {select_panel(dataclasses.replace(dummy_request, seed=seed)).selected
             for seed in range(6)}
    assert len(draws) > 2


@pytest.mark.parametrize("request_", [*small_requests(3, 8, "maximin"), NOT_LP_EXACT])
def test_maximin_is_optimal_against_brute_force(request_):
    result = select_panel(request_)
    assert result.min_probability == pytest.approx(brute_force_maximin(request_), abs=1e-6)


@pytest.mark.parametrize(
    "request_",
    [*small_requests(4, 6, "leximin"),
     dataclasses.replace(NOT_LP_EXACT, algorithm="leximin")],
)
def test_leximin_matches_brute_force(request_):
    ours = sorted(select_panel(request_).probabilities.values())
    assert ours == pytest.approx(brute_force_leximin(request_), abs=1e-6)


def test_leximin_is_lexicographically_at_least_maximin():
    rng = random.Random(8)
    pool = create_pool(rng, 40)
    quotas = [CountQuota("group", "minorities", 3, 4), CountQuota("gender", "woman", 3, 4),
              CountQuota("region", "kulyab", 1, 2)]
    maximin = select_panel(SelectionRequest(pool, 8, quotas, algorithm="maximin"))
    leximin = select_panel(SelectionRequest(pool, 8, quotas, algorithm="leximin"))
    assert leximin.min_probability == pytest.approx(maximin.min_probability, abs=1e-7)
    rounded = [[round(p, 7) for p in sorted(r.probabilities.values())] for r in (leximin, maximin)]
    assert rounded[0] >= rounded[1]


def test_conflicting_quotas_and_the_smallest_relaxation_are_reported():
    women = [Person(i, {"gender": "woman", "region": "kulyab"}) for i in range(4)]
    men = [Person(i, {"gender": "man", "region": "dushanbe"}) for i in range(4, 10)]
    want_women = CountQuota("gender", "woman", 4)
    want_men = CountQuota("gender", "man", 3)
    unrelated = CountQuota("region", "dushanbe", 0, 6)
    request = SelectionRequest(women + men, 6, [want_women, want_men, unrelated])
    with pytest.raises(InfeasibleSelection) as raised:
        select_panel(request)
    error = raised.value
    assert error.reason == "quotas_conflict"
    assert set(error.conflicting) == {QuotaBound(want_women, "min"), QuotaBound(want_men, "min")}
    assert error.conflicting_quotas == (want_women, want_men)
    assert sum(r.lower_min_by + r.raise_max_by for r in error.relaxation) == 1
    # Applying the reported relaxation makes a panel possible.
    change = {r.quota: r for r in error.relaxation}
    relaxed = [
        CountQuota(q.dimension, q.category, q.min_count - change[q].lower_min_by,
                   None if q.max_count is None else q.max_count + change[q].raise_max_by)
        if q in change else q
        for q in request.quotas
    ]
    assert select_panel(SelectionRequest(women + men, 6, relaxed)).selected


def test_kept_people_breaking_a_maximum_need_it_raised():
    pool = [Person(i, {"group": "uto" if i < 3 else "government"}) for i in range(8)]
    cap = CountQuota("group", "uto", 0, 1)
    with pytest.raises(InfeasibleSelection) as raised:
        select_panel(SelectionRequest(pool, 4, [cap], keep=frozenset({0, 1, 2})))
    assert raised.value.conflicting == (QuotaBound(cap, "max"),)
    assert [(r.lower_min_by, r.raise_max_by) for r in raised.value.relaxation] == [(0, 2)]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"keep": frozenset({0, 1, 2})}, "too_many_kept"),
        ({"exclude": frozenset({0, 1, 2, 3})}, "pool_too_small"),
        ({"max_per_organisation": 1}, "organisation_cap"),
        ({"max_per_organisation": 1, "keep": frozenset({0, 1})}, "organisation_cap"),
    ],
)
def test_impossible_requests_give_a_reason_code(changes, reason):
    pool = [Person(i, {"gender": "woman"}, "ngo" if i < 4 else None) for i in range(6)]
    request = SelectionRequest(**{"pool": pool, "size": 2 if "keep" in changes else 3,
                                  "quotas": [], **changes})
    if changes.get("max_per_organisation") and "keep" not in changes:
        request = SelectionRequest(pool, 4, [], max_per_organisation=1)
    with pytest.raises(InfeasibleSelection) as raised:
        select_panel(request)
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    "changes", [{"algorithm": "nash"}, {"keep": frozenset({99})}, {"size": -1},
                {"keep": frozenset({1}), "exclude": frozenset({1})}],
)
def test_malformed_requests_are_refused(changes):
    pool = [Person(i, {"gender": "woman"}) for i in range(4)]
    with pytest.raises(ValueError):
        select_panel(SelectionRequest(**{"pool": pool, "size": 2, "quotas": [], **changes}))


def test_people_who_cannot_sit_get_probability_zero_and_everyone_else_shares_fairly():
    pool = [Person(i, {"gender": "woman" if i < 3 else "man"}) for i in range(9)]
    result = select_panel(SelectionRequest(pool, 3, [CountQuota("gender", "woman", 0, 0)]))
    assert all(result.probabilities[i] == 0.0 for i in range(3))
    assert all(result.probabilities[i] == pytest.approx(0.5) for i in range(3, 9))
    assert result.min_probability == 0.0


def test_a_stopped_search_reports_a_proven_bound_and_replays_to_the_same_panel(dummy_request):
    finished = select_panel(dummy_request)
    assert finished.is_optimal and finished.gap == 0.0
    for steps in (0, 3):
        stopped = select_panel(dataclasses.replace(dummy_request, max_steps=steps))
        assert not stopped.is_optimal and stopped.steps == steps
        # The bound is proven: the optimum lies between what was reached and it.
        assert stopped.min_probability <= finished.min_probability + 1e-9
        assert finished.min_probability <= stopped.upper_bound + 1e-9
        assert stopped.gap == pytest.approx(stopped.upper_bound - stopped.min_probability)
        assert sum(stopped.probabilities.values()) == pytest.approx(dummy_request.size)
        replayed = select_panel(dataclasses.replace(dummy_request, max_steps=steps, time_limit_seconds=600))
        assert replayed.distribution == stopped.distribution and replayed.selected == stopped.selected


def test_a_pricing_model_that_ran_long_before_still_solves_to_optimality(dummy_request):
    """HiGHS counts its time limit over all runs of a model: a limit set from the time left alone would
    stop later solves at once, and an unfinished LP's value would pass for a proven bound."""
    problem = _compile(dummy_request)
    pricer = _Pricer(problem)
    rng = np.random.default_rng(1)
    while pricer.relaxed.highs.getRunTime() < 0.2:
        pricer.relaxed.heaviest(rng.random(pricer.relaxed.num_types), _Budget(time.monotonic() + 60, None))
    weights = rng.random(pricer.relaxed.num_types)
    budget = _Budget(time.monotonic() + 0.1, None)
    found = pricer.relaxed.heaviest(weights, budget)
    fresh = _Pricer(problem).relaxed.heaviest(weights, _Budget(time.monotonic() + 60, None))
    assert found is not None and fresh is not None and not budget.exhausted
    assert found[1] == pytest.approx(fresh[1])


def test_drawn_panels_follow_the_published_probabilities_over_many_seeds():
    rng = random.Random(12)
    pool = create_pool(rng, 10)
    request = SelectionRequest(pool, 4, [CountQuota("gender", "woman", 2, 2), CountQuota("group", "uto", 1, 2)],
                               algorithm="leximin")
    result = select_panel(request)
    draws = 4000
    seen = Counter(pid for seed in range(draws) for pid in _draw(result.distribution, seed))
    assert sum(result.probabilities.values()) == pytest.approx(request.size)
    for pid, probability in result.probabilities.items():
        spread = (probability * (1 - probability) / draws) ** 0.5
        assert abs(seen[pid] / draws - probability) <= 4 * spread + 1e-9
    by_id = {p.id: p for p in pool}
    for seed in range(50):
        panel = [by_id[pid] for pid in select_panel(dataclasses.replace(request, seed=seed)).selected]
        assert len(panel) == request.size and all(meets(panel, q) for q in request.quotas)
