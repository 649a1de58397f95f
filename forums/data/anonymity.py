"""Small counts that could single a person out: k-anonymity for row exports, suppression for tables.

Pure: no Flask, SQLAlchemy or models import; tests/data/test_anonymity.py runs it without an app.
``k`` comes from the app's ``SMALL_COUNT_THRESHOLD`` (app.py, default 5), the one threshold the
exports and the facilitators' live panel share.

**Rows** (:func:`generalise`). A pseudonymised file still names each row's status and categories, and
the *combination* of them (status, group, region, gender, ...) is what a reader who knows a few facts
about someone matches on: a column-by-column rule that shows every value held by five rows still
lets the only Kulyab woman of the government stand out. Every column is therefore treated as a
quasi-identifier, and values are replaced by "suppressed" (``None`` here) until every released
combination is shared by at least ``k`` rows. Rules, top-down:

1. If the file has fewer than ``k`` rows, every value of every row is suppressed.
2. Otherwise all rows start in one class with every column suppressed. A class is split on a column
   when that reveals the column's value for some of its rows: values held by ``k`` or more rows of
   the class become classes of their own with the value shown; the rows of the rarer values stay
   together with the column suppressed, and if they are fewer than ``k`` (but some) the smallest
   revealed value joins them, so that no class is ever smaller than ``k``. Each class takes the
   column that shows a value for the most rows (the first such column on a tie) and is split again
   until no column can be revealed.
3. A suppressed value never comes back within a class, and a shown value is always the row's own.

Identical rows are released identically, so the function works on the counts of each combination,
not on rows: memory grows with the number of distinct combinations, not with the file.

**Tables** (:func:`suppress_cells`). The aggregate report to headquarters gives counts per session,
stage, dimension and category. A cell is shown only when it is 0 or at least ``k``; and since a hidden
cell must not be recomputed from the others, hiding is extended until a fixed point:

* *primary*: a count from 1 to ``k - 1`` is hidden;
* *small groups*: when a (session, stage, dimension) group adds up to fewer than ``k`` people, all its
  cells are hidden, zeros too (a shown zero would tell where the few are);
* *complementary*: a group's total is known (from any other dimension of the same stage), so the
  hidden cells of a group must be at least two and must not add up to 1..k-1; the smallest shown cell
  of the group is hidden until they do;
* *stages*: stages are nested (invited ⊇ registered ⊇ confirmed ⊇ attended), so two shown counts of the
  same category at two stages whose difference is 1..k-1 tell that so few people are at one stage and
  not the other; the count of the later stage is hidden.

What this does not promise: differences between the *sums* of hidden cells of two stages, or
comparisons with another report taken later, are not checked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence

#: a row's values, one per quasi-identifier column
Combination = tuple[str, ...]
#: what is released for a row: the value, or None where it is suppressed
Released = tuple[str | None, ...]


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError("k must be at least 1")


def generalise(counts: Mapping[Combination, int], k: int) -> dict[Combination, Released]:
    """What to release for each combination so that every released combination has ``k`` rows or more.

    ``counts`` gives how many rows hold each combination (all of one width). Rules in the module
    docstring. With fewer than ``k`` rows in all, every combination is released fully suppressed.
    """
    _check_k(k)
    present = {combination: count for combination, count in counts.items() if count > 0}
    widths = {len(combination) for combination in present}
    if len(widths) > 1:
        raise ValueError("every combination must have the same number of values")
    width = widths.pop() if widths else 0
    released: dict[Combination, Released] = {}
    if sum(present.values()) < k:
        return {combination: (None,) * width for combination in present}
    _refine(sorted(present), present, k, width, {}, frozenset(), released)
    return released


def _refine(members: list[Combination], counts: Mapping[Combination, int], k: int, width: int,
            shown: dict[int, str], closed: frozenset[int], released: dict[Combination, Released]) -> None:
    """Split a class of at least ``k`` rows on its best column, or release it as it stands."""
    best: tuple[int, int, list[tuple[str, list[Combination]]], list[Combination]] | None = None
    for column in range(width):
        if column in shown or column in closed:
            continue
        parts: dict[str, list[Combination]] = defaultdict(list)
        for combination in members:
            parts[combination[column]].append(combination)
        sizes = {value: sum(counts[combination] for combination in part) for value, part in parts.items()}
        big = sorted((value for value in parts if sizes[value] >= k), key=lambda value: (sizes[value], value))
        rest = [combination for value in parts if sizes[value] < k for combination in parts[value]]
        rest_size = sum(counts[combination] for combination in rest)
        if 0 < rest_size < k:
            if len(big) < 2:
                continue  # showing the only big value would single out the few others
            rest += parts[big.pop(0)]
        revealed = sum(sizes[value] for value in big)
        if revealed and (best is None or revealed > best[0]):
            best = (revealed, column, [(value, parts[value]) for value in big], rest)
    if best is None:
        row: Released = tuple(shown.get(column) for column in range(width))
        for combination in members:
            released[combination] = row
        return
    _revealed, column, big_parts, rest = best
    for value, part in big_parts:
        _refine(part, counts, k, width, {**shown, column: value}, closed, released)
    if rest:
        _refine(rest, counts, k, width, shown, closed | {column}, released)


def released_counts(counts: Mapping[Combination, int], released: Mapping[Combination, Released]) -> Counter[Released]:
    """How many rows each released combination has (what a reader of the file can count)."""
    totals: Counter[Released] = Counter()
    for combination, count in counts.items():
        if count > 0:
            totals[released[combination]] += count
    return totals


#: a cell of an aggregate table: (session, stage, dimension, category)
Cell = tuple[Hashable, str, str, str]


def suppress_cells(counts: Mapping[Cell, int], stages: Sequence[str], k: int) -> dict[Cell, int | None]:
    """The table with every cell that could single someone out replaced by None (rules in the module docstring).

    ``stages`` lists the stages from the widest to the narrowest (each counts a subset of the
    people of the one before it). Every cell of ``counts`` is in the result.
    """
    _check_k(k)
    order = {stage: position for position, stage in enumerate(stages)}
    groups: dict[tuple[Hashable, str, str], list[Cell]] = defaultdict(list)
    chains: dict[tuple[Hashable, str, str], list[Cell]] = defaultdict(list)
    for cell in counts:
        session, stage, dimension, category = cell
        if stage not in order:
            raise ValueError(f"unknown stage {stage!r}")
        groups[(session, stage, dimension)].append(cell)
        chains[(session, dimension, category)].append(cell)
    for chain in chains.values():
        chain.sort(key=lambda cell: order[cell[1]])
    hidden = {cell for cell, count in counts.items() if 0 < count < k}
    for cells in groups.values():
        if 0 < sum(counts[cell] for cell in cells) < k:
            hidden.update(cells)
    changed = True
    while changed:
        changed = False
        for cells in groups.values():
            while True:
                concealed = [cell for cell in cells if cell in hidden]
                concealed_sum = sum(counts[cell] for cell in concealed)
                if not concealed or (len(concealed) >= 2 and not 0 < concealed_sum < k):
                    break
                shown = [cell for cell in cells if cell not in hidden]
                if not shown:
                    break  # the whole group is hidden: nothing left to recompute it from
                # The smallest count that is not zero: a hidden zero would add nothing to hide behind.
                useful = [cell for cell in shown if counts[cell] > 0] or shown
                hidden.add(min(useful, key=lambda cell: (counts[cell], repr(cell))))
                changed = True
        for chain in chains.values():
            shown = [cell for cell in chain if cell not in hidden]
            for position, earlier in enumerate(shown):
                for later in shown[position + 1:]:
                    if earlier not in hidden and later not in hidden and 0 < counts[earlier] - counts[later] < k:
                        hidden.add(later)
                        changed = True
    return {cell: None if cell in hidden else count for cell, count in counts.items()}
