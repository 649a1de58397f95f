"""Fair panel selection from a pool under count quotas (maximin and leximin sortition).

A feasible panel has exactly ``size`` members, contains every kept person, no excluded person,
at most ``max_per_organisation`` people of one organisation, and meets every count quota. Among
all distributions over feasible panels we choose one that maximises the smallest selection
probability of anyone in the pool (maximin), or that does so level by level (leximin), following
the column-generation approach of Flanigan, Goelz, Gupta, Hennig and Procaccia (Nature, 2021):

* the master LP holds a set of feasible panels and chooses weights on them;
* the pricing ILP finds the feasible panel with the largest total dual weight, which either
  improves the master or proves that no panel can (its value bounds the optimum).

People who are interchangeable for every constraint (same categories on every quota dimension and,
where the cap binds, the same organisation) form a *type*. Averaging any optimal distribution over
permutations within types keeps it feasible and optimal, so there is an optimal solution in which
people of one type share one probability. The models therefore count people per type instead of
deciding person by person, which shrinks them by the pool-to-types ratio. A panel "template" says how
many people of each type sit on the panel; the draw picks a template by its weight and then that many
people of each type uniformly at random, so everyone of a type gets the same probability.

This module has no Flask or database import; it returns data and codes, never prose.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np

ALGORITHMS = ("maximin", "leximin")

_INF = highspy.kHighsInf
# Column generation stops once no panel could raise the objective by more than this.
_GAP_TOLERANCE = 1e-7
# A type is fixed at a leximin level once the dual certificate proves it cannot rise above the
# level by more than this.
_LEVEL_TOLERANCE = 1e-5
# Weight of the best dual weights so far when smoothing the prices of column generation.
_SMOOTHING = 0.7
# Fixed levels are relaxed by this much so that later LPs stay feasible despite rounding.
_FIX_SLACK = 1e-9
# LP counts this close to integers are integral.
_INTEGRALITY_TOLERANCE = 1e-7
# Panels whose weight is below this are dropped from the published distribution.
_MIN_WEIGHT = 1e-10
# A fixed seed for the solver's own randomness keeps the distribution independent of the draw seed.
_SOLVER_SEED = 0


@dataclass(frozen=True)
class Person:
    """One member of the pool: an id, one category per dimension, and an optional organisation."""

    id: int
    categories: Mapping[str, str]
    organisation: str | None = None


@dataclass(frozen=True)
class CountQuota:
    """How many panel members must (min) and may (max) have ``category`` in ``dimension``."""

    dimension: str
    category: str
    min_count: int = 0
    max_count: int | None = None


@dataclass(frozen=True)
class SelectionRequest:
    """Everything a selection needs; ``time_limit_seconds`` bounds the optimisation."""

    pool: Sequence[Person]
    size: int
    quotas: Sequence[CountQuota]
    keep: frozenset[int] = frozenset()
    exclude: frozenset[int] = frozenset()
    max_per_organisation: int | None = None
    algorithm: str = "maximin"
    seed: int = 0
    time_limit_seconds: float = 60.0


@dataclass(frozen=True, order=True)
class Pick:
    """Draw ``count`` people uniformly at random from ``candidates`` (interchangeable people)."""

    candidates: tuple[int, ...]
    count: int


@dataclass(frozen=True)
class PanelTemplate:
    """A feasible panel shape and its probability: every panel it yields meets all constraints."""

    weight: float
    picks: tuple[Pick, ...]


@dataclass(frozen=True)
class SelectionResult:
    """The drawn panel, everyone's selection probability and the distribution it was drawn from.

    ``is_optimal`` is False when the time limit stopped the optimisation early; the distribution
    and probabilities are then still exact for the panel that was drawn, just not proven optimal.
    """

    selected: tuple[int, ...]
    probabilities: dict[int, float]
    min_probability: float
    algorithm: str
    seed: int
    distribution: tuple[PanelTemplate, ...]
    is_optimal: bool


@dataclass(frozen=True)
class QuotaBound:
    """One side (``"min"`` or ``"max"``) of a quota."""

    quota: CountQuota
    bound: Literal["min", "max"]


@dataclass(frozen=True)
class QuotaRelaxation:
    """How far one quota must move for a panel to exist."""

    quota: CountQuota
    lower_min_by: int
    raise_max_by: int


class InfeasibleSelection(Exception):
    """No panel meets the request.

    ``reason`` is a code: ``too_many_kept`` (more kept people than seats), ``pool_too_small``
    (fewer selectable people than seats), ``organisation_cap`` (the cap cannot be met, by the kept
    people or by the pool) or ``quotas_conflict``. For ``quotas_conflict``, ``conflicting`` is an
    irreducible set of quota bounds that cannot hold together (dropping any one of them would leave
    a feasible set) and ``relaxation`` lists, for each quota that must move, the smallest change
    (least total number of seats over all quotas) that makes a panel possible.
    """

    def __init__(
        self,
        reason: str,
        conflicting: tuple[QuotaBound, ...] = (),
        relaxation: tuple[QuotaRelaxation, ...] = (),
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.conflicting = conflicting
        self.relaxation = relaxation

    @property
    def conflicting_quotas(self) -> tuple[CountQuota, ...]:
        """The quotas that take part in the conflict, each once, in request order."""
        return tuple(dict.fromkeys(bound.quota for bound in self.conflicting))


def select_panel(request: SelectionRequest) -> SelectionResult:
    """Compute a maximin or leximin distribution over feasible panels and draw one from the seed.

    Raises ``InfeasibleSelection`` when no panel meets the request and ``ValueError`` when the
    request itself is malformed (unknown algorithm, duplicate ids, keep/exclude outside the pool).
    """
    started = time.monotonic()
    problem = _compile(request)
    first_panel = _first_feasible_panel(problem)
    deadline = started + request.time_limit_seconds
    templates, is_optimal = _optimise(problem, first_panel, request.algorithm, deadline)
    probabilities = _probabilities(request, problem, templates)
    selectable = [pid for pid in probabilities if pid not in request.exclude]
    return SelectionResult(
        selected=_draw(templates, request.seed),
        probabilities=probabilities,
        min_probability=min((probabilities[pid] for pid in selectable), default=0.0),
        algorithm=request.algorithm,
        seed=request.seed,
        distribution=templates,
        is_optimal=is_optimal,
    )


@dataclass(frozen=True)
class _QuotaRow:
    """A quota restated over types, with the seats kept people already take subtracted."""

    quota: CountQuota
    types: np.ndarray
    lower: int
    upper: int | None


@dataclass(frozen=True)
class _Problem:
    """The request reduced to types: what the LP and ILP models are built from."""

    kept: tuple[int, ...]
    type_members: tuple[tuple[int, ...], ...]
    type_sizes: np.ndarray
    seats: int
    quota_rows: tuple[_QuotaRow, ...]
    organisation_rows: tuple[tuple[np.ndarray, int], ...]


def _compile(request: SelectionRequest) -> _Problem:
    """Validate the request, take kept and excluded people out and group the rest into types."""
    if request.algorithm not in ALGORITHMS:
        raise ValueError("unknown_algorithm")
    if request.size < 0:
        raise ValueError("negative_size")
    ids = [person.id for person in request.pool]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate_person_id")
    if not (request.keep | request.exclude) <= set(ids):
        raise ValueError("keep_or_exclude_outside_pool")
    if request.keep & request.exclude:
        raise ValueError("kept_and_excluded")

    kept = [person for person in request.pool if person.id in request.keep]
    free = [p for p in request.pool if p.id not in request.keep and p.id not in request.exclude]
    seats = request.size - len(kept)
    if seats < 0:
        raise InfeasibleSelection("too_many_kept")
    if len(free) < seats:
        raise InfeasibleSelection("pool_too_small")

    dimensions = sorted({quota.dimension for quota in request.quotas})
    organisation_room = _organisation_room(request, kept, free)
    members_by_type: dict[tuple[tuple[str | None, ...], str | None], list[int]] = defaultdict(list)
    for person in free:
        # Only the organisations whose cap can bind distinguish otherwise identical people.
        organisation = person.organisation if person.organisation in organisation_room else None
        vector = tuple(person.categories.get(dimension) for dimension in dimensions)
        members_by_type[(vector, organisation)].append(person.id)
    type_keys = sorted(members_by_type, key=repr)
    type_members = tuple(tuple(sorted(members_by_type[key])) for key in type_keys)

    quota_rows = []
    for quota in request.quotas:
        position = dimensions.index(quota.dimension)
        types = np.array(
            [i for i, key in enumerate(type_keys) if key[0][position] == quota.category],
            dtype=np.int32,
        )
        already = sum(1 for p in kept if p.categories.get(quota.dimension) == quota.category)
        upper = None if quota.max_count is None else quota.max_count - already
        quota_rows.append(_QuotaRow(quota, types, max(0, quota.min_count - already), upper))

    organisation_rows = tuple(
        (np.array([i for i, key in enumerate(type_keys) if key[1] == org], dtype=np.int32), room)
        for org, room in sorted(organisation_room.items())
    )
    return _Problem(
        kept=tuple(sorted(p.id for p in kept)),
        type_members=type_members,
        type_sizes=np.array([len(members) for members in type_members], dtype=np.float64),
        seats=seats,
        quota_rows=tuple(quota_rows),
        organisation_rows=organisation_rows,
    )


def _organisation_room(
    request: SelectionRequest, kept: list[Person], free: list[Person]
) -> dict[str, int]:
    """Seats left per organisation whose free members outnumber them (the caps that can bind)."""
    cap = request.max_per_organisation
    if cap is None:
        return {}
    kept_count = Counter(p.organisation for p in kept if p.organisation is not None)
    free_count = Counter(p.organisation for p in free if p.organisation is not None)
    if any(count > cap for count in kept_count.values()):
        raise InfeasibleSelection("organisation_cap")
    room = {org: cap - kept_count[org] for org in free_count}
    reachable = sum(min(count, room[org]) for org, count in free_count.items())
    reachable += sum(1 for p in free if p.organisation is None)
    if reachable < request.size - len(kept):
        raise InfeasibleSelection("organisation_cap")
    return {org: seats for org, seats in room.items() if free_count[org] > seats}


def _new_highs() -> highspy.Highs:
    """A silent, deterministic HiGHS instance."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", _SOLVER_SEED)
    return highs


