"""Benchmark forums.selection.solver against sortition-algorithms' maximin on generated pools.

Pools have four dimensions (group, region, gender, age band) whose categories are correlated
(each group leans to its home regions, its own gender balance and its own age profile). The
quotas follow a round-table policy: every group present and small groups lifted towards an equal
share, every region present, gender near parity, age bands near their pool shares. Everything is
generated from a seed, so every run sees the same instances.

The reference runs in a separate interpreter (``--reference-python``, by default this one) because
sortition-algorithms is not a dependency of the project: install it in a throwaway virtualenv.

    python bench/selection_bench.py --sizes 300/30,1000/48 --timeout 600 \
        --reference-python /tmp/sortvenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forums.selection.solver import (  # noqa: E402  (the path above makes the project importable)
    CountQuota,
    Person,
    SelectionRequest,
    select_panel,
)

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
# A home region is this many times as likely as any other region for a group's members.
HOME_REGION_FACTOR = 6.0


@dataclass(frozen=True)
class Instance:
    """One benchmark instance: a pool, a panel size and the count quotas."""

    name: str
    pool: tuple[Person, ...]
    size: int
    quotas: tuple[CountQuota, ...]


@dataclass(frozen=True)
class Outcome:
    """What one algorithm achieved on one instance."""

    seconds: float | None
    cpu_seconds: float | None
    min_probability: float | None
    status: str


def generate_instance(pool_size: int, panel_size: int, seed: int) -> Instance:
    """A pool of correlated people and round-table quotas for a panel, all from ``seed``."""
    rng = random.Random(f"{seed}-{pool_size}-{panel_size}")
    names = list(GROUPS)
    pool = []
    for person_id in range(pool_size):
        group = rng.choices(names, weights=[GROUPS[g][0] for g in names])[0]
        _, homes, women, ages = GROUPS[group]
        region_weights = [HOME_REGION_FACTOR if r in homes else 1.0 for r in REGIONS]
        categories = {
            "group": group,
            "region": rng.choices(REGIONS, weights=region_weights)[0],
            "gender": "woman" if rng.random() < women else "man",
            "age": rng.choices(AGE_BANDS, weights=ages)[0],
        }
        pool.append(Person(person_id, categories))
    return Instance(
        f"{pool_size}/{panel_size}", tuple(pool), panel_size, _round_table_quotas(pool, panel_size)
    )


def _round_table_quotas(pool: list[Person], size: int) -> tuple[CountQuota, ...]:
    """Quotas on every category present: groups halfway to equal shares, the rest proportional."""
    quotas = []
    for dimension in ("group", "region", "gender", "age"):
        counts = Counter(person.categories[dimension] for person in pool)
        for category, count in sorted(counts.items()):
            share = count / len(pool)
            if dimension == "group":
                share = (share + 1 / len(counts)) / 2
            if dimension == "gender":
                low, high = math.floor(0.45 * size), math.ceil(0.55 * size)
            else:
                low = max(1, math.floor(0.75 * share * size))
                high = math.ceil(1.25 * share * size) + 1
            quotas.append(CountQuota(dimension, category, min(low, count), min(high, count)))
    return tuple(quotas)


def run_ours(instance: Instance, algorithm: str, timeout: float) -> Outcome:
    """Time forums.selection.solver on the instance."""
    request = SelectionRequest(
        pool=instance.pool,
        size=instance.size,
        quotas=instance.quotas,
        algorithm=algorithm,
        time_limit_seconds=timeout,
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    result = select_panel(request)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    status = "ok" if result.is_optimal else "time limit"
    return Outcome(seconds, cpu_seconds, result.min_probability, status)


# Runs inside the reference interpreter: reads the instance as JSON on stdin, prints one JSON line.
REFERENCE_SCRIPT = """
import json, sys, time
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
settings = Settings(id_column="id", columns_to_keep=[])
people_rows = [{"id": str(p["id"]), **p["categories"]} for p in data["pool"]]
people, _ = read_in_people(["id", *dimensions], people_rows, features, settings)
started, cpu_started = time.perf_counter(), time.process_time()
committees, weights, _ = find_distribution_maximin(features, people, data["size"], [])
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
marginal = {person: 0.0 for person in people}
for committee, weight in zip(committees, weights):
    for person in committee:
        marginal[person] += weight
