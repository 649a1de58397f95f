"""The list of speakers' pure rules: ordering with reasons, budgets, the floor report. No app needed."""

from datetime import UTC, datetime, timedelta

import pytest

from forums.balance.rules import CategorySpec, DimensionSpec
from forums.floor.rules import (
    KINDS,
    REASONS,
    Budget,
    FloorState,
    Policy,
    Request,
    SpeechRecord,
    budget_lines,
    clock_text,
    floor_report,
    floor_state,
    is_over,
    order_queue,
    person_totals,
    spoken_seconds,
)

T0 = datetime(2036, 12, 3, 5, 0, tzinfo=UTC)


def ask(request_id, minute, group="government", kind="contribution", speaker=None, moved=None, **more):
    """A request made ``minute`` minutes after T0 by someone of ``group``."""
    return Request(request_id, kind, T0 + timedelta(minutes=minute), {"group": group, **more},
                   speaker if speaker is not None else request_id, moved)


def order(requests, policy=None, state=None):
    positions = order_queue(requests, policy or Policy(), state or FloorState())
    return [(position.request_id, position.reason, position.category) for position in positions]


def test_first_come_first_served_orders_by_the_time_of_the_request():
    assert order([ask(1, 5), ask(2, 1), ask(3, 3)]) == [(2, "asked_first", None), (3, "asked_first", None),
                                                        (1, "asked_first", None)]


def test_points_of_order_then_interposed_questions_go_ahead_of_the_queue_and_moves_ahead_of_everything():
    requests = [ask(1, 1), ask(2, 2, kind="interposed_question"), ask(3, 3, kind="point_of_order"),
                ask(4, 4, moved=-1), ask(5, 0, moved=0)]
    assert [(r, reason) for r, reason, _c in order(requests)] == [
        (4, "moved"), (5, "moved"), (3, "point_of_order"), (2, "interposed_question"), (1, "asked_first")]


def test_first_time_speakers_come_before_those_who_spoke_and_unknown_speakers_count_as_having_spoken():
    unknown = Request(3, "contribution", T0 + timedelta(minutes=3), {}, None)
    requests = [ask(1, 1, speaker=10), ask(2, 2, speaker=20), unknown]
    result = order(requests, Policy("first_time"), FloorState(heard=frozenset({10})))
    assert result == [(2, "first_time", None), (1, "spoke_before", None), (3, "speaker_unknown", None)]


def test_balance_takes_the_category_furthest_below_its_share_by_time_against_attendance():
    # the room: 5 government, 5 minorities; government spoke 10 minutes, minorities 1
    state = FloorState(spoken={"government": 600, "minorities": 60}, present={"government": 5, "minorities": 5},
                       mean_speech_seconds=120)
    requests = [ask(1, 1, "government"), ask(2, 2, "government"), ask(3, 3, "minorities")]
    result = order(requests, Policy("balance", "group"), state)
    assert result[0] == (3, "furthest_below_share", "minorities")
    assert [r for r, _reason, _c in result] == [3, 1, 2]


def test_balance_credits_each_pick_with_an_expected_speech_so_the_queue_interleaves():
    state = FloorState(present={"government": 1, "uto": 1})
    requests = [ask(1, 1, "government"), ask(2, 2, "government"), ask(3, 3, "uto"), ask(4, 4, "uto")]
    assert [r for r, _reason, _c in order(requests, Policy("balance", "group"), state)] == [1, 3, 2, 4]


def test_balance_puts_categories_not_counted_after_those_below_their_share():
    state = FloorState(spoken={"government": 300}, present={"government": 2, "minorities": 2})
    requests = [ask(1, 1, "international"), ask(2, 2, "minorities")]
    assert order(requests, Policy("balance", "group"), state) == [
        (2, "furthest_below_share", "minorities"), (1, "not_counted", None)]


def test_alternation_takes_turns_in_the_places_the_two_camps_hold_and_others_keep_theirs():
    requests = [ask(1, 1, "government"), ask(2, 2, "government"), ask(3, 3, "minorities"), ask(4, 4, "uto")]
    result = order(requests, Policy("alternate", "group", ("government", "uto")),
                   FloorState(last_category="government"))
    assert result == [(4, "alternation", "uto"), (1, "alternation", "government"), (3, "asked_first", None),
                      (2, "alternation_none_waiting", "uto")]


def test_alternation_needs_two_different_categories():
    with pytest.raises(ValueError):
        Policy("alternate", "group", ("uto", "uto"))
    with pytest.raises(ValueError):
        Policy("loudest_first")


