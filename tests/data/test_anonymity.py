"""k-anonymity of row exports and cell suppression of aggregate tables (SECURITY.md T15, T23), without an app."""

import ast
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forums.data import anonymity
from forums.data.anonymity import generalise, released_counts, suppress_cells

STAGES = ("invited", "registered", "confirmed", "attended")

# Small alphabets, so that the generated files have both crowded and rare combinations.
combinations = st.tuples(st.sampled_from(["registered", "attended"]),
                         st.sampled_from(["government", "uto", "media", "minorities"]),
                         st.sampled_from(["dushanbe", "kulyab", "karategin"]),
                         st.sampled_from(["woman", "man", ""]))
files = st.dictionaries(combinations, st.integers(min_value=1, max_value=12), max_size=30)


def test_the_pure_module_needs_no_app():
    tree = ast.parse(Path(anonymity.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"flask", "flask_babel", "sqlalchemy", "models", "forums"}


@settings(max_examples=300, deadline=None)
@given(counts=files, k=st.integers(min_value=1, max_value=8))
def test_every_released_combination_is_shared_by_at_least_k_rows(counts, k):
    released = generalise(counts, k)
    assert set(released) == set(counts)
    totals = released_counts(counts, released)
    if sum(counts.values()) < k:
        # Too few rows for any class of k: nothing at all is shown.
        assert set(totals) <= {(None, None, None, None)}
    else:
        assert all(count >= k for count in totals.values()), totals
    # Generalising never invents: each shown value is the row's own.
    for combination, row in released.items():
        assert all(value is None or value == original for value, original in zip(row, combination, strict=True))


@settings(max_examples=100, deadline=None)
@given(counts=files)
def test_k_of_one_shows_everything(counts):
    assert generalise(counts, 1) == {combination: combination for combination in counts}


def test_a_unique_combination_is_hidden_even_when_each_value_is_common():
    # Every value is held by at least five rows, so the old column-by-column rule showed them all,
    # but the only Kulyab man of the government is one row.
    counts = Counter({
        ("government", "dushanbe", "man"): 5,
        ("government", "kulyab", "woman"): 5,
        ("media", "kulyab", "man"): 5,
        ("government", "kulyab", "man"): 1,
    })
    released = generalise(counts, 5)
    assert released[("government", "kulyab", "man")] != ("government", "kulyab", "man")
    assert min(released_counts(counts, released).values()) >= 5
    # The crowded combinations keep most of what they said.
    assert sum(value is not None for value in released[("government", "dushanbe", "man")]) >= 2


def test_a_lone_value_beside_one_crowd_is_not_shown_for_the_crowd_either():
    # Five civil society and one journalist: showing "civil_society" five times would leave one row
    # that can only be the journalist.
    counts = {("registered", "civil_society", "dushanbe"): 5, ("registered", "media", "dushanbe"): 1}
    released = generalise(counts, 5)
    assert set(released.values()) == {("registered", None, "dushanbe")}


def test_fewer_rows_than_k_show_nothing():
    assert generalise({("a", "b"): 2, ("a", "c"): 1}, 5) == {("a", "b"): (None, None), ("a", "c"): (None, None)}


def test_generalise_refuses_ragged_rows_and_a_k_below_one():
    with pytest.raises(ValueError):
        generalise({("a",): 1, ("a", "b"): 1}, 2)
    with pytest.raises(ValueError):
        generalise({("a",): 1}, 0)


tables = st.dictionaries(
    st.tuples(st.sampled_from([1, 2]), st.sampled_from(["group", "gender"]), st.sampled_from(["a", "b", "c", ""])),
    st.lists(st.integers(min_value=0, max_value=12), min_size=4, max_size=4),
    max_size=16,
)


def _nested(table):
    """Counts per stage that shrink from stage to stage, as real stages do."""
    counts = {}
    for (session, dimension, category), values in table.items():
        running = None
        for stage, value in zip(STAGES, values, strict=True):
            running = value if running is None else min(running, value)
            counts[(session, stage, dimension, category)] = running
    return counts


@settings(max_examples=300, deadline=None)
@given(table=tables, k=st.integers(min_value=2, max_value=6))
def test_no_shown_or_recomputable_cell_counts_fewer_than_k(table, k):
    counts = _nested(table)
    shown = suppress_cells(counts, STAGES, k)
    assert set(shown) == set(counts)
    for cell, value in shown.items():
        assert value is None or value == counts[cell]
        assert value is None or value == 0 or value >= k
    groups, chains = {}, {}
    for cell in counts:
        session, stage, dimension, category = cell
        groups.setdefault((session, stage, dimension), []).append(cell)
        chains.setdefault((session, dimension, category), []).append(cell)
    for cells in groups.values():
        hidden = [cell for cell in cells if shown[cell] is None]
        if hidden and len(hidden) < len(cells):
            # What is hidden in a group can be recomputed from its total only as a sum of two or more
            # cells, and that sum is not a small count.
            assert len(hidden) >= 2
            assert not 0 < sum(counts[cell] for cell in hidden) < k
        if 0 < sum(counts[cell] for cell in cells) < k:
            assert len(hidden) == len(cells)
    for cells in chains.values():
        visible = [counts[cell] for cell in sorted(cells, key=lambda c: STAGES.index(c[1])) if shown[cell] is not None]
        assert all(not 0 < earlier - later < k for i, earlier in enumerate(visible) for later in visible[i + 1:])


def test_one_absent_person_is_not_told_by_two_stages():
    counts = {(1, "registered", "gender", "woman"): 12, (1, "attended", "gender", "woman"): 11,
              (1, "registered", "gender", "man"): 20, (1, "attended", "gender", "man"): 20}
    shown = suppress_cells(counts, STAGES, 5)
    assert shown[(1, "registered", "gender", "woman")] == 12
    # Showing 11 would tell that exactly one registered woman did not come; hiding it alone would
    # let the total give it back, so the men of that stage are hidden with it.
    assert shown[(1, "attended", "gender", "woman")] is None and shown[(1, "attended", "gender", "man")] is None


def test_a_small_stage_hides_its_zeros_too():
    counts = {(1, "attended", "gender", "woman"): 0, (1, "attended", "gender", "man"): 3}
    assert suppress_cells(counts, STAGES, 5) == {(1, "attended", "gender", "woman"): None,
                                                 (1, "attended", "gender", "man"): None}
