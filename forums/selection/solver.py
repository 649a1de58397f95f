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
deciding person by person, which shrinks them by the pool-to-types ratio. A panel "template" says
how many people of each type sit on the panel; the draw picks a template by its weight and then
that many people of each type uniformly at random, so everyone of a type gets the same probability.

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
# LP dual weights above this count as positive.
_DUAL_TOLERANCE = 1e-9
# Weight of the best dual weights so far when smoothing the prices of column generation.
_SMOOTHING = 0.7
# Fixed levels are relaxed by this much so that later LPs stay feasible despite rounding.
_FIX_SLACK = 1e-9
# LP counts this close to integers are integral.
_INTEGRALITY_TOLERANCE = 1e-7
# A constraint this close to equality at a point is treated as tight there when peeling.
_FACE_TOLERANCE = 1e-7
# Rounds of column generation aimed at the fractional leximin before settling for maximin and
# leximin level by level: enough to add what peeling missed when the target is reachable.
_TARGET_ROUNDS = 10
# Column generation's stopping rule relies on the pricing ILP's proven bound, so ask for a tight one.
_PRICING_GAP = 1e-9
# Peeling needs any panel of a face, not the best one: the ILP may stop at its first panel.
_ANY_PANEL_GAP = 1e6
# Random LP objectives tried for an integral vertex of a face before asking the ILP.
_VERTEX_TRIES = 5
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
    """Everything a selection needs.

    ``time_limit_seconds`` bounds the optimisation. ``max_steps`` replays a search that a time limit
    stopped: the optimisation stops after that many steps (``SelectionResult.steps``), so the same
    request with the steps of an earlier result gives the same distribution and the same panel,
    however fast the machine is this time (provided the time limit lets it take them all).
    """

    pool: Sequence[Person]
    size: int
    quotas: Sequence[CountQuota]
    keep: frozenset[int] = frozenset()
    exclude: frozenset[int] = frozenset()
    max_per_organisation: int | None = None
    algorithm: str = "maximin"
    seed: int = 0
    time_limit_seconds: float = 60.0
    max_steps: int | None = None


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

    ``is_optimal`` is False when the time limit (or ``max_steps``) stopped the optimisation early;
    the distribution and probabilities are then still exact for the panel that was drawn, just not
    proven optimal. ``upper_bound`` is proven: no distribution over feasible panels gives everyone
    a probability above it, so ``gap`` is how much the smallest probability could still improve
    (0 when optimal). ``steps`` counts the solver's completed steps (see ``max_steps``).
    """

    selected: tuple[int, ...]
    probabilities: dict[int, float]
    min_probability: float
    algorithm: str
    seed: int
    distribution: tuple[PanelTemplate, ...]
    is_optimal: bool
    upper_bound: float
    steps: int

    @property
    def gap(self) -> float:
        """How far the smallest probability may be below the best possible one (proven)."""
        return max(self.upper_bound - self.min_probability, 0.0)


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
    budget = _Budget(time.monotonic() + request.time_limit_seconds, request.max_steps)
    problem = _compile(request)
    first_panel = _first_feasible_panel(problem)
    templates, is_optimal, bound = _optimise(problem, first_panel, request.algorithm, budget)
    probabilities = _probabilities(request, problem, templates)
    selectable = [pid for pid in probabilities if pid not in request.exclude]
    min_probability = min((probabilities[pid] for pid in selectable), default=0.0)
    return SelectionResult(
        selected=_draw(templates, request.seed),
        probabilities=probabilities,
        min_probability=min_probability,
        algorithm=request.algorithm,
        seed=request.seed,
        distribution=templates,
        is_optimal=is_optimal,
        # The bound holds up to solver tolerance; never report one below what was reached.
        upper_bound=min_probability if is_optimal else max(bound, min_probability),
        steps=budget.steps,
    )


class _Budget:
    """The work the optimisation may still do: steps, until the deadline or ``max_steps``.

    A step is one LP or ILP solve while peeling or pricing. A step the deadline cuts short is thrown
    away and ends the search, so ``steps`` completed steps replayed without hurry lead to the same
    master LP, the same distribution and the same panel (the solvers are deterministic).
    """

    def __init__(self, deadline: float, max_steps: int | None) -> None:
        self.deadline = deadline
        self.max_steps = max_steps
        self.steps = 0
        self.exhausted = False

    def allows_step(self) -> bool:
        """Whether another step may start; once refused, never again."""
        if self.max_steps is not None and self.steps >= self.max_steps:
            self.exhausted = True
        if time.monotonic() >= self.deadline:
            self.exhausted = True
        return not self.exhausted

    def seconds_left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)


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

        # Every row counts people of some types: kept densely for the geometry of peeling.
        self.row_lower = np.array([row[0] for row in rows], dtype=np.float64)
        self.row_upper = np.array([row[1] for row in rows], dtype=np.float64)
        self.row_matrix = np.zeros((len(rows), self.num_types))
        for index, (_, _, columns, _) in enumerate(rows):
            self.row_matrix[index, [c for c in columns if c < self.num_types]] = 1.0

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
        starts: list[int] = []
        indices: list[int] = []
        values: list[float] = []
        for _, _, columns, coefficients in rows:
            starts.append(len(indices))
            indices.extend(columns)
            values.extend(coefficients)
        self.highs.addRows(
            len(rows),
            self.row_lower,
            self.row_upper,
            len(indices),
            np.array(starts, dtype=np.int32),
            np.array(indices, dtype=np.int32),
            np.array(values, dtype=np.float64),
        )

    def _set_slacks(self, open_bounds: set[int], cost: float) -> None:
        """Let the slacks in ``open_bounds`` take any value, each costing ``cost``; fix the rest."""
        count = len(self.bounds)
        if count == 0:
            return
        columns = np.arange(self.num_types, self.num_types + count, dtype=np.int32)
        upper = np.array([_INF if i in open_bounds else 0.0 for i in range(count)])
        self.highs.changeColsBounds(count, columns, np.zeros(count), upper)
        self.highs.changeColsCost(count, columns, np.full(count, cost))

    def _solve(self, type_costs: np.ndarray, sense: highspy.ObjSense) -> np.ndarray | None:
        """Solve to optimality with the given costs on the type counts; the column values or None.

        None when no panel exists; HiGHS stopping for any other reason raises (a time limit is only
        ever set by ``heaviest``, which looks at the status itself).
        """
        self._run(type_costs, sense)
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS stopped with status {status}")
        return np.asarray(self.highs.getSolution().col_value)

    def _run(self, type_costs: np.ndarray, sense: highspy.ObjSense) -> None:
        self.highs.changeObjectiveSense(sense)
        self.highs.changeColsCost(
            self.num_types, np.arange(self.num_types, dtype=np.int32), type_costs
        )
        self.highs.run()

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

    def heaviest(
        self, type_weights: np.ndarray, budget: _Budget, gap: float = _PRICING_GAP
    ) -> tuple[np.ndarray, float] | None:
        """The counts (fractional without integrality) of the heaviest panel, and a weight bound.

        The ILP stops once its panel is within the relative ``gap`` of the bound. One step of the
        budget. None when no panel exists (possible on a face), when the budget allows no step, or
        when the deadline cut the solve short (the budget is then exhausted and whatever the solver
        had found is thrown away, so that a replay stops at the same point).
        """
        if not budget.allows_step():
            return None
        # HiGHS measures its time limit over every run of this instance, not from this run's start.
        remaining = max(budget.seconds_left(), 0.01)
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + remaining)
        if self.integral:
            self.highs.setOptionValue("mip_rel_gap", gap)
        self._run(type_weights, highspy.ObjSense.kMaximize)
        status = self.highs.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible):
            budget.exhausted = True
            return None
        budget.steps += 1
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        counts = np.asarray(self.highs.getSolution().col_value)[: self.num_types]
        value = float(type_weights @ counts)
        if not self.integral:
            return counts, value
        bound = self.highs.getInfo().mip_dual_bound
        return counts, max(value, bound) if np.isfinite(bound) else value

    def restrict_to_face(self, point: np.ndarray) -> None:
        """Allow only panels that meet with equality every constraint ``point`` meets so."""
        activity = self.row_matrix @ point
        at_lower = np.abs(activity - self.row_lower) <= _FACE_TOLERANCE
        at_upper = np.abs(activity - self.row_upper) <= _FACE_TOLERANCE
        sizes = self.problem.type_sizes
        self._set_bounds(
            np.where(at_upper, self.row_upper, self.row_lower),
            np.where(at_lower, self.row_lower, self.row_upper),
            np.where(point >= sizes - _FACE_TOLERANCE, sizes, 0.0),
            np.where(point <= _FACE_TOLERANCE, 0.0, sizes),
        )

    def room(self, counts: np.ndarray) -> np.ndarray:
        """How far the panel (or point) ``counts`` is from each constraint (inf if unbounded)."""
        activity = self.row_matrix @ counts
        sizes = self.problem.type_sizes
        return np.concatenate(
            [activity - self.row_lower, self.row_upper - activity, counts, sizes - counts]
        )

    def release_face(self) -> None:
        """Allow every feasible panel again."""
        sizes = self.problem.type_sizes
        self._set_bounds(self.row_lower, self.row_upper, np.zeros_like(sizes), sizes)

    def _set_bounds(
        self, row_lower: np.ndarray, row_upper: np.ndarray, low: np.ndarray, high: np.ndarray
    ) -> None:
        """Replace the bounds of every row and of every type count."""
        rows = len(row_lower)
        # highspy's bundled stubs declare changeColsBounds but not its row twin, which the binding has
        self.highs.changeRowsBounds(rows, np.arange(rows, dtype=np.int32), row_lower, row_upper)  # type: ignore[attr-defined]
        types = np.arange(self.num_types, dtype=np.int32)
        self.highs.changeColsBounds(self.num_types, types, low, high)


def _integral(counts: np.ndarray) -> np.ndarray | None:
    """The counts as integers when they are integral up to solver tolerance, else None."""
    rounded = np.rint(counts)
    if np.abs(counts - rounded).max(initial=0.0) > _INTEGRALITY_TOLERANCE:
        return None
    return rounded.astype(np.int64)


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
        self.vertex_tries = _VERTEX_TRIES

    def heaviest_panel(
        self, type_weights: np.ndarray, budget: _Budget
    ) -> tuple[np.ndarray, float] | None:
        """The feasible panel with the largest total weight and an upper bound on that weight.

        None when no panel exists (on a face) or the budget ran out first.
        """
        found = self.relaxed.heaviest(type_weights, budget)
        if found is None:
            return None
        if (panel := _integral(found[0])) is not None:
            return panel, found[1]
        relaxed_bound = found[1]
        found = self.exact.heaviest(type_weights, budget)
        if found is None:
            return None
        # The LP relaxation bounds every panel too; keep whichever bound is tighter.
        return np.rint(found[0]).astype(np.int64), min(found[1], relaxed_bound)

    def some_panel(self, rng: np.random.Generator, budget: _Budget) -> np.ndarray | None:
        """Any feasible panel: an integral LP vertex for a few random objectives, else the ILP's.

        After a face that needed the ILP, the next face gets one LP try only: where the relaxation
        is not integral the other tries are mostly wasted.
        """
        for _ in range(self.vertex_tries):
            found = self.relaxed.heaviest(rng.random(self.relaxed.num_types), budget)
            if found is None:
                return None
            if (panel := _integral(found[0])) is not None:
                self.vertex_tries = _VERTEX_TRIES
                return panel
        self.vertex_tries = 1
        # Any panel of the face will do, so the ILP may stop at its first one.
        found = self.exact.heaviest(rng.random(self.exact.num_types), budget, gap=_ANY_PANEL_GAP)
        return None if found is None else np.rint(found[0]).astype(np.int64)

    def restrict_to_face(self, point: np.ndarray) -> None:
        """Price only panels on the smallest face of the panel polytope that holds ``point``."""
        for model in (self.relaxed, self.exact):
            model.restrict_to_face(point)

    def release_face(self) -> None:
        """Price every feasible panel again."""
        for model in (self.relaxed, self.exact):
            model.release_face()


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

    def aim(self, target: np.ndarray) -> None:
        """Maximise z with type t's probability at least ``target[t] * z`` (all ones: maximin)."""
        for row, coefficient in enumerate(target.tolist()):
            self.highs.changeCoeff(row, 0, -coefficient)

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
        """Hold these types (a mask) at (at least) ``level`` and stop maximising them."""
        _fix_rows(self.highs, np.flatnonzero(types), 0, level)
        self.fixed |= types
        self.floors[types] = max(level - _FIX_SLACK, 0.0)

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

    def mixture(self) -> list[tuple[float, np.ndarray]]:
        """The panels with their current weights."""
        weights = np.clip(np.asarray(self.highs.getSolution().col_value[1:]), 0.0, None)
        return list(zip(weights.tolist(), self.panels, strict=True))