def test_every_kind_and_reason_is_known():
    assert {"point_of_order", "interposed_question", "reply", "pro", "contra", "contribution"} == set(KINDS)
    assert len(set(REASONS)) == len(REASONS)


def test_spoken_seconds_sum_the_stretches_and_a_running_one_counts_to_now():
    stretches = [(T0, T0 + timedelta(seconds=90)), (T0 + timedelta(seconds=200), None)]
    assert spoken_seconds(stretches, T0 + timedelta(seconds=230)) == 120


def test_a_speech_over_its_time_is_over_and_no_limit_is_never_over():
    assert is_over(181, 180) and not is_over(180, 180) and not is_over(10_000, 0)


def test_budgets_show_initial_added_used_and_left_and_go_negative_instead_of_cutting():
    lines = budget_lines([Budget("government", 300, 60), Budget("uto", 300)], {"government": 400, "uto": 500})
    assert [(line.left, line.over) for line in lines] == [(-40, True), (-200, True)]
    assert budget_lines([Budget("uto", 600)], {})[0].left == 600


GROUP = DimensionSpec("group", (CategorySpec("government"), CategorySpec("uto"), CategorySpec("minorities"),
                                CategorySpec("international", counts_toward_balance=False)))


def record(group, asked, started, seconds, speaker=None):
    return SpeechRecord("contribution", T0 + timedelta(seconds=asked), {"group": group},
                        None if started is None else T0 + timedelta(seconds=started), seconds, speaker)


def test_the_report_compares_time_share_with_attendance_share_and_names_who_was_never_heard():
    present = {("group", "government"): 2, ("group", "uto"): 1, ("group", "minorities"): 1,
               ("group", "international"): 3}
    records = [record("government", 0, 10, 300, 1), record("uto", 0, 400, 100, 2),
               record("international", 0, 600, 50, 3), record("minorities", 30, None, 0, 4)]
    (dimension,) = floor_report([GROUP], present, records)
    lines = {line.key: line for line in dimension.categories}
    assert dimension.counted_present == 4 and dimension.counted_seconds == 400
    assert lines["government"].time_share == 0.75 and lines["government"].attendance_share == 0.5
    assert lines["uto"].mean_wait == 400 and lines["minorities"].mean_wait is None
    assert lines["minorities"].requests == 1 and lines["minorities"].speeches == 0
    assert dimension.never_spoke == ("minorities",)
    assert lines["international"].time_share == 0 and not lines["international"].never_spoke
    # sqrt(0.5 * ((75-50)^2 + (25-25)^2 + (0-25)^2)) = 25 percentage points
    assert dimension.gallagher == pytest.approx(25.0)


def test_the_index_is_none_before_anyone_counted_spoke():
    (dimension,) = floor_report([GROUP], {("group", "uto"): 3}, [])
    assert dimension.gallagher is None and dimension.never_spoke == ("uto",)


def test_person_totals_add_up_speeches_per_speaker_and_skip_those_not_recorded():
    records = [record("uto", 0, 1, 60, 7), record("uto", 0, 100, 30, 7), record("uto", 0, 200, 500, None),
               record("government", 0, 300, 90, 8)]
    assert [(t.speaker, t.speeches, t.seconds) for t in person_totals(records)] == [(7, 2, 90), (8, 1, 90)]


def test_clock_text():
    assert [clock_text(s) for s in (0, 59.9, 61, 3725, -5)] == ["0:00", "0:59", "1:01", "1:02:05", "-0:05"]


def test_the_floor_before_the_queue_is_derived_from_the_records():
    records = [record("government", 0, 10, 300, 1), record("uto", 5, 400, 100, 2),
               record("government", 6, 600, 50, 1),
               SpeechRecord("contribution", T0, {"group": "uto"}, T0 + timedelta(seconds=700), 30, 3, on_floor=True),
               record("minorities", 30, None, 0, 4)]
    state = floor_state(records, "group", ("government", "uto"), {"government": 2, "uto": 1})
    assert state.spoken == {"government": 350, "uto": 130}
    assert state.heard == {1, 2, 3} and state.present == {"government": 2, "uto": 1}
    # the latest speech given the floor is the running one (uto); the running one is not yet a finished length
    assert state.last_category == "uto" and state.mean_speech_seconds == pytest.approx(150)
    assert floor_state([], "group", ("government", "uto"), {}) == FloorState()
