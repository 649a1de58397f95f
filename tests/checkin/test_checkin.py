"""The check-in page: search across scripts, check in once, undo, walk-ins, paper, per-session attendance."""

import re

import pytest
import sqlalchemy as sa

from forums.checkin import door as checkin
from forums.registrations.operations import change_status, register
from models import (
    AuditEntry,
    CheckinRequest,
    Participant,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    db,
)


@pytest.fixture
def enrol(app):
    """``enrol(forum_session, participant, status="confirmed")``: a registration in that status."""
    def _enrol(forum_session, participant, status="confirmed"):
        registration = register(forum_session, participant, RegistrationStatus.registered)
        if status != "registered":
            change_status(registration, RegistrationStatus(status))
        db.session.commit()
        return registration

    return _enrol


@pytest.fixture
def staff(create_user, login):
    """A signed-in organiser."""
    user = create_user("organiser")
    login(user)
    return user


def audit_count(action, object_id=None):
    statement = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == object_id)
    return db.session.scalar(statement)


def followed(client, response):
    """The page a POST redirected to (each request of the test client runs in its own context)."""
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def names_listed(page_html):
    """The names in the check-in list of a page (not those of the live panel or the row template)."""
    listing = page_html.split('id="checkin-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="checkin-name">([^<]*)</td>', listing)


@pytest.mark.parametrize(("typed", "found"), [
    ("rahimova", "Раҳимова Нигора"),
    ("RAHIMOVÁ nig", "Раҳимова Нигора"),
    ("Шарипов", "Sharipov Daler"),
    ("qodir", "Кодиров Фаррух"),
])
def test_search_ignores_case_diacritics_and_script(client, staff, create_session, create_participant, enrol,
                                                   typed, found):
    forum_session = create_session()
    for name in ("Раҳимова Нигора", "Sharipov Daler", "Кодиров Фаррух", "Ivanova Anna"):
        enrol(forum_session, create_participant(name))
    page = client.get(f"/sessions/{forum_session.id}/checkin", query_string={"q": typed}).get_data(as_text=True)
    assert names_listed(page) == [found]


def test_list_shows_the_people_expected_only_sorted_by_name(client, staff, create_session, create_participant, enrol):
    forum_session = create_session()
    for name, status in (("Zoirov Umed", "invited"), ("Alieva Dilnoza", "registered"), ("Боев Саид", "confirmed"),
                         ("Nazarov Ilhom", "waitlisted"), ("Hakimov Rustam", "attended"),
                         ("Declined Person", "declined"), ("Cancelled Person", "cancelled")):
        enrol(forum_session, create_participant(name), status)
    page = client.get(f"/sessions/{forum_session.id}/checkin").get_data(as_text=True)
    # Sorted by the folded name, so Cyrillic and Latin names interleave: Боев sits among the b's.
    assert names_listed(page) == ["Alieva Dilnoza", "Боев Саид", "Hakimov Rustam", "Nazarov Ilhom", "Zoirov Umed"]
    assert "1 of 5 expected have arrived." in page


def test_one_button_checks_in_and_sending_the_form_twice_counts_once(client, staff, create_session,
                                                                      create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant("Раҳимова Нигора"))
    url = f"/sessions/{forum_session.id}/checkin/{registration.id}"
    form = {"request_id": "form-123", "q": "rah"}
    first = client.post(url, data=form)
    assert first.status_code == 302 and first.headers["Location"].endswith("checkin?q=rah")
    first_time = db.session.get(Registration, registration.id, populate_existing=True).checked_in_at
    assert client.post(url, data=form).status_code == 302
    again = db.session.get(Registration, registration.id, populate_existing=True)
    assert again.status is RegistrationStatus.attended and again.checked_in_at == first_time
    assert audit_count("checkin.check_in", registration.id) == 1
    # A second facilitator's tap (a different request) on the same person does not count again either.
    client.post(url, data={"request_id": "other-tap"})
    assert audit_count("checkin.check_in", registration.id) == 1
    assert "Раҳимова Нигора is checked in." in client.get(first.headers["Location"]).get_data(as_text=True)