def _optimise(
    problem: _Problem, first_panel: np.ndarray, algorithm: str, budget: _Budget
) -> tuple[tuple[PanelTemplate, ...], bool, float]:
    """Find the distribution: peel the fractional leximin when possible, else column generation.

    Returns the templates, whether they are proven optimal, and a proven upper bound on the
    smallest probability of a type over all distributions.

    The leximin probabilities over the LP relaxation bound those over real panels from above in
    the leximin order (their minimum bounds maximin). When they can be written as a mix of
    feasible panels they are therefore optimal for leximin, and so for maximin too; that is the
    usual case and takes a few LPs. A few rounds of column generation aimed at them complete what
    peeling left out; when that does not reach them (the LP relaxation is not exact there),
    column generation decides, for one level (maximin) or level by level (leximin), starting from
    every panel found so far.
    """
    if problem.seats == 0 or not problem.type_members:
        return _templates(problem, [(1.0, first_panel)]), True, 1.0
    pricer = _Pricer(problem)
    target = _fractional_leximin(problem)
    bound = float(target.min())
    master = _Master(problem.type_sizes)
    master.add_panel(first_panel)
    # Everyone who can sit on a panel sits on one first: a search stopped early is then still a
    # distribution that gives each of them a chance.
    _cover_every_type(master, pricer, budget)
    for panel in _peel(pricer, target * problem.type_sizes, budget):
        master.add_panel(panel)
    master.aim(target)
    towards_target = _column_generation(master, pricer, budget, _TARGET_ROUNDS, give_up_below=1.0)
    if towards_target.level >= 1.0 - _GAP_TOLERANCE:
        return _templates(problem, master.mixture()), True, bound
    if budget.exhausted:
        return _templates(problem, master.mixture()), False, bound

    master.aim(np.ones(master.num_types))
    maximin = _column_generation(master, pricer, budget)
    bound = min(bound, maximin.bound)
    is_optimal = maximin.converged
    if is_optimal and algorithm == "leximin":
        is_optimal = _raise_levels(master, pricer, maximin, budget)
    return _templates(problem, master.mixture()), is_optimal, bound


