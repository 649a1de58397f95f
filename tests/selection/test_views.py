"""The balanced-invitations page: draw, see balance and chances, exclude, confirm; infeasible in words."""

import dataclasses
import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from forums.balance.rules import Quota
from forums.selection import draw as draw_module
from forums.selection.solver import SelectionRequest, select_panel
from models import AuditEntry, Participant, Registration, RegistrationStatus, db
from tests.selection.test_draw import pool_of, save_policy  # noqa: F401 (fixture)

SHOWN = re.compile(r'name="shown" type="hidden" value="([0-9,]+)"|type="hidden" name="shown" value="([0-9,]+)"')
CONFIRM_ACTION = re.compile(r'<form method="post" action="([^"]+/selection/confirm[^"]*)"')


@pytest.fixture
def staff(create_user, login):
    return login(create_user("organiser"))


def page_url(forum_session, **args) -> str:
    return f"/staff/sessions/{forum_session.id}/selection?" + urlencode(args, doseq=True)


def shown_ids(html: str) -> set[int]:
    match = re.search(r'id="shown" name="shown" type="hidden" value="([0-9,]+)"', html)
    assert match, "the confirm form carries the shown panel"
    return {int(pid) for pid in match[1].split(",")}


def confirm_url(html: str) -> str:
    match = CONFIRM_ACTION.search(html)
    assert match
    return match[1].replace("&amp;", "&")


def invited_ids(forum_session) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Registration.participant_id).where(
        Registration.session_id == forum_session.id, Registration.status == RegistrationStatus.invited)))


def names(ids) -> list[str]:
    return list(db.session.scalars(sa.select(Participant.name).where(Participant.id.in_(list(ids)))))


def test_the_page_offers_a_random_seed_and_the_capacity_and_shows_nobody(staff, create_session, pool_of):
    forum_session = create_session(capacity=14)
    waitlist = pool_of(3, "waitlisted", forum_session)
    html = staff.get(page_url(forum_session)).get_data(as_text=True)
    assert 'name="size" type="number" value="14"' in html or 'value="14"' in html
    assert re.search(r'name="seed" type="number" value="\d+"', html)
    assert "3 people are on the waitlist" in html
    assert not any(name in html for name in names(waitlist))
    session_page = staff.get(f"/sessions/{forum_session.id}").get_data(as_text=True)
    assert f"/staff/sessions/{forum_session.id}/selection" in session_page


def test_a_draw_shows_the_panel_its_balance_and_everyones_chance_and_is_audited(staff, create_session, pool_of):
    forum_session = create_session()
    pool = pool_of(12, "waitlisted", forum_session)
    save_policy(forum_session, Quota("group", "uto", min_count=2, max_count=2))
    response = staff.get(page_url(forum_session, pool="waitlist", size=6, seed=77, algorithm="maximin"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    panel = shown_ids(html)
    assert len(panel) == 6 and panel <= set(pool)
    assert all(name in html for name in names(pool))          # everyone's chance is listed
    assert "Seed 77" in html and "Smallest chance" in html
    assert "United Tajik Opposition" in html and "within the policy" in html
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "selection.run")).one()
    assert entry.object_id == forum_session.id and "seed=77 size=6" in entry.detail
    again = staff.get(page_url(forum_session, pool="waitlist", size=6, seed=77, algorithm="maximin"))
    assert shown_ids(again.get_data(as_text=True)) == panel


def test_excluded_people_are_left_out_and_confirm_invites_exactly_the_panel_shown(staff, create_session, pool_of):
    forum_session = create_session()
    kept = pool_of(1, "invited", forum_session)
    pool = pool_of(8, group="uto") + pool_of(8, group="government")
    out = pool[0]
    html = staff.get(page_url(forum_session, pool="register", q="Pool person", size=5, seed=4,
                              exclude=[out])).get_data(as_text=True)
    panel = shown_ids(html)
    assert out not in panel and set(kept) <= panel and len(panel) == 5
    response = staff.post(confirm_url(html), data={"shown": ",".join(map(str, sorted(panel)))})
    assert response.status_code == 302 and "/registrations" in response.headers["Location"]
    assert invited_ids(forum_session) == panel
    assert db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "selection.confirm")).one()


def test_a_blank_seed_gets_a_random_one_that_confirm_reuses(staff, create_session, pool_of):
    forum_session = create_session()
    pool_of(6, "waitlisted", forum_session)
    html = staff.get(page_url(forum_session, pool="waitlist", size=3, seed="")).get_data(as_text=True)
    panel = shown_ids(html)
    assert re.search(r"seed=\d+", confirm_url(html))
    staff.post(confirm_url(html), data={"shown": ",".join(map(str, panel))})
    assert invited_ids(forum_session) == panel


