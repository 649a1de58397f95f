"""Balance defaults that do not mislead (issue 14, item 10): the stage the dashboard opens on, the door's panel
while the room fills, presets that keep what was typed, a save that says so, every problem of a policy at once."""

import re

import pytest
from bs4 import BeautifulSoup

from forums.balance import policies
from forums.balance.rules import Quota
from forums.checkin import door
from models import BalancePolicy, Registration, RegistrationStatus, db
from models import Quota as QuotaRow
from tests.conftest import category, sign_in_without_password


@pytest.fixture
def organiser(client, create_user):
    return sign_in_without_password(client, create_user("organiser"))


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(html) -> str:
    return " ".join(html.get_text(" ").split())


def add(forum_session, participant, status):
    db.session.add(Registration(forum_session=forum_session, participant=participant,
                                status=RegistrationStatus(status)))
    db.session.commit()


def opened_stage(client, forum_session) -> str:
    html = soup(client.get(f"/sessions/{forum_session.id}/balance"))
    return html.select_one("nav.stages [aria-current=page]").get_text(strip=True)


def test_the_dashboard_opens_on_the_furthest_stage_that_has_people(organiser, create_session, create_participant):
    forum_session = create_session()
    assert opened_stage(organiser, forum_session) == "Invited"  # nobody yet: where invitations start
    add(forum_session, create_participant("Invited One"), "invited")
    assert opened_stage(organiser, forum_session) == "Invited"
    add(forum_session, create_participant("Confirmed One"), "confirmed")
    assert opened_stage(organiser, forum_session) == "Confirmed"
    add(forum_session, create_participant("Arrived One"), "attended")
    assert opened_stage(organiser, forum_session) == "Attended"
    # Any stage can still be asked for.
    asked = soup(organiser.get(f"/sessions/{forum_session.id}/balance?stage=registered"))
    assert asked.select_one("nav.stages [aria-current=page]").get_text(strip=True) == "Registered"


def test_nobody_counted_is_never_a_green_verdict(organiser, create_session):
    forum_session = create_session()
    quotas = [Quota("group", "government", max_share=0.5)]
    assert policies.save_policy(forum_session.forum, quotas, policies.load_catalogue()) == []
    db.session.commit()
    for url in (f"/sessions/{forum_session.id}/balance", f"/sessions/{forum_session.id}/balance?stage=attended"):
        html = soup(organiser.get(url))
        text = words(html)
        assert "Nobody is counted at this stage yet." in text and "Group: nobody counted yet" in text
        assert not html.select("h1 ~ p .status-ok, h2 .status-ok"), "a green verdict over nobody"
    overview = soup(organiser.get(f"/forums/{forum_session.forum_id}/balance"))
    assert not overview.select("table.forum-sessions .status-ok")
    assert "nobody counted yet" in words(overview)


@pytest.fixture
def filling_room(create_session, create_participant):
    """Ten people registered where the policy allows government at most half; two officials come first."""
    forum_session = create_session()
    government = category("group", "government")
    policy = BalancePolicy(session_id=forum_session.id)
    policy.quotas.append(QuotaRow(dimension_id=government.dimension_id, category_id=government.id, max_share=0.5))
    db.session.add(policy)
    db.session.commit()
    officials = [create_participant(f"Official {n}", group="government") for n in range(2)]
    others = [create_participant(f"Teacher {n}", group="academia") for n in range(8)]
    registrations = {}
    for person in officials + others:
        registration = Registration(forum_session=forum_session, participant=person,
                                    status=RegistrationStatus.registered)
        db.session.add(registration)
        registrations[person.name] = registration
    db.session.commit()
    return forum_session, registrations


def panel(client, forum_session):
    return soup(client.get(f"/sessions/{forum_session.id}/checkin/panel"))


def test_the_door_panel_does_not_cry_out_of_balance_at_the_first_arrival(organiser, filling_room):
    forum_session, registrations = filling_room
    door.check_in_once(forum_session.id, registrations["Official 0"].id)
    db.session.commit()
    first = panel(organiser, forum_session)
    text = words(first)
    assert "1 of 10 expected have arrived." in text and "9 people are still expected" in text
    assert not first.select(".flash-warning"), "an alarm at the first arrival"
    assert "Group: outside the policy" in text  # said, in words, without the alarm
    assert not first.select(".status-outside")

    # Once nobody else is expected, a room outside the policy is said with alarm.
    for name in [f"Teacher {n}" for n in range(8)]:
        registrations[name].status = RegistrationStatus.cancelled
    door.check_in_once(forum_session.id, registrations["Official 1"].id)
    db.session.commit()
    full = panel(organiser, forum_session)
    assert "2 of 2 expected have arrived." in words(full) and "still expected" not in words(full)
    assert [words(p) for p in full.select(".flash-warning")] == ["Group: outside the policy"]