def _fractional_leximin(problem: _Problem) -> np.ndarray:
    """Leximin probability per type over the LP relaxation of the panel polytope.

    Maximise the smallest probability, fix the types whose dual weight proves them stuck at that
    level, and repeat for the rest. LP duals are exact up to solver tolerance, so a small positive
    weight suffices.
    """
    model = _PanelModel(problem, integral=False)
    model.start_pricing()
    highs = model.highs
    num_types = model.num_types
    first_row, level_column = highs.getNumRow(), highs.getNumCol()
    existing = np.arange(level_column, dtype=np.int32)
    highs.changeColsCost(level_column, existing, np.zeros(level_column))
    highs.addVar(-_INF, 1.0)
    highs.changeColCost(level_column, 1.0)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # Row t: y_t / n_t - level >= 0, i.e. type t's probability is at least the level.
    columns = np.column_stack([np.arange(num_types), np.full(num_types, level_column)])
    values = np.column_stack([1.0 / problem.type_sizes, np.full(num_types, -1.0)])
    highs.addRows(
        num_types,
        np.zeros(num_types),
        np.full(num_types, _INF),
        2 * num_types,
        np.arange(0, 2 * num_types, 2, dtype=np.int32),
        columns.ravel().astype(np.int32),
        values.ravel(),
    )
    levels = np.zeros(num_types)
    fixed = np.zeros(num_types, dtype=bool)
    while not fixed.all():
        highs.run()
        solution = highs.getSolution()
        level = float(solution.col_value[level_column])
        weights = -np.asarray(solution.row_dual)[first_row:]
        tight = _tight_types(fixed, weights, level, _DUAL_TOLERANCE)
        _fix_rows(highs, first_row + np.flatnonzero(tight), level_column, level)
        fixed |= tight
        levels[tight] = level
    return levels