def test_undo_returns_the_status_before_check_in(client, staff, create_session, create_participant, enrol):
    forum_session = create_session(capacity=1)
    seated = enrol(forum_session, create_participant("Sharipov Daler"), "confirmed")
    waiting = enrol(forum_session, create_participant("Nazarova Zarina"), "registered")
    assert waiting.status is RegistrationStatus.waitlisted
    for registration, before in ((seated, RegistrationStatus.confirmed), (waiting, RegistrationStatus.waitlisted)):
        client.post(f"/sessions/{forum_session.id}/checkin/{registration.id}",
                    data={"request_id": f"r{registration.id}"})
        assert (db.session.get(Registration, registration.id, populate_existing=True).status
                is RegistrationStatus.attended)
        client.post(f"/sessions/{forum_session.id}/checkin/{registration.id}/undo")
        undone = db.session.get(Registration, registration.id, populate_existing=True)
        assert undone.status is before and undone.checked_in_at is None
    assert audit_count("checkin.undo") == 2


def test_a_late_retry_after_an_undo_does_not_check_in_again(app, create_session, create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    checkin.check_in_once(forum_session.id, registration.id, "tap-1")
    checkin.undo_check_in(forum_session.id, registration.id)
    checkin.check_in_once(forum_session.id, registration.id, "tap-1")
    db.session.commit()
    assert registration.status is RegistrationStatus.confirmed
    with pytest.raises(checkin.CheckinError, match="request_reused"):
        checkin.check_in_once(forum_session.id, enrol(forum_session, create_participant("Other Person")).id, "tap-1")


def test_attendance_belongs_to_each_session_of_a_two_day_symposium(client, staff, create_forum, create_session,
                                                                 create_participant, enrol):
    from tests.conftest import dushanbe_time

    symposium = create_forum("Rule of law", kind="symposium")
    day_one = create_session(symposium, "Day one", starts_at=dushanbe_time(day=3))
    day_two = create_session(symposium, "Day two", starts_at=dushanbe_time(day=4))
    person = create_participant("Sharipov Daler")
    first, second = enrol(day_one, person), enrol(day_two, person)
    client.post(f"/sessions/{day_one.id}/checkin/{first.id}", data={"request_id": "d1"})
    assert db.session.get(Registration, first.id, populate_existing=True).status is RegistrationStatus.attended
    untouched = db.session.get(Registration, second.id, populate_existing=True)
    assert untouched.status is RegistrationStatus.confirmed and untouched.checked_in_at is None
    assert checkin.attendance(day_one.id, day_one.capacity).attended == 1
    assert checkin.attendance(day_two.id, day_two.capacity).attended == 0
    # A registration of day two cannot be checked in through day one's page.
    assert client.post(f"/sessions/{day_one.id}/checkin/{second.id}", data={"request_id": "x"}).status_code == 404


def test_facilitators_see_their_sessions_only(client, create_user, login, create_session):
    mine = create_session(visibility="invitation")
    hidden = create_session(visibility="invitation")
    public = create_session(visibility="public")
    assert client.get(f"/sessions/{mine.id}/checkin").status_code == 302  # anonymous: to sign-in
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=mine.id, user_id=facilitator.id))
    db.session.commit()
    login(facilitator)
    assert client.get(f"/sessions/{mine.id}/checkin").status_code == 200
    assert client.get(f"/sessions/{hidden.id}/checkin").status_code == 404
    assert client.get(f"/sessions/{public.id}/checkin").status_code == 403
    assert client.get(f"/sessions/{hidden.id}/checkin/sheet").status_code == 404
    assert client.post(f"/sessions/{hidden.id}/checkin/paper", data={"registration_id": "1"}).status_code == 404
    # Managing facilitators is for staff: role first, 403 whichever session (forums.accounts.permissions).
    assert client.post(f"/sessions/{mine.id}/facilitators", data={"email": facilitator.email}).status_code == 403
    assert client.post(f"/sessions/{hidden.id}/facilitators", data={"email": facilitator.email}).status_code == 403