def test_confirming_after_the_pool_changed_invites_nobody(staff, create_session, pool_of):
    forum_session = create_session()
    pool_of(6, "waitlisted", forum_session)
    html = staff.get(page_url(forum_session, pool="waitlist", size=3, seed=9)).get_data(as_text=True)
    panel = shown_ids(html)
    pool_of(1, "invited", forum_session)  # someone invited meanwhile is kept: another panel
    response = staff.post(confirm_url(html), data={"shown": ",".join(map(str, panel))}, follow_redirects=True)
    assert "not the one you saw" in response.get_data(as_text=True)
    assert len(invited_ids(forum_session)) == 1


def test_an_impossible_policy_says_which_quotas_conflict_and_what_to_relax(staff, create_session, pool_of):
    forum_session = create_session()
    pool_of(1, "waitlisted", forum_session, group="uto")
    pool_of(6, "waitlisted", forum_session, group="government")
    save_policy(forum_session, Quota("group", "uto", min_count=3))
    response = staff.get(page_url(forum_session, pool="waitlist", size=4, seed=1))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "United Tajik Opposition (Group): at least 3 people" in html
    assert "lower the minimum of United Tajik Opposition (Group) from 3 to 1" in html
    assert 'name="shown"' not in html


def test_invalid_parameters_are_shown_on_the_form(staff, create_session):
    forum_session = create_session()
    response = staff.get(page_url(forum_session, pool="waitlist", size=0, seed=1))
    assert response.status_code == 422


def test_only_staff_reach_the_page(client, create_user, login, create_session):
    forum_session = create_session()
    assert "/login" in client.get(page_url(forum_session)).headers["Location"]
    login(create_user("facilitator"))
    assert client.get(page_url(forum_session)).status_code == 403
    assert client.post(f"/staff/sessions/{forum_session.id}/selection/confirm").status_code == 403


def test_the_decision_comes_first_and_the_chances_behind_a_disclosure(staff, create_session, pool_of):
    """Issue 20: panel, balance and the confirm button first; the long table of chances in a closed <details>."""
    forum_session = create_session()
    pool_of(12, "waitlisted", forum_session)
    html = staff.get(page_url(forum_session, pool="waitlist", size=6, seed=77)).get_data(as_text=True)
    panel, balance, confirm = html.index('id="panel-title"'), html.index('id="balance-title"'), \
        html.index('form="confirm-form"')
    chances = html.index('<details class="chances">')
    assert panel < balance < confirm < chances
    assert '<details class="chances" open' not in html and 'id="confirm-form"' in html


def test_the_page_says_how_long_a_draw_can_take_and_the_config_sets_it(app, staff, create_session):
    forum_session = create_session()
    html = staff.get(page_url(forum_session)).get_data(as_text=True)
    assert "Drawing can take up to 20 s" in html
    app.config["SELECTION_TIME_LIMIT"] = 7
    html = staff.get(page_url(forum_session)).get_data(as_text=True)
    assert "Drawing can take up to 7 s" in html and 'name="time_limit"' in html


def test_a_search_the_time_limit_stopped_shows_its_gap_and_confirm_invites_the_panel_shown(
        staff, create_session, pool_of, monkeypatch):
    def stopped_at_once(request: SelectionRequest):
        # What a time limit does on a busy machine, made repeatable: no step allowed on the first search.
        return select_panel(request if request.max_steps is not None else dataclasses.replace(request, max_steps=0))

    monkeypatch.setattr(draw_module, "select_panel", stopped_at_once)
    forum_session = create_session()
    pool_of(6, "waitlisted", forum_session, group="uto")
    pool_of(6, "waitlisted", forum_session, group="government")
    save_policy(forum_session, Quota("group", "uto", min_count=2, max_count=3))
    html = staff.get(page_url(forum_session, pool="waitlist", size=5, seed=3, time_limit=10)).get_data(as_text=True)
    assert "The search stopped at its time limit of 10 s." in html
    assert "no distribution can give everyone more than" in html
    assert "time_limit=30" in html and "Search again for up to 30 s" in html
    panel = shown_ids(html)
    assert "steps=0" in confirm_url(html)
    staff.post(confirm_url(html), data={"shown": ",".join(map(str, sorted(panel)))})
    assert invited_ids(forum_session) == panel