def _tight_types(fixed: np.ndarray, weights: np.ndarray, level: float, gap: float) -> np.ndarray:
    """The unfixed types that cannot rise above ``level``, judged from near-optimal dual weights.

    The weights bound the objective within ``gap`` of ``level``, so a type with weight w can
    exceed the level by at most gap / w in any optimal distribution (complementary slackness).
    The heaviest type is always tight, which guarantees progress.
    """
    if level >= 1.0 - _GAP_TOLERANCE:
        return ~fixed
    unfixed_weights = np.where(fixed, 0.0, weights)
    tight = (unfixed_weights > 0) & (unfixed_weights * _LEVEL_TOLERANCE >= gap)
    tight[np.argmax(unfixed_weights)] = True
    return tight


def _fix_rows(highs: highspy.Highs, rows: np.ndarray, level_column: int, level: float) -> None:
    """Turn rows ``probability - level >= 0`` into ``probability >= level`` (a little below)."""
    floor = max(level - _FIX_SLACK, 0.0)
    for row in rows.tolist():
        highs.changeCoeff(row, level_column, 0.0)
        highs.changeRowBounds(row, floor, _INF)


def _peel(pricer: _Pricer, target: np.ndarray, budget: _Budget) -> list[np.ndarray]:
    """Panels that mix (nearly always) into the target type counts, found by peeling.

    Each step takes a panel on the smallest face of the polytope that holds the point, and moves
    the point away from it as far as the polytope allows: the constraint that stops the move
    becomes tight too, so the face shrinks and the loop ends within (types + rows) steps. Where
    the LP relaxation is not exact a face may hold no panel, and rounding can leave a sliver of
    the target uncovered; the master LP (and column generation) weighs and completes the panels.
    """
    rng = np.random.default_rng(_SOLVER_SEED)
    geometry = pricer.relaxed
    point, residual, mass = target.copy(), target.copy(), 1.0
    panels: list[np.ndarray] = []
    try:
        for _ in range(len(point) + len(geometry.row_lower) + 1):
            pricer.restrict_to_face(point)
            panel = pricer.some_panel(rng, budget)
            if panel is None:
                break
            panels.append(panel)
            room_at_point, room_at_panel = geometry.room(point), geometry.room(panel)
            moving = (room_at_panel > _FACE_TOLERANCE) & np.isfinite(room_at_panel)
            step = float(np.min(room_at_point[moving] / room_at_panel[moving], initial=1.0))
            if step >= 1.0 - _FACE_TOLERANCE:
                break
            # Recomputing the point from the target keeps rounding errors from compounding.
            residual -= mass * max(step, 0.0) * panel
            mass *= 1.0 - max(step, 0.0)
            point = residual / mass
    finally:
        pricer.release_face()
    return panels