def test_staff_assign_a_facilitator_on_the_page(client, staff, create_user, create_session):
    forum_session = create_session(visibility="invitation")
    facilitator = create_user("facilitator", email="door@example.org")
    organiser = create_user("organiser", email="boss@example.org")
    client.post(f"/sessions/{forum_session.id}/facilitators", data={"email": "DOOR@example.org"})
    assert db.session.get(SessionFacilitator, (forum_session.id, facilitator.id)) is not None
    page = followed(client, client.post(f"/sessions/{forum_session.id}/facilitators", data={"email": organiser.email}))
    assert "No active facilitator account has this e-mail." in page
    assert "door@example.org" in page
    client.post(f"/sessions/{forum_session.id}/facilitators/{facilitator.id}/remove")
    assert db.session.get(SessionFacilitator, (forum_session.id, facilitator.id), populate_existing=True) is None


def test_walk_in_is_registered_with_categories_and_checked_in_in_one_step(client, staff, create_session):
    forum_session = create_session()
    response = client.post(f"/sessions/{forum_session.id}/checkin/walk-in", data={
        "name": "Гулова Мадина", "organisation": "Women's council", "cat_group": "civil_society",
        "cat_region": "kulyab", "cat_gender": "woman",
    })
    assert response.status_code == 302
    person = db.session.scalars(sa.select(Participant).where(Participant.name == "Гулова Мадина")).one()
    assert person.consent_at is not None
    assert sorted(link.category.key for link in person.categories) == ["civil_society", "kulyab", "woman"]
    registration = db.session.scalars(sa.select(Registration).where(Registration.participant_id == person.id)).one()
    assert registration.session_id == forum_session.id and registration.status is RegistrationStatus.attended
    page = client.get(f"/sessions/{forum_session.id}/checkin", query_string={"q": "gulova"}).get_data(as_text=True)
    assert names_listed(page) == ["Гулова Мадина"]


