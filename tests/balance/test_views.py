"""The balance dashboard, the policy editors and the forum overview, as staff and facilitators see them."""

import re

import pytest
from bs4 import BeautifulSoup

from forums.balance import policies
from forums.balance.rules import Quota
from forums.balance.views import percent_to_share, share_to_percent
from forums.people.seed import DEFAULT_DIMENSIONS
from models import Registration, RegistrationStatus, SessionFacilitator, db


@pytest.fixture
def room(create_session, create_participant):
    """A session with 4 government and 1 UTO registered, 1 woman among them, and a forum policy."""
    forum_session = create_session(capacity=20)
    for number, group in enumerate(["government"] * 4 + ["uto"]):
        participant = create_participant(f"Person {number}", group=group, gender="woman" if number == 0 else "man")
        status = RegistrationStatus.attended if number < 2 else RegistrationStatus.registered
        db.session.add(Registration(forum_session=forum_session, participant=participant, status=status))
    quotas = [Quota("group", "government", max_share=0.5, target_share=0.25),
              Quota("group", "minorities", min_count=2)]
    assert policies.save_policy(forum_session.forum, quotas, policies.load_catalogue()) == []
    db.session.commit()
    return forum_session


@pytest.fixture
def organiser(create_user, login):
    return login(create_user("organiser"))