def _cover_every_type(master: _Master, pricer: _Pricer, budget: _Budget) -> None:
    """Seed the master with panels until every type that can sit on a panel sits on one."""
    covered = np.any(master.panels, axis=0)
    while not covered.all():
        found = pricer.heaviest_panel((~covered).astype(np.float64), budget)
        if found is None:
            return
        newly = (found[0] > 0) & ~covered
        if not newly.any():
            return
        master.add_panel(found[0])
        covered |= newly


def _raise_levels(master: _Master, pricer: _Pricer, level: _Convergence, budget: _Budget) -> bool:
    """Leximin from the maximin level: fix the tight types, raise the others, until all are fixed.

    Every level starts from all the panels found so far. Returns whether every level converged.
    """
    while True:
        master.fix(_tight_types(master.fixed, level.weights, level.level, level.gap), level.level)
        if master.fixed.all():
            return True
        level = _column_generation(master, pricer, budget)
        if not level.converged:
            return False


@dataclass(frozen=True)
class _Convergence:
    """Where column generation stopped: the master's objective and the best proof found.

    ``bound`` is a proven upper bound on the objective over all panels, certified by the dual
    ``weights``; it is infinite when no pricing round finished.
    """

    converged: bool
    level: float
    weights: np.ndarray
    bound: float

    @property
    def gap(self) -> float:
        return max(self.bound - self.level, 0.0)


