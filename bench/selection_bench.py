"""Benchmark forums.selection.solver against sortition-algorithms' maximin on generated pools.

Every instance is generated from (family, pool size, panel size, seed), so every run sees the same
instances. The families (``FAMILIES``) cover the shapes a mission meets:

* ``round_table``: four dimensions (group, region, gender, age band), correlated (each group has
  home regions, its own share of women and its own age profile); groups lifted halfway towards an
  equal share, the other dimensions proportional.
* ``skewed`` and ``skewed5``: a skewed pool with tiny categories (about 3 military people in 1,000,
  a dozen minorities, a rare sector) whose minimums come close to their size; ``skewed5`` adds a
  fifth dimension (sector).
* ``exact`` and ``exact5``: exact quotas (minimum = maximum) on every category of gender, age band
  and region (and sector in ``exact5``).
* ``six``: six dimensions (``round_table`` plus sector and language).
* ``kept_cap``: ``round_table`` with people already invited (kept), people left out by hand
  (excluded), and at most one person per organisation.

The reference, sortition-algorithms, is not a dependency of the project. Install it in a throwaway
virtualenv and point ``--reference-python`` at it::

    python3 -m venv /tmp/sortvenv && /tmp/sortvenv/bin/pip install sortition-algorithms
    nice -n 10 .venv/bin/python bench/selection_bench.py --sizes 300/30,1000/48 \\
        --missing-reference --reference-python /tmp/sortvenv/bin/python

The reference needs minutes per large instance, so its results are cached in
``bench/selection_reference.json`` (``REFERENCE_CACHE``), keyed by ``family/pool/panel/seed`` and
stored with a digest of the instance it was measured on. A run compares our solver with the cached
results; ``--missing-reference`` runs the reference for instances without a (current) cached
result, ``--refresh-reference`` runs it again for every selected instance. Without either flag the
reference never runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forums.selection.solver import (  # noqa: E402  (the path above makes the project importable)
    CountQuota,
    Person,
    SelectionRequest,
    SelectionResult,
    select_panel,
)

REFERENCE_CACHE = Path(__file__).with_name("selection_reference.json")

#: group -> (pool share, home regions, share of women, age-band weights)
GROUPS = {
    "government": (0.20, ("dushanbe", "leninabad"), 0.25, (1, 3, 4, 2)),
    "uto": (0.18, ("karategin", "gorno_badakhshan"), 0.10, (2, 4, 3, 1)),
    "internal_opposition": (0.10, ("leninabad", "kulyab"), 0.25, (1, 3, 3, 2)),
    "minorities": (0.04, ("kurgan_tyube", "hissar"), 0.45, (2, 3, 3, 2)),
    "business": (0.10, ("dushanbe", "leninabad"), 0.30, (2, 4, 3, 1)),
    "civil_society": (0.12, ("dushanbe", "kurgan_tyube"), 0.60, (4, 4, 2, 1)),
    "academia": (0.08, ("dushanbe",), 0.40, (1, 2, 4, 3)),
    "media": (0.07, ("dushanbe", "kulyab"), 0.45, (4, 3, 2, 1)),
    "military": (0.06, ("kulyab", "karategin"), 0.05, (3, 4, 2, 0.5)),
    "international": (0.05, ("dushanbe",), 0.40, (1, 4, 3, 1)),
}
#: group pool shares of the skewed families: tiny military, minority and observer groups
SKEWED_SHARES = {
    "government": 0.25, "uto": 0.22, "internal_opposition": 0.12, "minorities": 0.012,
    "business": 0.14, "civil_society": 0.12, "academia": 0.08, "media": 0.04,
    "military": 0.003, "international": 0.015,
}
REGIONS = (
    "dushanbe",
    "leninabad",
    "kulyab",
    "kurgan_tyube",
    "karategin",
    "hissar",
    "gorno_badakhshan",
)
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
#: sector -> pool share (transport is the rare one)
SECTORS = {"agriculture": 0.33, "trade": 0.25, "manufacturing": 0.12, "construction": 0.13,
           "transport": 0.015, "services": 0.155}
#: language -> (pool share, region where it is three times as common)
LANGUAGES = {"tajik": (0.65, "karategin"), "russian": (0.25, "dushanbe"), "uzbek": (0.10, "leninabad")}
# A home region is this many times as likely as any other region for a group's members.
HOME_REGION_FACTOR = 6.0
# Each group leans to one sector this many times as much as to the others.
HOME_SECTOR_FACTOR = 3.0
# Share of kept_cap people who belong to an organisation, and pool members per organisation.
ORGANISED_SHARE, PEOPLE_PER_ORGANISATION = 0.35, 8
# kept_cap: people already invited, and the share of the pool left out by hand.
KEPT, EXCLUDED_SHARE = 4, 0.02


@dataclass(frozen=True)
class Instance:
    """One benchmark instance: a pool, a panel size, the count quotas and the other constraints."""

    family: str
    seed: int
    pool: tuple[Person, ...]
    size: int
    quotas: tuple[CountQuota, ...]
    keep: frozenset[int] = frozenset()
    exclude: frozenset[int] = frozenset()
    max_per_organisation: int | None = None

    @property
    def name(self) -> str:
        """``family pool/panel #seed``, the instance's key in tables and in the reference cache."""
        return f"{self.family} {len(self.pool)}/{self.size} #{self.seed}"

    @property
    def dimensions(self) -> int:
        """How many dimensions the quotas constrain."""
        return len({quota.dimension for quota in self.quotas})

    def request(self, algorithm: str, time_limit: float) -> SelectionRequest:
        """The solver's request for this instance."""
        return SelectionRequest(self.pool, self.size, self.quotas, keep=self.keep, exclude=self.exclude,
                                max_per_organisation=self.max_per_organisation, algorithm=algorithm,
                                time_limit_seconds=time_limit)