def page(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_dashboard_draws_each_dimension_and_says_what_to_do(room, organiser):
    response = organiser.get(f"/sessions/{room.id}/balance?stage=registered")
    assert response.status_code == 200
    html = page(response)
    text = " ".join(html.get_text(" ").split())
    assert len(html.select("svg.balance-chart")) == len(DEFAULT_DIMENSIONS)
    assert html.select("svg.balance-chart rect.band") and html.select("svg.balance-chart line.target")
    assert "above the maximum" in text and "below the minimum" in text and "within the policy" in text
    assert "Add 2 people from National minorities" in text
    assert "Gallagher index" in text
    # Content Security Policy: no inline styles or scripts
    assert not html.select("[style]") and not html.select("script")
    government = next(row for row in html.select("table tr") if row.th and row.th.get_text(strip=True) == "Government")
    assert [cell.get_text(strip=True) for cell in government.select("td")][:3] == ["4", "80%", "25%"]


def test_the_stage_switcher_is_plain_links(room, organiser):
    html = page(organiser.get(f"/sessions/{room.id}/balance?stage=attended"))
    switcher = html.select_one("nav.stages")
    assert switcher.select_one("[aria-current=page]").get_text(strip=True) == "Attended"
    links = {a.get_text(strip=True): a["href"] for a in switcher.select("a")}
    assert set(links) == {"Invited", "Registered", "Confirmed"}
    assert links["Invited"].endswith("stage=invited")
    assert "2 registrations counted" in html.get_text(" ")


def test_category_names_follow_the_readers_language(room, organiser):
    text = page(organiser.get(f"/sessions/{room.id}/balance?lang=ru")).get_text(" ")
    assert "Национальные меньшинства" in text and "Правительство" in text


def test_who_may_see_the_dashboard(client, room, create_session, create_user, login):
    anonymous = client.get(f"/sessions/{room.id}/balance")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    facilitator = create_user("facilitator")
    other = create_session(title="Elsewhere")
    db.session.add(SessionFacilitator(session_id=other.id, user_id=facilitator.id))
    db.session.commit()
    hidden = create_session(title="Closed round table", visibility="invitation")
    login(facilitator)
    assert client.get(f"/sessions/{hidden.id}/balance").status_code == 404  # may not know it exists
    assert client.get(f"/sessions/{room.id}/balance").status_code == 403  # public, but not theirs
    assert client.get(f"/sessions/{other.id}/balance").status_code == 200
    assert client.get(f"/sessions/{other.id}/policy").status_code == 403  # policies are for staff: role first
    assert client.get(f"/forums/{other.forum_id}/balance").status_code == 403


def test_the_editor_shows_the_policy_in_force_with_shares_as_percentages(room, organiser):
    html = page(organiser.get(f"/sessions/{room.id}/policy"))
    assert html.select_one("input[name=q-group-government-max_share]")["value"] == "50"
    assert html.select_one("input[name=q-group-minorities-min_count]")["value"] == "2"
    assert "follows the forum" in html.get_text(" ")
    assert not html.select("input[name^=q-group-international]")  # observers have no limits


def test_saving_from_the_editor_gives_the_session_its_own_policy(room, organiser):
    response = organiser.post(f"/sessions/{room.id}/policy", data={
        "q-group-uto-min_count": "1", "q-gender-woman-min_share": "33,3333", "save": "1",
    })
    assert response.status_code == 302
    policy = policies.session_policy(room.id)
    assert policy.source == "session"
    assert policy.quotas == (Quota("group", "uto", min_count=1), Quota("gender", "woman", min_share=1 / 3))


def test_an_impossible_policy_is_refused_with_the_reason(room, organiser):
    response = organiser.post(f"/sessions/{room.id}/policy", data={
        "q-group-uto-min_count": "15", "q-group-government-min_count": "10",
        "q-gender-man-min_share": "80", "q-gender-man-max_share": "60", "save": "1",
    })
    assert response.status_code == 422
    text = " ".join(page(response).get_text(" ").split())
    assert "add up to 25 people, more than the capacity of 20" in text
    assert "the minimum (80%) is above the maximum (60%)" in text
    assert policies.session_policy(room.id).source == "forum"


def test_a_preset_fills_one_table_without_saving(room, organiser):
    response = organiser.post(f"/sessions/{room.id}/policy", data={
        "q-group-uto-min_count": "3", "preset": "region:equal_shares",
    })
    assert response.status_code == 200
    html = page(response)
    targets = [html.select_one(f"input[name=q-region-{key}-target_share]")["value"]
               for key in ("dushanbe", "hissar")]
    assert targets == ["14.2857", "14.2857"]
    assert html.select_one("input[name=q-group-uto-min_count]")["value"] == "3"  # other tables keep their edits
    assert policies.session_policy(room.id).source == "forum"

    form = {field["name"]: field.get("value", "") for field in html.select("form.policy-editor input")}
    saved = organiser.post(f"/sessions/{room.id}/policy", data={**form, "save": "1"})
    assert saved.status_code == 302  # seven shares of 14.2857% are read as sevenths: 100%, not more


def test_dropping_the_override_restores_the_forums_policy(room, organiser):
    organiser.post(f"/sessions/{room.id}/policy", data={"q-group-uto-min_count": "1", "save": "1"})
    assert policies.session_policy(room.id).source == "session"
    assert organiser.post(f"/sessions/{room.id}/policy/remove").status_code == 302
    assert policies.session_policy(room.id).source == "forum"


def test_the_forum_policy_editor_saves(room, organiser):
    response = organiser.post(f"/forums/{room.forum_id}/policy", data={
        "q-gender-woman-min_count": "2", "preset": "",  "save": "1"})
    assert response.status_code == 302
    assert policies.forum_policy(room.forum_id).quotas == (Quota("gender", "woman", min_count=2),)


def test_the_forum_page_lists_sessions_and_who_never_came(room, organiser):
    response = organiser.get(f"/forums/{room.forum_id}/balance")
    assert response.status_code == 200
    text = " ".join(page(response).get_text(" ").split())
    assert room.title in text
    assert "outside the policy" in text  # 2 government of 2 attended is above half
    never = page(response).select_one("ul.never-present").get_text(" ")
    assert "National minorities" in never and "Government" not in never
    assert re.search(r"Government 100%", text)


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF protection on for this test's app (it must come before ``client`` in the arguments)."""
    app_config["WTF_CSRF_ENABLED"] = True


def csrf_token(response):
    return page(response).select_one("input[name=csrf_token]")["value"]


def test_policy_forms_need_the_csrf_token(csrf_on, client, create_user, create_session):
    from tests.conftest import TEST_PASSWORD

    user, forum_session = create_user("organiser"), create_session()
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    editor = client.get(f"/sessions/{forum_session.id}/policy")
    data = {"q-group-uto-min_count": "1", "save": "1"}
    assert client.post(f"/sessions/{forum_session.id}/policy", data=data).status_code == 400
    assert client.post(f"/sessions/{forum_session.id}/policy/remove").status_code == 400
    assert policies.session_policy(forum_session.id).source == "none"
    saved = client.post(f"/sessions/{forum_session.id}/policy", data={**data, "csrf_token": csrf_token(editor)})
    assert saved.status_code == 302


def test_shares_round_trip_through_the_editor():
    from decimal import Decimal

    assert share_to_percent(0.3) == "30" and share_to_percent(1 / 3) == "33.3333"
    assert percent_to_share(Decimal("33.3333")) == 1 / 3
    assert percent_to_share(Decimal("12.5")) == 0.125
    assert percent_to_share(Decimal("33.3")) == 0.333  # not a third: a different number was typed


def test_a_facilitator_sees_no_count_that_singles_a_person_out(client, room, create_user, login, organiser):
    """SECURITY.md T23: the dashboard a facilitator reads moves with no single check-in; staff keep the figures."""
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=room.id, user_id=facilitator.id))
    db.session.commit()
    staff_view = page(organiser.get(f"/sessions/{room.id}/balance?stage=attended"))
    assert staff_view.select("table tbody tr"), "staff see the table of counts"
    login(facilitator)
    response = client.get(f"/sessions/{room.id}/balance?stage=attended")
    assert response.status_code == 200
    html = page(response)
    # Two people attended: fewer than k=5, so nothing per category, not even where it stands.
    assert not html.select("table") and not html.select("svg.balance-chart")
    assert "The balance is shown once at least 5 people are present" in html.get_text(" ", strip=True)