report = {"seconds": seconds, "cpu_seconds": cpu_seconds, "min_probability": min(marginal.values())}
print(json.dumps(report))
"""


def run_reference(instance: Instance, python: str, timeout: float) -> Outcome:
    """Time sortition-algorithms' maximin on the instance in a child interpreter."""
    payload = json.dumps(
        {
            "size": instance.size,
            "pool": [{"id": p.id, "categories": dict(p.categories)} for p in instance.pool],
            "quotas": [
                {"dimension": q.dimension, "category": q.category, "min": q.min_count,
                 "max": q.max_count}
                for q in instance.quotas
            ],
        }
    )
    try:
        completed = subprocess.run(
            [python, "-c", REFERENCE_SCRIPT],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(None, None, None, f"timeout {timeout:.0f}s")
    if completed.returncode != 0:
        return Outcome(None, None, None, "error: " + completed.stderr.strip().splitlines()[-1][:60])
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return Outcome(report["seconds"], report["cpu_seconds"], report["min_probability"], "ok")


def _reference_available(python: str) -> bool:
    """Whether ``python`` can import sortition_algorithms."""
    probe = subprocess.run(
        [python, "-c", "import sortition_algorithms"], capture_output=True, check=False
    )
    return probe.returncode == 0


def _format(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def _print_row(
    instance: Instance, types: int, label: str, outcome: Outcome, reference: Outcome
) -> None:
    """One table row; ratio and speed-up compare with the reference's outcome."""
    ratio = wall = cpu = None
    if reference.min_probability and outcome.min_probability is not None:
        ratio = outcome.min_probability / reference.min_probability
    if reference.seconds and outcome.seconds:
        wall = reference.seconds / outcome.seconds
    if reference.cpu_seconds and outcome.cpu_seconds:
        cpu = reference.cpu_seconds / outcome.cpu_seconds
    print(f"| {instance.name} | {types} | {label} | {_format(outcome.seconds, '.2f')}"
          f" | {_format(outcome.cpu_seconds, '.2f')} | {_format(outcome.min_probability, '.5f')}"
          f" | {_format(ratio, '.4f')} | {_format(wall, '.1f')} ({_format(cpu, '.1f')})"
          f" | {outcome.status} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (markdown) of times and minimum probabilities."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300/30,1000/48,5000/60",
                        help="comma-separated pool/panel sizes")
    parser.add_argument("--seed", type=int, default=2021, help="seed of the generated pools")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed to each run (ours and the reference)")
    parser.add_argument("--skip-reference", action="store_true",
                        help="do not run sortition-algorithms")
    parser.add_argument("--reference-python", default=sys.executable,
                        help="interpreter that has sortition-algorithms installed")
    parser.add_argument("--algorithms", default="maximin,leximin", help="ours to run")
    args = parser.parse_args(argv)

    use_reference = not args.skip_reference and _reference_available(args.reference_python)
    if not args.skip_reference and not use_reference:
        print(f"sortition_algorithms not importable by {args.reference_python}; skipping it")
    print("| instance | types | algorithm | seconds | CPU seconds | min probability"
          " | ratio to reference | speed-up wall (CPU) | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in args.sizes.split(","):
        pool_size, panel_size = (int(part) for part in spec.split("/"))
        instance = generate_instance(pool_size, panel_size, args.seed)
        types = len({tuple(sorted(p.categories.items())) for p in instance.pool})
        reference = Outcome(None, None, None, "skipped")
        if use_reference:
            reference = run_reference(instance, args.reference_python, args.timeout)
            _print_row(instance, types, "sortition-algorithms maximin", reference, reference)
        for algorithm in args.algorithms.split(","):
            _print_row(instance, types, f"ours {algorithm}",
                       run_ours(instance, algorithm, args.timeout), reference)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