# The policy editor ------------------------------------------------------------------------------------

def cell(html, name) -> str:
    return html.select_one(f"input[name={name}]").get("value", "")


def test_a_preset_keeps_what_was_typed_in_its_table(organiser, create_session):
    forum_session = create_session()
    response = organiser.post(f"/sessions/{forum_session.id}/policy", data={
        "q-group-government-max_share": "30", "preset": "group:broad_inclusion"})
    assert response.status_code == 200
    html = soup(response)
    assert cell(html, "q-group-government-max_share") == "30"  # typed, and the preset has no maximum
    assert cell(html, "q-group-government-min_count") == "1" and cell(html, "q-group-uto-min_count") == "1"
    assert "1 value you typed there is kept" in words(html)
    assert policies.session_policy(forum_session.id).source == "none"


def test_a_preset_asks_before_it_changes_a_typed_value(organiser, create_session):
    forum_session = create_session()
    typed = {"q-group-uto-min_count": "3", "q-group-media-max_share": "20"}
    asked = organiser.post(f"/sessions/{forum_session.id}/policy", data={**typed, "preset": "group:broad_inclusion"})
    html = soup(asked)
    assert asked.status_code == 200
    assert "The preset would change 1 value you typed in Group" in words(html)
    assert cell(html, "q-group-uto-min_count") == "3" and cell(html, "q-group-government-min_count") == ""
    buttons = {button["value"] for button in html.select("button[name=preset]")}
    assert {"group:broad_inclusion:keep", "group:broad_inclusion:replace"} <= buttons

    kept = soup(organiser.post(f"/sessions/{forum_session.id}/policy",
                               data={**typed, "preset": "group:broad_inclusion:keep"}))
    assert cell(kept, "q-group-uto-min_count") == "3" and cell(kept, "q-group-government-min_count") == "1"
    assert cell(kept, "q-group-media-max_share") == "20"
    replaced = soup(organiser.post(f"/sessions/{forum_session.id}/policy",
                                   data={**typed, "preset": "group:broad_inclusion:replace"}))
    assert cell(replaced, "q-group-uto-min_count") == "1" and cell(replaced, "q-group-media-max_share") == "20"
    assert policies.session_policy(forum_session.id).source == "none"
    assert organiser.post(f"/sessions/{forum_session.id}/policy",
                          data={"preset": "group:broad_inclusion:maybe"}).status_code == 400


def test_saving_a_policy_says_it_is_saved(organiser, create_session):
    forum_session = create_session()
    saved = organiser.post(f"/sessions/{forum_session.id}/policy",
                           data={"q-group-uto-min_count": "1", "save": "1"}, follow_redirects=True)
    assert "The policy is saved: 1 category has limits." in words(soup(saved))
    forum = organiser.post(f"/forums/{forum_session.forum_id}/policy",
                           data={"q-gender-woman-min_count": "2", "q-gender-man-min_count": "2", "save": "1"},
                           follow_redirects=True)
    assert "The policy is saved: 2 categories have limits." in words(soup(forum))
    dropped = organiser.post(f"/sessions/{forum_session.id}/policy/remove", follow_redirects=True)
    assert "This session follows the forum's policy again." in words(soup(dropped))


def test_a_refused_policy_shows_every_problem_at_once(organiser, create_session):
    forum_session = create_session()
    response = organiser.post(f"/sessions/{forum_session.id}/policy", data={
        "q-group-uto-min_count": "many", "q-gender-man-min_share": "80", "q-gender-man-max_share": "60",
        "save": "1"})
    assert response.status_code == 422
    text = words(soup(response))
    assert "Not a valid integer value." in text
    assert re.search(r"the minimum \(80%\) is above the maximum \(60%\)", text)
    assert policies.session_policy(forum_session.id).source == "none"
