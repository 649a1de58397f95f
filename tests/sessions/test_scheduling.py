"""Agenda rules: bounds and overlaps."""

from datetime import datetime, timedelta, timezone

from forums.sessions.scheduling import (
    Slot,
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