class _PanelModel:
    """The integer model of one panel: ``x[t]`` people of type ``t``, with a slack per quota bound.

    The slacks make one model serve three purposes: fixed at zero it is the pricing problem of
    column generation; priced at one it finds the smallest relaxation of the quotas; and opening
    chosen slacks tests whether the remaining quota bounds can hold together.
    """

    def __init__(self, problem: _Problem, integral: bool = True) -> None:
        self.problem = problem
        self.integral = integral
        self.num_types = len(problem.type_members)
        self.bounds: list[QuotaBound] = []
        rows: list[tuple[float, float, list[int], list[float]]] = []
        for row in problem.quota_rows:
            types = row.types.tolist()
            if row.lower > 0:
                slack = self.num_types + len(self.bounds)
                self.bounds.append(QuotaBound(row.quota, "min"))
                rows.append((row.lower, _INF, [*types, slack], [1.0] * len(types) + [1.0]))
            if row.upper is not None:
                slack = self.num_types + len(self.bounds)
                self.bounds.append(QuotaBound(row.quota, "max"))
                rows.append((-_INF, row.upper, [*types, slack], [1.0] * len(types) + [-1.0]))
        for types, room in problem.organisation_rows:
            rows.append((-_INF, room, types.tolist(), [1.0] * len(types)))
        everyone = list(range(self.num_types))
        rows.append((problem.seats, problem.seats, everyone, [1.0] * self.num_types))

        self.highs = _new_highs()
        num_cols = self.num_types + len(self.bounds)
        upper = np.concatenate([problem.type_sizes, np.full(len(self.bounds), _INF)])
        self.highs.addVars(num_cols, np.zeros(num_cols), upper)
        if integral:
            self.highs.changeColsIntegrality(
                num_cols,
                np.arange(num_cols, dtype=np.int32),
                np.full(num_cols, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
            )
        starts, indices, values = [], [], []
        for _, _, columns, coefficients in rows:
            starts.append(len(indices))
            indices.extend(columns)
            values.extend(coefficients)
        self.highs.addRows(
            len(rows),
            np.array([row[0] for row in rows], dtype=np.float64),
            np.array([row[1] for row in rows], dtype=np.float64),
            len(indices),
            np.array(starts, dtype=np.int32),
            np.array(indices, dtype=np.int32),
            np.array(values, dtype=np.float64),
        )

    def _set_slacks(self, open_bounds: set[int], cost: float) -> None:
        """Let the slacks in ``open_bounds`` take any value (each costing ``cost``), fix the rest."""
        count = len(self.bounds)
        if count == 0:
            return
        columns = np.arange(self.num_types, self.num_types + count, dtype=np.int32)
        upper = np.array([_INF if i in open_bounds else 0.0 for i in range(count)])
        self.highs.changeColsBounds(count, columns, np.zeros(count), upper)
        self.highs.changeColsCost(count, columns, np.full(count, cost))

    def _solve(self, type_costs: np.ndarray, sense: highspy.ObjSense) -> np.ndarray | None:
        """Solve with the given costs on the type counts; return the column values or None."""
        self.highs.changeObjectiveSense(sense)
        self.highs.changeColsCost(
            self.num_types, np.arange(self.num_types, dtype=np.int32), type_costs
        )
        self.highs.run()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            return None
        return np.asarray(self.highs.getSolution().col_value)

    def smallest_relaxation(self) -> np.ndarray:
        """Slack per quota bound of a panel that needs the least total slack."""
        self._set_slacks(set(range(len(self.bounds))), 1.0)
        values = self._solve(np.zeros(self.num_types), highspy.ObjSense.kMinimize)
        # Open slacks make every request that passed _compile feasible.
        assert values is not None
        return np.rint(values).astype(np.int64)

    def is_feasible(self, open_bounds: set[int]) -> bool:
        """Whether a panel exists once the bounds in ``open_bounds`` are lifted."""
        self._set_slacks(open_bounds, 0.0)
        return self._solve(np.zeros(self.num_types), highspy.ObjSense.kMinimize) is not None

    def start_pricing(self) -> None:
        """Close every slack so that only panels meeting all quotas are priced."""
        self._set_slacks(set(), 0.0)
        # Column generation's stopping rule relies on the proven bound, so ask for a tight one.
        self.highs.setOptionValue("mip_rel_gap", 1e-9)

    def heaviest(self, type_weights: np.ndarray, deadline: float) -> tuple[np.ndarray, float]:
        """The counts (fractional without integrality) of the heaviest panel, and a weight bound."""
        self.highs.setOptionValue("time_limit", max(deadline - time.monotonic(), 0.01))
        values = self._solve(type_weights, highspy.ObjSense.kMaximize)
        # Only called once a panel is known to exist.
        assert values is not None
        counts = values[: self.num_types]
        value = float(type_weights @ counts)
        if not self.integral:
            return counts, value
        bound = self.highs.getInfo().mip_dual_bound
        return counts, max(value, bound) if np.isfinite(bound) else value


class _Pricer:
    """Finds the feasible panel of largest dual weight: the pricing problem of column generation.

    The LP relaxation is tried first because its optimal vertex is usually integral here, and
    then it is also the best panel at a fraction of the cost; otherwise the ILP decides.
    """

    def __init__(self, problem: _Problem) -> None:
        self.relaxed = _PanelModel(problem, integral=False)
        self.exact = _PanelModel(problem)
        for model in (self.relaxed, self.exact):
            model.start_pricing()

    def heaviest_panel(self, type_weights: np.ndarray, deadline: float) -> tuple[np.ndarray, float]:
        """The feasible panel with the largest total weight, and an upper bound on that weight."""
        counts, bound = self.relaxed.heaviest(type_weights, deadline)
        panel = np.rint(counts)
        if np.abs(counts - panel).max() > _INTEGRALITY_TOLERANCE:
            counts, bound = self.exact.heaviest(type_weights, deadline)
            panel = np.rint(counts)
        return panel.astype(np.int64), bound


def _first_feasible_panel(problem: _Problem) -> np.ndarray:
    """A panel meeting every quota, or ``InfeasibleSelection`` with the conflict and relaxation."""
    model = _PanelModel(problem)
    slacks_and_panel = model.smallest_relaxation()
    slacks = slacks_and_panel[model.num_types :]
    if not slacks.any():
        return slacks_and_panel[: model.num_types]

    # Deletion filter: drop each bound in turn and keep it dropped while the rest still conflict.
    lifted: set[int] = set()
    for index in range(len(model.bounds)):
        if not model.is_feasible(lifted | {index}):
            lifted.add(index)
    conflicting = tuple(b for i, b in enumerate(model.bounds) if i not in lifted)

    needed: dict[CountQuota, list[int]] = {}
    for bound, slack in zip(model.bounds, slacks.tolist(), strict=True):
        if slack:
            change = needed.setdefault(bound.quota, [0, 0])
            change[0 if bound.bound == "min" else 1] += slack
    relaxation = tuple(QuotaRelaxation(quota, low, high) for quota, (low, high) in needed.items())
    raise InfeasibleSelection("quotas_conflict", conflicting, relaxation)


class _Master:
    """The master LP: maximise ``z`` subject to every unfixed type's probability being >= ``z``.

    Row ``t`` reads ``sum_p weight_p * x_p[t] / n_t - z >= 0`` until type ``t`` is fixed at a
    leximin level, after which it reads ``sum_p weight_p * x_p[t] / n_t >= level``. The last row
    makes the panel weights sum to one.
    """

    def __init__(self, type_sizes: np.ndarray) -> None:
        self.type_sizes = type_sizes
        self.num_types = len(type_sizes)
        self.panels: list[np.ndarray] = []
        self.fixed = np.zeros(self.num_types, dtype=bool)
        self.floors = np.zeros(self.num_types)
        self._known: set[bytes] = set()
        self.highs = _new_highs()
        # z <= 1 keeps the LP bounded once every type is fixed.
        self.highs.addVar(-_INF, 1.0)
        self.highs.changeColCost(0, 1.0)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        rows = self.num_types
        self.highs.addRows(
            rows + 1,
            np.concatenate([np.zeros(rows), [1.0]]),
            np.concatenate([np.full(rows, _INF), [1.0]]),
            rows,
            np.concatenate([np.arange(rows), [rows]]).astype(np.int32),
            np.zeros(rows, dtype=np.int32),
            np.full(rows, -1.0),
        )

    def add_panel(self, panel: np.ndarray) -> bool:
        """Add a panel as a column; False when it is already there."""
        key = panel.tobytes()
        if key in self._known:
            return False
        self._known.add(key)
        self.panels.append(panel)
        types = np.flatnonzero(panel)
        rows = np.concatenate([types, [self.num_types]]).astype(np.int32)
        values = np.concatenate([panel[types] / self.type_sizes[types], [1.0]])
        self.highs.addCol(0.0, 0.0, _INF, len(rows), rows, values)
        return True

    def fix(self, types: np.ndarray, level: float) -> None:
        """Hold these types at (at least) ``level`` and stop maximising them."""
        floor = max(level - _FIX_SLACK, 0.0)
        for row in types.tolist():
            self.highs.changeCoeff(row, 0, 0.0)
            self.highs.changeRowBounds(row, floor, _INF)
        self.fixed[types] = True
        self.floors[types] = floor

    def upper_bound(self, weights: np.ndarray, heaviest: float) -> float:
        """Bound on the objective from any dual weights whose unfixed part sums to one.

        ``heaviest`` is (a bound on) the largest weight of a feasible panel under ``weights``.
        """
        return heaviest - float(weights[self.fixed] @ self.floors[self.fixed])

    def solve(self) -> tuple[float, np.ndarray, float]:
        """Solve; return ``z``, the dual weight of each type row and the convexity row's dual."""
        self.highs.run()
        solution = self.highs.getSolution()
        duals = np.asarray(solution.row_dual)
        # HiGHS reports non-positive duals for the >= rows of a maximisation.
        weights = np.clip(-duals[: self.num_types], 0.0, None)
        return float(solution.col_value[0]), weights, float(duals[self.num_types])

    def panel_weights(self) -> np.ndarray:
        """The current weight of each panel column."""
        return np.clip(np.asarray(self.highs.getSolution().col_value[1:]), 0.0, None)


def _optimise(
    problem: _Problem, first_panel: np.ndarray, algorithm: str, deadline: float
) -> tuple[tuple[PanelTemplate, ...], bool]:
    """Run column generation (once for maximin, level by level for leximin) into templates."""
    master = _Master(problem.type_sizes)
    master.add_panel(first_panel)
    is_optimal = True
    if problem.seats > 0 and master.num_types > 0:
        oracle = _Pricer(problem)
        _cover_every_type(master, oracle, deadline)
        is_optimal = _maximise_levels(master, oracle, algorithm == "leximin", deadline)
    else:
        master.solve()
    return _templates(problem, master), is_optimal


def _cover_every_type(master: _Master, oracle: _Pricer, deadline: float) -> None:
    """Seed the master with panels until every type that can sit on a panel sits on one."""
    covered = master.panels[0] > 0
    while not covered.all() and time.monotonic() < deadline:
        panel, _ = oracle.heaviest_panel((~covered).astype(np.float64), deadline)
        newly = (panel > 0) & ~covered
        if not newly.any():
            return
        master.add_panel(panel)
        covered = covered | newly


def _maximise_levels(master: _Master, oracle: _Pricer, leximin: bool, deadline: float) -> bool:
    """Column generation on the master; for leximin, fix tight types and repeat until all are."""
    while True:
        converged, level, weights, gap = _column_generation(master, oracle, deadline)
        if not (leximin and converged):
            return converged
        # The weights are dual weights whose bound is within ``gap`` of ``level``; a type with
        # weight w can then exceed ``level`` by at most gap / w in any optimal distribution.
        # Complementary slackness thus pins the heavy types at this level.
        unfixed_weights = np.where(master.fixed, 0.0, weights)
        tight = (unfixed_weights > 0) & (unfixed_weights * _LEVEL_TOLERANCE >= gap)
        tight[np.argmax(unfixed_weights)] = True
        if level >= 1.0 - _GAP_TOLERANCE:
            tight = ~master.fixed
        master.fix(np.flatnonzero(tight), level)
        if master.fixed.all():
            return True


def _column_generation(
    master: _Master, oracle: _Pricer, deadline: float
) -> tuple[bool, float, np.ndarray, float]:
    """Add improving panels until the master is optimal over all panels.

    Returns whether it converged, the objective, the best dual weights found and their gap.
    Pricing uses dual smoothing (Wentges): the weights priced are a mix of the master's current
    duals and the best weights seen so far, which damps the oscillation that otherwise makes
    column generation crawl towards the bound. A smoothed price that finds no improving panel for
    the current duals is retried with the current duals alone.
    """
    best_weights: np.ndarray | None = None
    best_bound = _INF
    smoothing = _SMOOTHING
    while True:
        level, weights, convexity_dual = master.solve()
        if level >= 1.0 - _GAP_TOLERANCE:
            return True, level, weights, 0.0
        if time.monotonic() >= deadline:
            return False, level, best_weights if best_weights is not None else weights, best_bound - level
        priced = weights if best_weights is None else smoothing * best_weights + (1 - smoothing) * weights
        panel, heaviest = oracle.heaviest_panel(priced / master.type_sizes, deadline)
        bound = master.upper_bound(priced, heaviest)
        if bound < best_bound:
            best_bound, best_weights = bound, priced
        if best_bound - level <= _GAP_TOLERANCE:
            return True, level, best_weights, max(best_bound - level, 0.0)
        improves = float(weights @ (panel / master.type_sizes)) > convexity_dual + _GAP_TOLERANCE
        if improves and master.add_panel(panel):
            smoothing = _SMOOTHING
        elif smoothing > 0:
            smoothing = 0.0
        else:
            # The current duals price no panel above the master: the master is optimal.
            return True, level, weights, max(heaviest - convexity_dual, 0.0)


def _templates(problem: _Problem, master: _Master) -> tuple[PanelTemplate, ...]:
    """Turn the master's weighted panels into normalised, canonically ordered templates."""
    weights = master.panel_weights()
    kept = (Pick(problem.kept, len(problem.kept)),) if problem.kept else ()
    chosen = [(w, p) for w, p in zip(weights.tolist(), master.panels, strict=True) if w > _MIN_WEIGHT]
    total = sum(w for w, _ in chosen)
    templates = [
        PanelTemplate(
            weight=w / total,
            picks=kept
            + tuple(Pick(problem.type_members[t], int(panel[t])) for t in np.flatnonzero(panel)),
        )
        for w, panel in chosen
    ]
    return tuple(sorted(templates, key=lambda template: template.picks))


def _probabilities(
    request: SelectionRequest, problem: _Problem, templates: tuple[PanelTemplate, ...]
) -> dict[int, float]:
    """Each pool member's probability of sitting on the drawn panel."""
    probabilities = {person.id: 0.0 for person in request.pool}
    for template in templates:
        for pick in template.picks:
            share = template.weight * pick.count / len(pick.candidates)
            for person_id in pick.candidates:
                probabilities[person_id] += share
    for person_id in problem.kept:
        # Kept people are on every panel; avoid reporting 0.9999999 from summed weights.
        probabilities[person_id] = 1.0
    return probabilities


def _draw(templates: tuple[PanelTemplate, ...], seed: int) -> tuple[int, ...]:
    """Draw one panel: a template by weight, then each pick uniformly, all from ``seed``."""
    rng = random.Random(seed)
    point = rng.random()
    chosen = templates[-1]
    for template in templates:
        point -= template.weight
        if point < 0:
            chosen = template
            break
    members: list[int] = []
    for pick in chosen.picks:
        members.extend(rng.sample(pick.candidates, pick.count))
    return tuple(sorted(members))