def _column_generation(
    master: _Master,
    pricer: _Pricer,
    budget: _Budget,
    max_rounds: int | None = None,
    give_up_below: float | None = None,
) -> _Convergence:
    """Add improving panels until the master is optimal over all panels.

    Stops early, unconverged, when the budget runs out, after ``max_rounds`` pricing rounds, or
    once the bound proves the objective stays below ``give_up_below``.
    Pricing uses dual smoothing (Wentges): the weights priced are a mix of the master's current
    duals and the best weights seen so far, which damps the oscillation that otherwise makes
    column generation crawl towards the bound. A smoothed price that finds no improving panel for
    the current duals is retried with the current duals alone.
    """
    best_weights: np.ndarray | None = None
    best_bound = _INF
    smoothing = _SMOOTHING
    rounds = 0
    while True:
        level, weights, convexity_dual = master.solve()
        if level >= 1.0 - _GAP_TOLERANCE:
            return _Convergence(True, level, weights, level)
        priced = weights
        if best_weights is not None:
            priced = smoothing * best_weights + (1 - smoothing) * weights
        found = pricer.heaviest_panel(priced / master.type_sizes, budget)
        if found is None:
            return _Convergence(False, level, weights, best_bound)
        rounds += 1
        panel, heaviest = found
        bound = master.upper_bound(priced, heaviest)
        if bound < best_bound:
            best_bound, best_weights = bound, priced
        assert best_weights is not None  # the first round's bound is finite
        if best_bound - level <= _GAP_TOLERANCE:
            return _Convergence(True, level, best_weights, best_bound)
        if (max_rounds is not None and rounds >= max_rounds) or (
            give_up_below is not None and best_bound < give_up_below - _GAP_TOLERANCE
        ):
            return _Convergence(False, level, best_weights, best_bound)
        improves = float(weights @ (panel / master.type_sizes)) > convexity_dual + _GAP_TOLERANCE
        if improves and master.add_panel(panel):
            smoothing = _SMOOTHING
        elif smoothing > 0:
            smoothing = 0.0
        else:
            # The current duals price no panel above the master: the master is optimal.
            return _Convergence(True, level, best_weights, best_bound)


def _templates(
    problem: _Problem, mixture: list[tuple[float, np.ndarray]]
) -> tuple[PanelTemplate, ...]:
    """Turn weighted type-count panels into normalised, merged, canonically ordered templates."""
    kept = (Pick(problem.kept, len(problem.kept)),) if problem.kept else ()
    merged: dict[tuple[Pick, ...], float] = defaultdict(float)
    for weight, panel in mixture:
        if weight > _MIN_WEIGHT:
            seated = np.flatnonzero(panel)
            picks = tuple(Pick(problem.type_members[t], int(panel[t])) for t in seated)
            merged[kept + picks] += weight
    total = sum(merged.values())
    return tuple(PanelTemplate(merged[picks] / total, picks) for picks in sorted(merged))


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
