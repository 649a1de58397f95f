"""The pure rules of concerns, without an app: stages and transitions, support across constituencies,
anonymity, per-organisation limits."""

import pytest

from forums.concerns.anonymity import asks_for_agreement, shows_submitter
from forums.concerns.limits import limit_reached, organisation_key
from forums.concerns.support import support
from models.concerns import (
    BALANCE_STAGES,
    ISSUE_STAGES,
    PROGRESS,
    STAGE_CONCERNS,
    Concern,
    ConcernStage,
    concern_move_allowed,
    issue_move_allowed,
)

S = ConcernStage


def test_each_balance_stage_counts_the_concerns_that_got_at_least_that_far():
    assert BALANCE_STAGES[0] == "submitted" and STAGE_CONCERNS["submitted"] == frozenset(ConcernStage)
    for wider, narrower in zip(BALANCE_STAGES, BALANCE_STAGES[1:], strict=False):
        assert STAGE_CONCERNS[narrower] < STAGE_CONCERNS[wider]
    assert S.declined not in STAGE_CONCERNS["accepted"]
    assert STAGE_CONCERNS["followed_up"] == {S.followed_up}


def test_moderation_and_grouping_moves():
    assert concern_move_allowed(S.submitted, S.accepted) and concern_move_allowed(S.submitted, S.declined)
    assert concern_move_allowed(S.declined, S.accepted)  # reconsidered
    assert not concern_move_allowed(S.submitted, S.on_agenda)  # not past moderation and grouping
    assert not concern_move_allowed(S.declined, S.grouped)


def test_an_issue_moves_one_stage_at_a_time():
    assert ISSUE_STAGES == PROGRESS[2:]
    assert issue_move_allowed(S.grouped, S.on_agenda) and issue_move_allowed(S.on_agenda, S.grouped)
    assert not issue_move_allowed(S.grouped, S.presented)
    assert not issue_move_allowed(S.grouped, S.grouped)


def test_support_across_constituencies_favours_breadth_over_numbers():
    members = {"government": 10, "business": 40, "minorities": 10}
    narrow = support(30, {"business": 30}, members)
    broad = support(9, {"government": 3, "business": 3, "minorities": 3}, members)
    assert narrow.raw > broad.raw
    assert broad.across > narrow.across
    assert narrow.silent_groups == ("government", "minorities")


def test_support_smooths_shares_and_leaves_out_groups_without_members():
    result = support(1, {"business": 1}, {"business": 2, "media": 0})
    assert [group.group for group in result.groups] == ["business"]
    assert result.across == pytest.approx((1 + 1) / (2 + 2))
    assert support(0, {}, {}).across == 1.0
    with pytest.raises(ValueError):
        support(-1, {}, {})


@pytest.mark.parametrize(("setting", "audience", "agreed", "shown"), [
    ("attributed", "public", True, True),
    ("attributed", "official", False, False),
    ("attributed", "staff", False, True),
    ("staff_only", "official", True, False),
    ("staff_only", "staff", False, True),
    ("anonymous", "staff", True, False),
    ("anonymous", "public", True, False),
    ("anonymous", "self", False, True),
])
def test_who_may_know_who_raised_a_concern(setting, audience, agreed, shown):
    assert shows_submitter(setting, audience, agreed) is shown


def test_only_an_attributed_forum_asks_for_agreement():
    assert asks_for_agreement("attributed") and not asks_for_agreement("staff_only")
    with pytest.raises(ValueError):
        shows_submitter("public", "staff", True)


def test_the_organisation_limit():
    counts = {organisation_key("Chamber of  Commerce "): 2}
    assert limit_reached("chamber of commerce", counts, 2)
    assert not limit_reached("chamber of commerce", counts, 3)
    assert not limit_reached("Other", counts, 2)
    assert not limit_reached("", {"": 99}, 1)  # individuals are never limited
    assert not limit_reached("chamber of commerce", counts, None)


def test_a_translation_is_shown_only_once_it_is_done():
    concern = Concern(language="ru", text="Вода", translations={"en": {"text": "Water", "done": True},
                                                                "tg": {"text": "Об", "done": False}})
    shown = (concern.translation("en"), concern.translation("tg"), concern.translation("ru"))
    assert shown == ("Water", "Вода", "Вода")
