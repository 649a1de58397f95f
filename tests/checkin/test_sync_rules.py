"""The conflict rules of events that reach the server late (forums.checkin.sync), without an app."""

from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest

from forums.checkin import sync
from models.checkin import CheckinOutcome, ReviewReason

T0 = datetime(2036, 12, 3, 5, 0, tzinfo=UTC)


def check_in(**overrides):
    values = {"cancelled": False, "attended": False, "expected": True, "holds_seat": True, "seat_free": True}
    return sync.decide_check_in(**{**values, **overrides})


def test_the_words_of_the_rules_are_the_stored_values():
    assert set(get_args(sync.Outcome)) == {outcome.value for outcome in CheckinOutcome}
    assert set(get_args(sync.Review)) == {reason.value for reason in ReviewReason}


def test_a_check_in_of_someone_expected_with_a_seat_is_applied_without_review():
    assert check_in() == sync.Decision("applied")
    assert check_in(holds_seat=False, seat_free=True) == sync.Decision("applied")


def test_attendance_is_a_fact_past_capacity_and_after_a_decline_but_flagged():
    assert check_in(holds_seat=False, seat_free=False) == sync.Decision("applied", "past_capacity")
    assert check_in(expected=False, holds_seat=False, seat_free=False) == sync.Decision("applied", "not_expected")


def test_someone_already_attended_counts_once():
    assert check_in(attended=True) == sync.Decision("counted_once")


def test_a_cancelled_session_takes_no_attendance_but_keeps_the_event_for_staff():
    assert check_in(cancelled=True) == sync.Decision("refused", "session_cancelled")
    assert sync.decide_undo(cancelled=True, attended=True, device_id="a", device_at=T0,
                            made_by=sync.CheckInMade("a", T0)) == sync.Decision("refused", "session_cancelled")


@pytest.mark.parametrize(("device", "later_by", "made_by", "expected"), [
    ("tablet-a", timedelta(minutes=1), ("tablet-a", 0), sync.Decision("applied")),
    ("tablet-b", timedelta(minutes=1), ("tablet-a", 0), sync.Decision("reconcile", "undo_conflict")),
    ("tablet-a", timedelta(0), ("tablet-a", 0), sync.Decision("reconcile", "undo_conflict")),
    ("tablet-a", -timedelta(minutes=1), ("tablet-a", 0), sync.Decision("reconcile", "undo_conflict")),
    ("tablet-a", timedelta(minutes=1), None, sync.Decision("reconcile", "undo_conflict")),
], ids=["same-device-later", "other-device", "same-time", "earlier", "checked-in-without-a-device"])
def test_an_undo_wins_only_from_the_device_that_made_the_check_in_and_later(device, later_by, made_by, expected):
    made = sync.CheckInMade(made_by[0], T0) if made_by else None
    assert sync.decide_undo(cancelled=False, attended=True, device_id=device, device_at=T0 + later_by,
                            made_by=made) == expected


def test_an_undo_of_someone_not_attended_changes_nothing():
    assert sync.decide_undo(cancelled=False, attended=False, device_id="a", device_at=T0,
                            made_by=None) == sync.Decision("no_change")


def test_a_device_clock_running_fast_cannot_put_an_arrival_in_the_future():
    received = T0 + timedelta(minutes=5)
    assert sync.attendance_time(T0, received) == T0
    assert sync.attendance_time(T0 + timedelta(hours=1), received) == received


def test_a_device_holds_a_sessions_list_only_on_its_days():
    day = date(2036, 12, 3)
    assert sync.may_hold_offline(day, day, day)
    assert not sync.may_hold_offline(day, day, day - timedelta(days=1))
    assert not sync.may_hold_offline(day, day, day + timedelta(days=1))
    assert sync.may_hold_offline(day, day + timedelta(days=1), day + timedelta(days=1))