def test_walk_in_points_out_likely_duplicates_in_either_script(client, staff, create_session, create_participant,
                                                             enrol):
    forum_session = create_session()
    other_session = create_session(title="Elsewhere")
    known = create_participant("Раҳимова Нигора", organisation="Khovar")
    enrol(other_session, known)
    form = {"name": "Rakhimova Nigora", "cat_group": "media", "cat_region": "dushanbe", "cat_gender": "woman"}
    page = client.post(f"/sessions/{forum_session.id}/checkin/walk-in", data=form).get_data(as_text=True)
    assert "Is it one of these people?" in page and "Раҳимова Нигора" in page and "Khovar" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 1
    # The facilitator picks the known person: registered here and checked in, no new register entry.
    client.post(f"/sessions/{forum_session.id}/checkin/participants/{known.id}")
    registration = db.session.scalars(sa.select(Registration).where(
        Registration.session_id == forum_session.id, Registration.participant_id == known.id)).one()
    assert registration.status is RegistrationStatus.attended
    # Or confirms that the walk-in is someone else.
    client.post(f"/sessions/{forum_session.id}/checkin/walk-in", data={**form, "new_person": "yes"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2


def test_walk_in_at_capacity_is_warned_and_still_counted(client, staff, create_session, create_participant, enrol):
    forum_session = create_session(capacity=1)
    enrol(forum_session, create_participant("Sharipov Daler"))
    page = client.get(f"/sessions/{forum_session.id}/checkin").get_data(as_text=True)
    assert "The session is full: a walk-in will be over capacity." in page
    after = followed(client, client.post(f"/sessions/{forum_session.id}/checkin/walk-in",
                                         data={"name": "Odinaev Bakhtiyor"}))
    assert "over its capacity" in after
    assert checkin.attendance(forum_session.id, forum_session.capacity).attended == 1


def test_live_panel_shows_attended_out_of_expected_and_the_attended_balance(client, staff, create_session,
                                                                         create_participant, enrol):
    from models import BalancePolicy, Quota
    from tests.conftest import category

    forum_session = create_session()
    government = category("group", "government")
    policy = BalancePolicy(session_id=forum_session.id)
    policy.quotas.append(Quota(dimension_id=government.dimension_id, category_id=government.id, max_share=0.5))
    db.session.add(policy)
    db.session.commit()
    officials = [enrol(forum_session, create_participant(f"Official {n}", group="government")) for n in range(2)]
    enrol(forum_session, create_participant("Teacher One", group="academia"))
    for registration in officials:
        checkin.check_in_once(forum_session.id, registration.id)
    db.session.commit()
    panel = client.get(f"/sessions/{forum_session.id}/checkin/panel").get_data(as_text=True)
    assert "2 of 3 expected have arrived." in panel and "1 person is still expected" in panel
    text = " ".join(re.sub(r"<[^>]+>", " ", panel).split())
    assert "Group: outside the policy" in text and "above the maximum" in text
    assert 'data-stamp="2/3/3"' in panel


def test_sign_in_sheet_is_sorted_and_shows_affiliation_only_when_staff_ask(client, create_user, login,
                                                                         create_session, create_participant, enrol):
    forum_session = create_session()
    enrol(forum_session, create_participant("Zoirov Umed", organisation="Ministry of Water", group="government"))
    enrol(forum_session, create_participant("Alieva Dilnoza", organisation="Free Press", group="media"))
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    login(facilitator)
    plain = client.get(f"/sessions/{forum_session.id}/checkin/sheet?affiliation=1").get_data(as_text=True)
    assert plain.index("Alieva Dilnoza") < plain.index("Zoirov Umed")
    assert "Signature" in plain and "Ministry of Water" not in plain and "Government" not in plain
    login(create_user("organiser"))
    with_affiliation = client.get(f"/sessions/{forum_session.id}/checkin/sheet?affiliation=1").get_data(as_text=True)
    assert "Ministry of Water" in with_affiliation and "Government" in with_affiliation
    assert audit_count("checkin.sheet", forum_session.id) == 2


def test_paper_entry_marks_many_people_attended_at_once(client, staff, create_session, create_participant, enrol):
    forum_session = create_session()
    other_session = create_session(title="Elsewhere")
    signed = [enrol(forum_session, create_participant(f"Signed {n}")) for n in range(3)]
    absent = enrol(forum_session, create_participant("Absent Person"))
    foreign = enrol(other_session, create_participant("Other Session"))
    page = client.get(f"/sessions/{forum_session.id}/checkin/paper").get_data(as_text=True)
    assert "Signed 0" in page and "Other Session" not in page
    ids = [str(r.id) for r in signed] + [str(foreign.id)]
    response = client.post(f"/sessions/{forum_session.id}/checkin/paper", data={"registration_id": ids})
    assert "3 people marked as attended." in followed(client, response)
    statuses = dict(db.session.execute(sa.select(Registration.id, Registration.status)).all())
    assert all(statuses[r.id] is RegistrationStatus.attended for r in signed)
    assert statuses[absent.id] is RegistrationStatus.confirmed and statuses[foreign.id] is RegistrationStatus.confirmed


def test_page_and_search_cost_the_same_number_of_queries_however_long_the_list(client, staff, create_session,
                                                                            create_participant, enrol,
                                                                            count_queries):
    forum_session = create_session(capacity=200)
    url = f"/sessions/{forum_session.id}/checkin"

    def costs():
        with count_queries() as page:
            assert client.get(url).status_code == 200
        with count_queries() as search:
            assert client.get(url, query_string={"q": "rah"}).status_code == 200
        with count_queries() as api:
            assert client.get(f"/api/v1{url}", query_string={"q": "rah"}).status_code == 200
        return page(), search(), api()

    for n in range(3):
        enrol(forum_session, create_participant(f"Rahimov {n}", group="media"))
    few = costs()
    for n in range(30):
        enrol(forum_session, create_participant(f"Rahimova {n}", group="uto", region="kulyab"))
    assert costs() == few


def test_reading_the_list_is_audited(client, staff, create_session, create_participant, enrol):
    forum_session = create_session()
    enrol(forum_session, create_participant())
    client.get(f"/sessions/{forum_session.id}/checkin")
    client.get(f"/sessions/{forum_session.id}/checkin", query_string={"q": "Раҳимова"})
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "checkin.list")).all()
    assert [(entry.object_type, entry.object_id, entry.actor) for entry in entries] == [
        ("session", forum_session.id, staff.email)] * 2
    # The log says that the list was read, never what was searched for.
    assert all("Раҳимова" not in entry.detail and "rahimova" not in entry.detail for entry in entries)


def test_checkin_request_ids_are_kept_per_applied_request(app, create_session, create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    for _attempt in range(3):
        checkin.check_in_once(forum_session.id, registration.id, "same")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinRequest)) == 1