@dataclass(frozen=True)
class Outcome:
    """What one algorithm achieved on one instance."""

    seconds: float | None
    cpu_seconds: float | None
    min_probability: float | None
    status: str
    gap: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


# Generation ---------------------------------------------------------------------------------------

def _person(rng: random.Random, person_id: int, group_shares: dict[str, float],
            dimensions: Sequence[str]) -> Person:
    """One person with a category in each of ``dimensions``, correlated through the group."""
    names = list(group_shares)
    group = rng.choices(names, weights=[group_shares[g] for g in names])[0]
    _, homes, women, ages = GROUPS[group]
    region = rng.choices(REGIONS, weights=[HOME_REGION_FACTOR if r in homes else 1.0 for r in REGIONS])[0]
    categories = {
        "group": group,
        "region": region,
        "gender": "woman" if rng.random() < women else "man",
        "age": rng.choices(AGE_BANDS, weights=ages)[0],
    }
    if "sector" in dimensions:
        home_sector = list(SECTORS)[names.index(group) % len(SECTORS)]
        weights = [share * (HOME_SECTOR_FACTOR if s == home_sector else 1.0) for s, share in SECTORS.items()]
        categories["sector"] = rng.choices(list(SECTORS), weights=weights)[0]
    if "language" in dimensions:
        weights = [share * (3.0 if home == region else 1.0) for share, home in LANGUAGES.values()]
        categories["language"] = rng.choices(list(LANGUAGES), weights=weights)[0]
    return Person(person_id, {d: categories[d] for d in dimensions})


def _pool(rng: random.Random, pool_size: int, group_shares: dict[str, float],
          dimensions: Sequence[str]) -> list[Person]:
    return [_person(rng, person_id, group_shares, dimensions) for person_id in range(pool_size)]


def _counts(pool: Sequence[Person], dimension: str) -> list[tuple[str, int]]:
    return sorted(Counter(person.categories[dimension] for person in pool).items())


def _round_table_quotas(pool: Sequence[Person], size: int) -> list[CountQuota]:
    """Quotas on every category present: groups halfway to equal shares, gender near parity, the
    rest proportional (each ±25 %, at least 1)."""
    quotas = []
    for dimension in pool[0].categories:
        counts = _counts(pool, dimension)
        for category, count in counts:
            share = count / len(pool)
            if dimension == "group":
                share = (share + 1 / len(counts)) / 2
            if dimension == "gender":
                low, high = math.floor(0.45 * size), math.ceil(0.55 * size)
            else:
                low = max(1, math.floor(0.75 * share * size))
                high = math.ceil(1.25 * share * size) + 1
            quotas.append(CountQuota(dimension, category, min(low, count), min(high, count)))
    return quotas


