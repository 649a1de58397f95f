"""Agenda rules: bounds, overlaps and time order."""

from datetime import datetime, timedelta, timezone

from forums.sessions.scheduling import (
    Slot,
    agenda_key,
    move_target,
    outside_session,
    overlapping_keys,
    overlapping_pairs,
)
from tests.conftest import TEST_YEAR

T0 = datetime(TEST_YEAR, 12, 3, 10, tzinfo=timezone(timedelta(hours=5)))


def slot(key, start_minutes, end_minutes):
    return Slot(key, T0 + timedelta(minutes=start_minutes), T0 + timedelta(minutes=end_minutes))


def test_an_item_before_or_after_the_session_is_outside_it():
    end = T0 + timedelta(hours=3)
    assert outside_session(slot(1, -5, 30), T0, end)
    assert outside_session(slot(1, 170, 185), T0, end)
    assert not outside_session(slot(1, 0, 180), T0, end)


def test_touching_items_do_not_overlap_but_intersecting_ones_do():
    slots = [slot(1, 0, 30), slot(2, 30, 60), slot(3, 50, 90), slot(4, 120, 150)]
    assert overlapping_pairs(slots) == [(slots[1], slots[2])]
    assert overlapping_keys(slots) == {2, 3}


def test_an_item_inside_a_long_one_overlaps_it():
    assert overlapping_keys([slot(1, 0, 120), slot(2, 100, 110), slot(3, 10, 20)]) == {1, 2, 3}


def test_agenda_order_is_by_time_then_by_hand_then_by_addition():
    at = [T0 + timedelta(minutes=minutes) for minutes in (0, 15, 15, 15, 60)]
    items = [(at[4], 0, 1), (at[1], 2, 2), (at[0], 5, 3), (at[2], 1, 4), (at[3], 1, None)]
    ordered = sorted(items, key=lambda each: agenda_key(*each))
    assert [each[2] for each in ordered] == [3, 4, None, 2, 1]


def test_an_item_moves_only_among_the_items_that_start_with_it():
    starts = [T0, T0 + timedelta(minutes=15), T0 + timedelta(minutes=15), T0 + timedelta(minutes=15),
              T0 + timedelta(hours=1)]
    assert move_target(starts, 2, 1) == 1
    assert move_target(starts, 1, 3) == 3
    assert move_target(starts, 1, 0) is None  # before an earlier item
    assert move_target(starts, 3, 4) is None  # after a later one
    assert move_target(starts, 4, 5) == 4  # past the end: stays last
    assert move_target(starts, 0, -1) == 0
    assert move_target([T0], 0, 3) == 0