def _tight_quotas(pool: Sequence[Person], size: int) -> list[CountQuota]:
    """Round-table quotas, except that a tiny category (less than two seats' worth of the pool)
    must get about half its people: 2 of 3 military people, 4 of a dozen minorities."""
    quotas = []
    for quota in _round_table_quotas(pool, size):
        count = dict(_counts(pool, quota.dimension))[quota.category]
        if count * size < 2 * len(pool):
            low = min(count, max(1, math.ceil(count / 2)), max(2, size // 12))
            quota = CountQuota(quota.dimension, quota.category, low, min(count, low + 1))
        quotas.append(quota)
    return quotas


def _apportion(counts: Sequence[tuple[str, int]], seats: int) -> dict[str, int]:
    """Seats proportional to ``counts`` by largest remainders, every category at least one."""
    total = sum(count for _, count in counts)
    exact = {category: count * seats / total for category, count in counts}
    given = {category: max(1, math.floor(share)) for category, share in exact.items()}
    by_remainder = sorted(exact, key=lambda c: (given[c] - exact[c], c))
    while sum(given.values()) < seats:
        category = by_remainder.pop(0)
        given[category] += 1
    while sum(given.values()) > seats:
        category = max((c for c in given if given[c] > 1), key=lambda c: given[c] - exact[c])
        given[category] -= 1
    return given


def _exact_quotas(pool: Sequence[Person], size: int) -> list[CountQuota]:
    """Exact counts (minimum = maximum) on every category except groups, which get ranges."""
    quotas = [quota for quota in _round_table_quotas(pool, size) if quota.dimension == "group"]
    for dimension in pool[0].categories:
        if dimension != "group":
            for category, seats in sorted(_apportion(_counts(pool, dimension), size).items()):
                quotas.append(CountQuota(dimension, category, seats, seats))
    return quotas


FOUR = ("group", "region", "gender", "age")


def _round_table(rng: random.Random, pool_size: int, size: int, seed: int) -> Instance:
    pool = _pool(rng, pool_size, {g: v[0] for g, v in GROUPS.items()}, FOUR)
    return Instance("round_table", seed, tuple(pool), size, tuple(_round_table_quotas(pool, size)))


def _skewed(dimensions: Sequence[str], family: str) -> Callable[[random.Random, int, int, int], Instance]:
    def generate(rng: random.Random, pool_size: int, size: int, seed: int) -> Instance:
        pool = _pool(rng, pool_size, SKEWED_SHARES, dimensions)
        return Instance(family, seed, tuple(pool), size, tuple(_tight_quotas(pool, size)))
    return generate


def _exact(dimensions: Sequence[str], family: str) -> Callable[[random.Random, int, int, int], Instance]:
    def generate(rng: random.Random, pool_size: int, size: int, seed: int) -> Instance:
        pool = _pool(rng, pool_size, {g: v[0] for g, v in GROUPS.items()}, dimensions)
        return Instance(family, seed, tuple(pool), size, tuple(_exact_quotas(pool, size)))
    return generate


def _six(rng: random.Random, pool_size: int, size: int, seed: int) -> Instance:
    pool = _pool(rng, pool_size, {g: v[0] for g, v in GROUPS.items()}, (*FOUR, "sector", "language"))
    return Instance("six", seed, tuple(pool), size, tuple(_round_table_quotas(pool, size)))


def _kept_cap(rng: random.Random, pool_size: int, size: int, seed: int) -> Instance:
    """Round table with KEPT people already invited (none in an organisation, so nobody is ruled
    out by a kept colleague), EXCLUDED_SHARE of the pool left out, one person per organisation."""
    pool = _pool(rng, pool_size, {g: v[0] for g, v in GROUPS.items()}, FOUR)
    organisations = max(1, pool_size // PEOPLE_PER_ORGANISATION)
    pool = [Person(p.id, p.categories, f"org{rng.randrange(organisations)}"
                   if rng.random() < ORGANISED_SHARE else None) for p in pool]
    loose = [p.id for p in pool if p.organisation is None]
    keep = frozenset(rng.sample(loose, KEPT))
    others = [p.id for p in pool if p.id not in keep]
    exclude = frozenset(rng.sample(others, round(EXCLUDED_SHARE * pool_size)))
    return Instance("kept_cap", seed, tuple(pool), size, tuple(_round_table_quotas(pool, size)),
                    keep=keep, exclude=exclude, max_per_organisation=1)


FAMILIES: dict[str, Callable[[random.Random, int, int, int], Instance]] = {
    "round_table": _round_table,
    "skewed": _skewed(FOUR, "skewed"),
    "skewed5": _skewed((*FOUR, "sector"), "skewed5"),
    "exact": _exact(FOUR, "exact"),
    "exact5": _exact((*FOUR, "sector"), "exact5"),
    "six": _six,
    "kept_cap": _kept_cap,
}


def generate_instance(family: str, pool_size: int, panel_size: int, seed: int) -> Instance:
    """The instance of ``family`` for these sizes, all from ``seed``."""
    rng = random.Random(f"{family}-{seed}-{pool_size}-{panel_size}")
    return FAMILIES[family](rng, pool_size, panel_size, seed)


# Running ------------------------------------------------------------------------------------------

def run_ours(instance: Instance, algorithm: str, time_limit: float) -> tuple[Outcome, SelectionResult]:
    """Time forums.selection.solver on the instance."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = select_panel(instance.request(algorithm, time_limit))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    status = "optimal" if result.is_optimal else "time limit"
    return Outcome(seconds, cpu_seconds, result.min_probability, status, result.gap), result


# Runs inside the reference interpreter: reads the instance as JSON on stdin, prints one JSON line.
# Kept people are taken out beforehand (seats and quotas reduced), excluded people left out, and the
# organisation cap of one is sortition-algorithms' household rule (one person per address).
REFERENCE_SCRIPT = """
import json, sys, time
from importlib.metadata import version
from sortition_algorithms import Settings, read_in_features, read_in_people
from sortition_algorithms.committee_generation import find_distribution_maximin

data = json.load(sys.stdin)
head = ["feature", "value", "min", "max"]
rows = [
    {"feature": q["dimension"], "value": q["category"], "min": str(q["min"]), "max": str(q["max"])}
    for q in data["quotas"]
]
features, _, _ = read_in_features(head, rows, data["size"])
dimensions = sorted({q["dimension"] for q in data["quotas"]})
address = ["organisation"] if data["one_per_organisation"] else []
settings = Settings(id_column="id", columns_to_keep=[], check_same_address=bool(address),
                    check_same_address_columns=address)
people_rows = [{"id": str(p["id"]), "organisation": p["organisation"], **p["categories"]} for p in data["pool"]]
people, _ = read_in_people(["id", "organisation", *dimensions], people_rows, features, settings)
started, cpu_started = time.perf_counter(), time.process_time()
committees, weights, _ = find_distribution_maximin(features, people, data["size"], address)
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
marginal = {person: 0.0 for person in people}
for committee, weight in zip(committees, weights):
    for person in committee:
        marginal[person] += weight
report = {"seconds": seconds, "cpu_seconds": cpu_seconds, "min_probability": min(marginal.values()),
          "version": version("sortition-algorithms")}
print(json.dumps(report))
"""


def reference_payload(instance: Instance) -> str:
    """The instance as the reference script reads it (kept people taken out, see the script)."""
    kept = [p for p in instance.pool if p.id in instance.keep]
    pool = [p for p in instance.pool if p.id not in instance.keep and p.id not in instance.exclude]
    if instance.max_per_organisation not in (None, 1):
        raise ValueError("the reference only knows a cap of one person per organisation")
    kept_organisations = {p.organisation for p in kept if p.organisation}
    pool = [p for p in pool if p.organisation not in kept_organisations or p.organisation is None]

    def taken(quota: CountQuota) -> int:
        return sum(1 for p in kept if p.categories.get(quota.dimension) == quota.category)

    return json.dumps({
        "size": instance.size - len(kept),
        "one_per_organisation": instance.max_per_organisation == 1,
        "pool": [{"id": p.id, "organisation": p.organisation or f"none-{p.id}", "categories": dict(p.categories)}
                 for p in pool],
        "quotas": [{"dimension": q.dimension, "category": q.category, "min": max(0, q.min_count - taken(q)),
                    "max": (instance.size if q.max_count is None else q.max_count) - taken(q)}
                   for q in instance.quotas],
    }, sort_keys=True)


def instance_digest(instance: Instance) -> str:
    """A short digest of what the reference is given: a cached result belongs to exactly this."""
    return hashlib.sha256(reference_payload(instance).encode()).hexdigest()[:16]


def run_reference(instance: Instance, python: str, timeout: float) -> dict[str, object]:
    """Time sortition-algorithms' maximin on the instance in a child interpreter (a cache entry)."""
    entry: dict[str, object] = {"instance": instance_digest(instance),
                                "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        completed = subprocess.run([python, "-c", REFERENCE_SCRIPT], input=reference_payload(instance),
                                   capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {**entry, "status": f"timeout {timeout:.0f}s"}
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["no output"]
        return {**entry, "status": "error: " + lines[-1][:80]}
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return {**entry, **report, "status": "ok"}


def load_cache() -> dict[str, dict[str, object]]:
    """The cached reference results, ``{instance name: entry}``."""
    if not REFERENCE_CACHE.exists():
        return {}
    return json.loads(REFERENCE_CACHE.read_text())


def save_cache(cache: dict[str, dict[str, object]]) -> None:
    REFERENCE_CACHE.write_text(json.dumps(dict(sorted(cache.items())), indent=1) + "\n")


def cached_outcome(cache: dict[str, dict[str, object]], instance: Instance) -> Outcome:
    """The reference's cached outcome for exactly this instance, or a 'not measured' outcome."""
    entry = cache.get(instance.name)
    if entry is None:
        return Outcome(None, None, None, "not run")
    if entry["instance"] != instance_digest(instance):
        return Outcome(None, None, None, "stale (instance changed)")
    if entry["status"] != "ok":
        return Outcome(None, None, None, str(entry["status"]))

    def number(key: str) -> float:
        value = entry[key]
        assert isinstance(value, int | float)
        return float(value)

    return Outcome(number("seconds"), number("cpu_seconds"), number("min_probability"), "ok")


def _reference_available(python: str) -> bool:
    """Whether ``python`` can import sortition_algorithms."""
    probe = subprocess.run([python, "-c", "import sortition_algorithms"], capture_output=True, check=False)
    return probe.returncode == 0


# Reporting ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One instance measured: the reference (cached) and ours per algorithm."""

    instance: Instance
    types: int
    reference: Outcome
    ours: dict[str, Outcome]

    def speed_up(self, algorithm: str = "maximin", cpu: bool = False) -> float | None:
        ours, reference = self.ours.get(algorithm), self.reference
        mine = None if ours is None else (ours.cpu_seconds if cpu else ours.seconds)
        theirs = reference.cpu_seconds if cpu else reference.seconds
        return theirs / mine if theirs and mine else None

    def ratio(self, algorithm: str = "maximin") -> float | None:
        ours = self.ours.get(algorithm)
        if ours is None or not self.reference.min_probability or ours.min_probability is None:
            return None
        return ours.min_probability / self.reference.min_probability


def _format(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def _worst_first(row: Row) -> tuple[int, float]:
    """Instances with a reference by speed-up (smallest first), then the rest by our slowest time."""
    speed_up = row.speed_up()
    if speed_up is not None:
        return 0, speed_up
    return 1, -max((o.seconds or 0.0) for o in row.ours.values())


def print_table(rows: list[Row], algorithms: Sequence[str]) -> None:
    """The markdown table, worst case first, and a summary of the issue's goals."""
    header = ["instance", "dims", "types", "reference s (CPU s)", "reference min p"]
    for algorithm in algorithms:
        header += [f"{algorithm} s (CPU s)", f"{algorithm} min p", f"{algorithm} gap", f"{algorithm} status"]
    header += ["ratio to reference", "speed-up wall (CPU)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in sorted(rows, key=_worst_first):
        reference = row.reference
        cells = [row.instance.name, str(row.instance.dimensions), str(row.types),
                 f"{_format(reference.seconds, '.1f')} ({_format(reference.cpu_seconds, '.1f')})"
                 if reference.status == "ok" else reference.status,
                 _format(reference.min_probability, ".5f")]
        for algorithm in algorithms:
            ours = row.ours[algorithm]
            cells += [f"{_format(ours.seconds, '.2f')} ({_format(ours.cpu_seconds, '.2f')})",
                      _format(ours.min_probability, ".5f"), _format(ours.gap, ".1e"), ours.status]
        cells += [_format(row.ratio(), ".4f"),
                  f"{_format(row.speed_up(), '.0f')} ({_format(row.speed_up(cpu=True), '.0f')})"]
        print("| " + " | ".join(cells) + " |")
    compared = [row for row in rows if row.speed_up() is not None]
    if compared:
        walls = [row.speed_up() or 0.0 for row in compared]
        cpus = [row.speed_up(cpu=True) or 0.0 for row in compared]
        ratios = [row.ratio() or 0.0 for row in compared]
        print(f"\nAgainst the reference on {len(compared)} instances: speed-up wall min {min(walls):.1f}, "
              f"median {statistics.median(walls):.1f}; CPU min {min(cpus):.1f}, median {statistics.median(cpus):.1f};"
              f" min-probability ratio min {min(ratios):.4f}.")
    for algorithm in algorithms:
        for label, chosen in (("1000/48", [r for r in rows if len(r.instance.pool) == 1000]),
                              ("5000/*", [r for r in rows if len(r.instance.pool) == 5000]),
                              ("all", rows)):
            times = [r.ours[algorithm].seconds or 0.0 for r in chosen]
            if times:
                print(f"ours {algorithm} at {label}: slowest {max(times):.2f} s over {len(times)} instances")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (markdown) of times and minimum probabilities."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated instance families")
    parser.add_argument("--sizes", default="300/30,1000/48,2000/80,5000/60,5000/100",
                        help="comma-separated pool/panel sizes")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds of the generated pools")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds allowed to our solver")
    parser.add_argument("--algorithms", default="maximin,leximin", help="ours to run")
    parser.add_argument("--missing-reference", action="store_true",
                        help="run sortition-algorithms on instances without a current cached result")
    parser.add_argument("--refresh-reference", action="store_true",
                        help="run sortition-algorithms again on every selected instance")
    parser.add_argument("--reference-timeout", type=float, default=900.0, help="seconds allowed to the reference")
    parser.add_argument("--reference-python", default=sys.executable,
                        help="interpreter that has sortition-algorithms installed")
    parser.add_argument("--reference-only", action="store_true", help="only fill the reference cache")
    args = parser.parse_args(argv)

    run_the_reference = args.missing_reference or args.refresh_reference
    if run_the_reference and not _reference_available(args.reference_python):
        parser.error(f"sortition_algorithms is not importable by {args.reference_python}")
    algorithms = [] if args.reference_only else args.algorithms.split(",")
    cache = load_cache()
    rows = []
    for spec in args.sizes.split(","):
        pool_size, panel_size = (int(part) for part in spec.split("/"))
        for family in args.families.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                instance = generate_instance(family, pool_size, panel_size, seed)
                stale = cached_outcome(cache, instance).status in ("not run", "stale (instance changed)")
                if args.refresh_reference or (args.missing_reference and stale):
                    print(f"reference on {instance.name} ...", file=sys.stderr, flush=True)
                    cache[instance.name] = run_reference(instance, args.reference_python, args.reference_timeout)
                    save_cache(cache)
                ours = {}
                for algorithm in algorithms:
                    ours[algorithm], _ = run_ours(instance, algorithm, args.time_limit)
                    print(f"{instance.name} {algorithm}: {ours[algorithm]}", file=sys.stderr, flush=True)
                types = len({(tuple(sorted(p.categories.items())), p.organisation) for p in instance.pool})
                rows.append(Row(instance, types, cached_outcome(cache, instance), ours))
    if algorithms:
        print_table(rows, algorithms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
